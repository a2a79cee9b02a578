"""report.html: one self-contained page (inline CSS, SVG and a few lines of script for the filter; no CDN).

One timeline chart per actor x target: one lane per stance, a dot per
utterance coloured by stance, faint bands for each period's dominant stance;
hovering a dot shows the quote and its sources (SVG <title>), and the same
evidence is listed below the chart. All text goes through html.escape.
Written as it is read from the spool: the matrix from its small cells, then one actor at a time.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import escape
from typing import Iterable, TextIO

from stance.report.cells import LOW_CONFIDENCE, MatrixCell
from stance.report.markdown import LineWriter
from stance.report.spool import UNKNOWN_KIND, SpoolView
from stance.track.aggregate import date_bounds, rule_text, stance_sort_key, strip_quotes, summary_line, support_text
from stance.track.merge import NONE_LABEL
from stance.track.records import Change, Evidence, Position

STANCE_COLOURS = {"support": "#2e7d32", "conditional": "#e69500", "doubt": "#c62828", "none": "#9e9e9e"}
_EXTRA_COLOURS = ("#1565c0", "#6a1b9a", "#00838f", "#5d4037", "#ad1457")

WIDTH, LEFT, RIGHT, UNDATED_W, LANE_H, TOP = 760, 100, 20, 80, 30, 16

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:960px;padding:1rem 1.5rem;color:#222;line-height:1.45}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}
h3{margin-bottom:.3rem}.meta,.small{color:#666;font-size:.9rem}
.note{background:#fff8e1;border-left:4px solid #e69500;padding:.4rem .8rem;margin:.4rem 0}
.change{background:#f3f6fb;border-left:4px solid #1565c0;padding:.4rem .8rem;margin:.6rem 0}
.tentative{background:#fafafa;border-left:4px dashed #9e9e9e;padding:.4rem .8rem;margin:.6rem 0;color:#444}
table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #ddd;padding:.25rem .6rem;text-align:left;font-size:.92rem}
th{background:#f5f5f5}.chip{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin-right:.3em;vertical-align:-.05em}
ul.evidence{padding-left:1.1rem}ul.evidence li{margin:.3rem 0}q{font-style:italic}
svg{display:block;max-width:100%;height:auto;background:#fcfcfc;border:1px solid #eee}
svg text{font-size:11px;fill:#555;font-family:inherit}.legend span{margin-right:1rem}
.matrix td a{text-decoration:none;color:inherit;font-weight:600}.matrix td.weak{border:2px dashed #e69500}
"""


def stance_colour(stance: str, known: list[str], none_label: str = NONE_LABEL) -> str:
    if stance == none_label:
        return STANCE_COLOURS["none"]
    if stance in STANCE_COLOURS and (stance != "none" or none_label == NONE_LABEL):
        return STANCE_COLOURS[stance]
    others = sorted(s for s in known if s not in STANCE_COLOURS and s != none_label)
    index = others.index(stance) if stance in others else 0
    return _EXTRA_COLOURS[index % len(_EXTRA_COLOURS)]


def _e(text) -> str:
    return escape("" if text is None else str(text), quote=True)


def _sources(sources: list[dict]) -> str:
    return "; ".join(f"{s['article']}" + (f" ({s['source']})" if s.get("source") else "") + f", {s.get('date') or 'undated'}"
                     for s in sources)


def _ticks(start: date, end: date) -> list[tuple[date, str]]:
    """Axis ticks: years, months or days depending on the span, at most ~10."""
    span = (end - start).days
    ticks = []
    if span > 3 * 365:
        step = max(1, (end.year - start.year) // 8 + 1)
        for year in range(start.year + (0 if start == date(start.year, 1, 1) else 1), end.year + 1, step):
            ticks.append((date(year, 1, 1), str(year)))
    elif span > 60:
        months = (end.year - start.year) * 12 + end.month - start.month
        step = max(1, months // 8 + 1)
        y, m = start.year, start.month
        if start.day != 1:
            m += 1
        while True:
            y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
            d = date(y, m, 1)
            if d > end:
                break
            ticks.append((d, d.strftime("%Y-%m")))
            m += step
    else:
        step = max(1, span // 8 + 1)
        d = start
        while d <= end:
            ticks.append((d, d.isoformat()))
            d += timedelta(days=step)
    return ticks


class Palette:
    """The stances of a report: their colours and their order (the none label last of the four)."""

    def __init__(self, stances: list[str], none_label: str = NONE_LABEL):
        self.stances, self.none_label = stances, none_label

    def colour(self, stance: str) -> str:
        return stance_colour(stance, self.stances, self.none_label)

    def chip(self, stance: str) -> str:
        return f'<span class="chip" style="background:{self.colour(stance)}"></span>'

    def lanes(self, entries: list[Evidence]) -> list[str]:
        return sorted({e.stance for e in entries} | {s for s in self.stances if s != self.none_label},
                      key=lambda s: stance_sort_key(s, self.none_label))


def _dated_parts(position: Position, dated: list, lane_y: dict, plot_right: float, axis_y: float,
                 palette: Palette) -> list[str]:
    """The period bands, the axis and the dots of the dated utterances."""
    lanes_h = LANE_H * len(lane_y)
    start = min(b[0] for _, b in dated)
    end = max(b[1] for _, b in dated)
    pad = max(3, (end - start).days // 20)
    start, end = start - timedelta(days=pad), end + timedelta(days=pad)
    total = max(1, (end - start).days)

    def x_of(d: date) -> float:
        return LEFT + (plot_right - LEFT) * (d - start).days / total

    parts = []
    for period in position.periods:
        bounds = date_bounds(period.period)
        if not bounds or not period.dominant:
            continue
        x0, x1 = x_of(bounds[0]), max(x_of(bounds[1] + timedelta(days=1)), x_of(bounds[0]) + 3)
        parts.append(f'<rect x="{x0:.1f}" y="{TOP}" width="{x1 - x0:.1f}" height="{lanes_h}" '
                     f'fill="{palette.colour(period.dominant)}" fill-opacity="0.10">'
                     f'<title>{_e(period.period)}: {_e(period.dominant)}'
                     f'{" (mixed)" if period.mixed else ""}</title></rect>')
    parts.append(f'<line x1="{LEFT}" x2="{plot_right}" y1="{axis_y}" y2="{axis_y}" stroke="#999"/>')
    for d, label in _ticks(start, end):
        x = x_of(d)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{axis_y}" y2="{axis_y + 4}" stroke="#999"/>')
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 16}" text-anchor="middle">{_e(label)}</text>')
    for e, bounds in dated:
        mid = bounds[0] + (bounds[1] - bounds[0]) / 2
        parts.append(_dot(e, x_of(mid), lane_y[e.stance], palette))
    return parts


def _undated_parts(undated: list[Evidence], lane_y: dict, plot_right: float, axis_y: float,
                   palette: Palette) -> list[str]:
    x0 = plot_right + 10
    parts = [f'<line x1="{x0 - 5}" x2="{x0 - 5}" y1="{TOP}" y2="{axis_y}" stroke="#ccc" stroke-dasharray="3 3"/>',
             f'<text x="{x0 + (UNDATED_W - 10) / 2:.1f}" y="{axis_y + 16}" text-anchor="middle">undated</text>']
    per_lane: dict[str, int] = {}
    for e in undated:
        n = per_lane.get(e.stance, 0)
        per_lane[e.stance] = n + 1
        parts.append(_dot(e, x0 + 10 + (n * 12) % (UNDATED_W - 20), lane_y[e.stance], palette))
    return parts


def timeline_svg(position: Position, palette: Palette) -> str:
    """An inline SVG timeline for one actor x target position."""
    entries = position.timeline
    lanes = palette.lanes(entries)
    dated = [(e, date_bounds(e.date)) for e in entries if date_bounds(e.date)]
    undated = [e for e in entries if not date_bounds(e.date)]
    height = TOP + LANE_H * len(lanes) + 30
    plot_right = WIDTH - RIGHT - (UNDATED_W if undated else 0)
    parts = [f'<svg viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
             f'role="img" aria-label="{_e(position.actor)} on {_e(position.target)}: stance over time">']
    lane_y = {s: TOP + LANE_H * i + LANE_H / 2 for i, s in enumerate(lanes)}
    for s, y in lane_y.items():
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{_e(s)}</text>')
    axis_y = TOP + LANE_H * len(lanes) + 4
    if dated:
        parts += _dated_parts(position, dated, lane_y, plot_right, axis_y, palette)
    if undated:
        parts += _undated_parts(undated, lane_y, plot_right, axis_y, palette)
    parts.append("</svg>")
    return "".join(parts)


def _dot(e: Evidence, x: float, y: float, palette: Palette) -> str:
    radius = 4 + 4 * max(0.0, min(1.0, float(e.confidence)))
    tip = (f'{e.date or "undated"} · {e.stance} ({e.confidence:.2f})\n“{strip_quotes(e.quote)}”\n'
           f'Sources: {_sources(e.sources)}')
    return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{palette.colour(e.stance)}" '
            f'fill-opacity="0.85" stroke="#fff"><title>{_e(tip)}</title></circle>')


def _evidence_item(e: Evidence, palette: Palette, label: str = "") -> str:
    label = label or f'{_e(e.stance)} ({"reviewed" if e.human else format(e.confidence, ".2f")})'
    return (f'<li>{palette.chip(e.stance)}<b>{_e(e.date or "undated")}</b> · {label} · '
            f'<q>{_e(strip_quotes(e.quote))}</q> <span class="small">— {_e(_sources(e.sources))}</span></li>')


def _anchor(actor: str, target: str) -> str:
    return "pos-" + re.sub(r"[^a-z0-9]+", "-", f"{actor} {target}".casefold()).strip("-")


def _matrix_cell(actor: str, target: str, cell: MatrixCell, palette: Palette) -> str:
    title = (f'{actor} on {target}: {cell.stance} in {cell.period}' + (" (mixed)" if cell.mixed else "")
             + f"; {cell.utterances} utterance(s), {cell.reviewed} reviewed by a person"
             + ("; rests only on low-confidence labels" if cell.weak else ""))
    return (f'<td data-target="{_e(target)}" class="{"weak" if cell.weak else ""}"><a href="#{_anchor(actor, target)}" '
            f'title="{_e(title)}">{palette.chip(cell.stance)}{_e(cell.stance)}{"?" if cell.weak else ""}</a>'
            f'<span class="small"> {cell.confidence:.2f} · {cell.utterances} utt. · '
            f'{round(100 * cell.reviewed / cell.utterances)}% reviewed</span></td>')


def matrix_html(rows: Iterable[tuple[str, dict]], targets: list[str], actors: list[str], palette: Palette) -> str:
    """Actor x target table of latest positions, each cell linking to its section, with a filter.
    `rows`: (actor, target -> MatrixCell or None), actors in order."""
    if not targets:
        return "<p>No positions: no statement by a known speaker about a tracked target.</p>"
    head = "".join(f'<th data-target="{_e(t)}">{_e(t)}</th>' for t in targets)
    trs = []
    for actor, cells in rows:
        tds = [_matrix_cell(actor, t, cells[t], palette) if cells.get(t) else f'<td data-target="{_e(t)}"></td>'
               for t in targets]
        trs.append(f'<tr data-actor="{_e(actor)}"><th>{_e(actor)}</th>{"".join(tds)}</tr>')
    options = lambda values: "".join(f'<option value="{_e(v)}">{_e(v)}</option>' for v in values)  # noqa: E731
    return (f'<p class="filters">Actor <select id="actor-filter"><option value="">all</option>{options(actors)}</select> '
            f'Target <select id="target-filter"><option value="">all</option>{options(targets)}</select></p>'
            f'<table class="matrix"><tr><th>Actor \\ target</th>{head}</tr>{"".join(trs)}</table>'
            f'<p class="small">Latest position per actor and target: stance, its confidence, utterances behind the position and '
            f'the share a person reviewed. “?” and a dashed cell: every label behind it is below {LOW_CONFIDENCE:.1f} confidence.</p>')


# Filtering hides what does not match in the matrix and in the sections below; without script the page shows everything.
FILTER_SCRIPT = """<script>
(function(){var a=document.getElementById('actor-filter'),t=document.getElementById('target-filter');if(!a)return;
function f(){var av=a.value,tv=t.value;document.querySelectorAll('[data-actor]').forEach(function(e){
var ok=(!av||e.dataset.actor===av)&&(!tv||!e.dataset.position||e.dataset.target===tv);e.style.display=ok?'':'none';});
document.querySelectorAll('.matrix [data-target]').forEach(function(e){e.style.display=(!tv||e.dataset.target===tv)?'':'none';});}
a.onchange=f;t.onchange=f;})();
</script>"""


def _head(view: SpoolView, palette: Palette, actors: list[str]) -> list[str]:
    body = ["<h1>Stance report</h1>"]
    meta = [f"period: {view.period}"]
    if view.db:
        meta.insert(0, f"store: {view.db}")
    if view.model_id:
        meta.insert(1, f"model: {view.model_id}")
    if view.filters.text():
        meta.append(f"filters: {view.filters.text()}")
    body.append(f'<p class="meta">{_e(" · ".join(meta))}</p>')
    body.append(f"<p>{_e(summary_line(view.stats, len(actors)))}.</p>")
    body += [f'<p class="note">{_e(n)}.</p>' for n in view.notes]
    body.append('<p class="legend">' + "".join(f"<span>{palette.chip(st)}{_e(st)}</span>" for st in palette.stances) + "</p>")
    body.append("<h2>Positions at a glance</h2>")
    body.append(matrix_html(view.matrix_rows(), view.targets, actors, palette))
    return body


def _changes(view: SpoolView, firm: list[Change], tentative: list[Change], palette: Palette) -> list[str]:
    body = ["<h2>Changes</h2>"]
    if not firm:
        body.append("<p>No change of position detected between periods.</p>")
    for c in firm:
        items = [_evidence_item(e, palette) for e in c.evidence]
        body.append(f'<div class="change"><b>{_e(c.text)}</b> <span class="small">({_e(support_text(c))})</span>'
                    f'<ul class="evidence">{"".join(items)}</ul></div>')
    if tentative:
        body.append("<h2>Tentative changes</h2>")
        body.append(f"<p>Not listed with the changes above: one side rests on too little ({_e(rule_text(view.change_rule))}). "
                    "Check the quotes before relying on them.</p>")
        for c in tentative:
            items = [_evidence_item(e, palette) for e in c.evidence]
            body.append(f'<div class="tentative">{_e(c.text)} <span class="small">({_e(support_text(c))})</span>'
                        f'<ul class="evidence">{"".join(items)}</ul></div>')
    return body


def _position(actor: str, p: Position, palette: Palette) -> list[str]:
    body = [f'<div data-actor="{_e(actor)}" data-target="{_e(p.target)}" data-position="1">'
            f'<h3 id="{_anchor(actor, p.target)}">{_e(actor)} on {_e(p.target)}</h3>']
    if p.latest:
        body.append(f'<p>Latest: {palette.chip(p.latest.stance)}<b>{_e(p.latest.stance)}</b> ({_e(p.latest.period)})</p>')
    body.append(timeline_svg(p, palette))
    rows = ["<tr><th>Period</th><th>Position</th><th>Distribution</th><th>Utterances</th></tr>"]
    for entry in p.all_periods:
        dist = ", ".join(f"{k} {round(v * 100)}%" for k, v in entry.distribution.items())
        rows.append(f'<tr><td>{_e(entry.period)}</td><td>{_e(entry.dominant or "no position")}'
                    f'{" (mixed)" if entry.mixed else ""}</td><td>{_e(dist)}</td><td>{len(entry.utterances)}</td></tr>')
    body.append(f"<table>{''.join(rows)}</table>")
    body += [f"<p>Change: {_e(c.text)}</p>" for c in p.changes]
    body += [f'<p class="small">Tentative change: {_e(c.text)} ({_e(support_text(c))})</p>' for c in p.tentative_changes]
    body.append('<ul class="evidence">' + "".join(_evidence_item(e, palette) for e in p.timeline) + "</ul></div>")
    return body


def _tail(view: SpoolView, palette: Palette) -> list[str]:
    body = ["<h2>Unknown speaker</h2>"]
    if not view.stats.unknown_speaker:
        body.append("<p>None: every statement was attributed.</p>")
    else:
        body.append("<p>Statements whose speaker could not be identified; not part of any actor's position.</p>")
        items = [_evidence_item(Evidence.of(u), palette, f"{_e(u.target)} / {_e(u.stance)}")
                 for u in view.listed(UNKNOWN_KIND)]
        body.append('<ul class="evidence">' + "".join(items) + "</ul>")
    if view.stats.no_target:
        body.append(f"<h2>Not about a tracked target</h2><p>{view.stats.no_target} utterance(s) were labelled with no "
                    "target; they are in statements.csv and not aggregated into positions.</p>")
    return body


def write_html(view: SpoolView, handle: TextIO, firm: list[Change], tentative: list[Change]) -> None:
    """The whole report as one offline HTML page."""
    palette = Palette(view.stances, view.none_label)
    actors = view.actors
    handle.write("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                 f"<title>Stance report</title><style>{CSS}</style></head><body>\n")
    body = LineWriter(handle)
    body.add(_head(view, palette, actors))
    body.add(_changes(view, firm, tentative, palette))
    for actor, positions in view.actor_sections():
        body.add([f'<section data-actor="{_e(actor)}"><h2>{_e(actor)}</h2>'])
        for p in positions:
            body.add(_position(actor, p, palette))
        body.add(["</section>"])
    body.add(_tail(view, palette))
    handle.write(FILTER_SCRIPT + "\n</body></html>\n")
