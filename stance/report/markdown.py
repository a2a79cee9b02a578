"""report.md, written as it is read from the spool: one actor's section in memory at a time."""

from __future__ import annotations

from typing import Iterable, TextIO

from stance.report.spool import NO_TARGET_KIND, UNKNOWN_KIND, SpoolView
from stance.track.aggregate import rule_text, strip_quotes, summary_line, support_text
from stance.track.records import Change, Evidence, Position

OFF_TARGET_SHOWN = 50  # off-target utterances listed in report.md (all of them are in statements.csv and positions.json)


class LineWriter:
    """Writes lines joined by newlines (no newline after the last), as "\\n".join would."""

    def __init__(self, handle: TextIO):
        self.handle, self.started = handle, False

    def add(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.handle.write(("\n" if self.started else "") + line)
            self.started = True


def _cell(text) -> str:
    return str(text).replace("\n", " ").replace("|", "\\|")


def _quote(text: str) -> str:
    return "“" + strip_quotes(text) + "”"


def _dist_text(distribution: dict) -> str:
    return ", ".join(f"{k} {round(v * 100)}%" for k, v in distribution.items())


def _sources_text(sources: list[dict]) -> str:
    parts = []
    for s in sources:
        label = f"`{s['article']}`" + (f" {s['source']}" if s.get("source") else "")
        parts.append(f"{label} ({s.get('date') or 'undated'})")
    return "; ".join(parts)


def _evidence_line(e: Evidence, label: str = "") -> str:
    label = label or f"**{e.stance}** ({'reviewed' if e.human else format(e.confidence, '.2f')})"
    return f"- {e.date or 'undated'} · {label} · {_quote(e.quote)} — {_sources_text(e.sources)}"


def _head(view: SpoolView) -> list[str]:
    out = ["# Stance report", ""]
    meta = [f"period: {view.period}", f"filters: {view.filters.text() or 'none'}"]
    if view.db:
        meta.insert(0, f"store: `{view.db}`")
    if view.model_id:
        meta.insert(1, f"model: `{view.model_id}`")
    out += [" · ".join(meta), "", summary_line(view.stats, len(view.actors)) + ".", ""]
    out += [f"> {note}." for note in view.notes]
    return out + ([""] if view.notes else [])


def _changes(view: SpoolView, firm: list[Change], tentative: list[Change]) -> list[str]:
    out = ["## Changes", ""]
    if not firm:
        out += ["No change of position detected between periods.", ""]
    for c in firm:
        out.append(f"- **{c.text}** ({support_text(c)})")
        out += ["  " + _evidence_line(e) for e in c.evidence]
    out.append("")
    if tentative:
        out += ["## Tentative changes", "",
                f"Not listed with the changes above: one side rests on too little ({rule_text(view.change_rule)}). "
                "Check the quotes before relying on them.", ""]
        for c in tentative:
            out.append(f"- {c.text} ({support_text(c)})")
            out += ["  " + _evidence_line(e) for e in c.evidence]
        out.append("")
    return out


def _position(actor: str, p: Position) -> list[str]:
    out = [f"### {actor} on {p.target}", "", "| Period | Position | Distribution | Utterances |", "|---|---|---|---|"]
    for entry in p.all_periods:
        shown = (entry.dominant or "no position") + (" (mixed)" if entry.mixed else "")
        out.append(f"| {_cell(entry.period)} | {_cell(shown)} | {_cell(_dist_text(entry.distribution))} "
                   f"| {len(entry.utterances)} |")
    out.append("")
    if p.latest:
        out.append(f"Latest: **{p.latest.stance}** ({p.latest.period}).")
    out += [f"Change: {c.text}." for c in p.changes]
    out += [f"Tentative change: {c.text} ({support_text(c)})." for c in p.tentative_changes]
    out += ["", "Evidence:", ""]
    out += [_evidence_line(e) for e in p.timeline]
    return out + [""]


def _actor(actor: str, positions: list[Position]) -> list[str]:
    out = [f"## {actor}", ""]
    latest = [f"{p.target}: **{p.latest.stance}** ({p.latest.period})" for p in positions if p.latest]
    if latest:
        out += ["Latest positions: " + "; ".join(latest) + ".", ""]
    for p in positions:
        out += _position(actor, p)
    return out


def _unknown(view: SpoolView) -> Iterable[str]:
    yield from ["## Unknown speaker", ""]
    if not view.stats.unknown_speaker:
        yield from ["None: every statement was attributed.", ""]
        return
    yield from ["Statements whose speaker could not be identified; not part of any actor's position.", ""]
    for u in view.listed(UNKNOWN_KIND):
        e = Evidence.of(u)
        yield _evidence_line(e, f"**{u.target} / {u.stance}** ({u.confidence:.2f})")
    yield ""


def _off_target(view: SpoolView) -> Iterable[str]:
    count = view.stats.no_target
    if not count:
        return
    yield from ["## Not about a tracked target", "",
                f"{count} utterance(s) were judged off-target (about none of the tracked targets); they are "
                "listed here and in statements.csv, and not aggregated into positions.", ""]
    for u in view.listed(NO_TARGET_KIND, OFF_TARGET_SHOWN):
        yield (f"- {u.date or 'undated'} · {u.speaker}: {_quote(u.text)} — "
               f"{_sources_text([s.brief() for s in u.sources])}")
    if count > OFF_TARGET_SHOWN:
        yield f"- … and {count - OFF_TARGET_SHOWN} more in statements.csv"
    yield ""


def write_markdown(view: SpoolView, handle: TextIO, firm: list[Change], tentative: list[Change]) -> None:
    """The whole report.md: summary, changes, one section per actor, the unknown speaker, off-target."""
    out = LineWriter(handle)
    out.add(_head(view))
    out.add(_changes(view, firm, tentative))
    for actor, positions in view.actor_sections():
        out.add(_actor(actor, positions))
    out.add(_unknown(view))
    out.add(_off_target(view))
