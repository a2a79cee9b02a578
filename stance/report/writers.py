"""Position reports: report.md, positions.json, statements.csv and report.html.

Built from the store alone (no model), so `stance report` starts instantly.
The HTML page lives in stance/report/html.py.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Optional, Union

from stance.track.aggregate import (aggregate, check_period, parse_date_filter, rule_text, strip_quotes, summary_line,
                              support_text)
from stance.errors import StanceError
from stance.report.html import render_html
from stance.store import DEFAULT_DB, Store

DEFAULT_OUT = Path("reports")
REPORT_FILES = ("report.md", "positions.json", "statements.csv", "report.html")
OFF_TARGET_SHOWN = 50  # off-target utterances listed in report.md (all of them are in statements.csv and positions.json)

CSV_COLUMNS = (
    "statement_id", "utterance_id", "article", "date", "date_precision", "source", "title", "url",
    "speaker", "speaker_mention", "kind", "text", "target", "stance", "target_confidence", "stance_confidence",
    "utterance_target", "utterance_stance", "utterance_confidence", "utterance_sources", "utterance_articles",
    "model_id", "start", "end", "human", "model_target", "model_stance", "annotator",
)


def load_aggregate(db_path: Path = DEFAULT_DB, *, actor: Optional[str] = None, target: Optional[str] = None,
                   since: Optional[str] = None, until: Optional[str] = None, period: str = "month",
                   model_id: Optional[str] = None) -> dict:
    """Read the labelled statements from the store and aggregate them.

    An empty store (or one whose statements are not labelled yet) is a
    StanceError saying to run `stance analyze` first.
    """
    check_period(period)
    parse_date_filter(since, "--since")
    parse_date_filter(until, "--until")
    with Store(db_path, create=False) as store:
        counts = store.counts(model_id)
        if model_id and model_id not in store.model_ids():
            known = ", ".join(store.model_ids()) or "none"
            raise StanceError(f"{db_path}: no predictions from model {model_id!r}; models in the store: {known}")
        rows = store.load_labelled(counts["model_id"]) if counts["model_id"] else []
    if not rows:
        if counts["statements"]:
            raise StanceError(f"{db_path}: {counts['statements']} statement(s) but none labelled yet; "
                              "run `stance analyze` to label them")
        raise StanceError(f"{db_path}: the store holds no statements ({counts['articles']} article(s)); "
                          "run `stance analyze PATH...` first")
    result = aggregate(rows, period=period, actor=actor, target=target, since=since, until=until)
    result["db"] = str(db_path)
    result["model_id"] = counts["model_id"]
    unlabelled = counts["statements"] - counts["labelled"]
    if unlabelled > 0:
        result["notes"].append(f"{unlabelled} stored statement(s) have no prediction from model "
                               f"{counts['model_id']} and are left out; run `stance analyze` to label them")
    return result


def build_report(db_path: Path = DEFAULT_DB, out_dir: Path = DEFAULT_OUT, actor: Optional[str] = None,
                 target: Optional[str] = None, since: Optional[str] = None, until: Optional[str] = None,
                 period: str = "month") -> list[Path]:
    """Rebuild every report from the store; returns the files written."""
    result = load_aggregate(db_path, actor=actor, target=target, since=since, until=until, period=period)
    return write_reports(result, out_dir)


def write_reports(rows_or_aggregate: Union[list, dict], out_dir: Path = DEFAULT_OUT, *, period: str = "month",
                  **filters) -> list[Path]:
    """Write report.md, positions.json, statements.csv and report.html into out_dir.

    Takes the dict from stance.track.aggregate.aggregate (or load_aggregate), or the
    labelled rows themselves (then aggregated with `period` and `filters`:
    actor, target, since, until). Returns the paths written.
    """
    if isinstance(rows_or_aggregate, dict):
        result = rows_or_aggregate
    else:
        result = aggregate(list(rows_or_aggregate), period=period, **filters)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise StanceError(f"{out_dir}: is a file; expected a folder for the reports")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StanceError(f"{out_dir}: cannot create the reports folder ({exc.strerror})") from None
    writers = {
        "report.md": lambda p: p.write_text(render_markdown(result), encoding="utf-8"),
        "positions.json": lambda p: p.write_text(json.dumps(positions_json(result), ensure_ascii=False, indent=2) + "\n",
                                                 encoding="utf-8"),
        "statements.csv": lambda p: _write_csv(result, p),
        "report.html": lambda p: p.write_text(render_html(result), encoding="utf-8"),
    }
    paths = []
    for name in REPORT_FILES:
        path = out_dir / name
        tmp = path.with_name(path.name + ".tmp")
        try:
            writers[name](tmp)
            tmp.replace(path)  # never leave a half-written report behind
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StanceError(f"{path}: cannot write the report ({exc.strerror})") from None
        paths.append(path)
    return paths


# -- positions.json --------------------------------------------------------------


def positions_json(result: dict) -> dict:
    """The machine-readable report: one entry per actor x target."""
    return {
        "generated_from": result.get("db"),
        "model_id": result.get("model_id"),
        "period": result["period"],
        "filters": result["filters"],
        "stats": result["stats"],
        "notes": result["notes"],
        "positions": [
            {
                "actor": p["actor"],
                "target": p["target"],
                "periods": p["periods"] + ([p["undated"]] if p["undated"] else []),
                "distribution": p["distribution"],
                "counts": p["counts"],
                "latest": p["latest"],
                "changes": p["changes"],
                "tentative_changes": p.get("tentative_changes", []),
                "evidence": p["timeline"],
            }
            for p in result["positions"]
        ],
        "changes": [c["text"] for c in result["changes"]],
        "tentative_changes": [c["text"] for c in result.get("tentative_changes", [])],
        "change_rule": result.get("change_rule"),
        "unknown_speaker": [_utterance_json(u) for u in result["unknown_speaker"]],
        "off_target": [_utterance_json(u) for u in result.get("no_target", [])],  # about no target: never a position
    }


def _utterance_json(u: dict) -> dict:
    return {
        "utterance": u["id"], "date": u["date"], "date_precision": u["date_precision"], "target": u["target"],
        "stance": u["stance"], "confidence": u["confidence"], "quote": u["text"],
        "sources": [{k: s[k] for k in ("article", "date", "source", "title", "url", "speaker_mention")}
                    for s in u["sources"]],
    }


# -- statements.csv --------------------------------------------------------------


def _write_csv(result: dict, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in result["statements"]:
            u = row["utterance"]
            stance_probs = row.get("stance_probs") or {}
            target_probs = row.get("target_probs") or {}
            writer.writerow({
                "statement_id": row.get("statement_id"),
                "utterance_id": u["id"],
                "article": row.get("article"),
                "date": row.get("date") or "undated",
                "date_precision": row.get("date_precision") or "",
                "source": row.get("source") or "",
                "title": row.get("title") or "",
                "url": row.get("url") or "",
                "speaker": row.get("speaker"),
                "speaker_mention": row.get("speaker_mention") or "",
                "kind": row.get("kind") or "",
                "text": row.get("text"),
                "target": row.get("target"),
                "stance": row.get("stance"),
                "target_confidence": _fmt(target_probs.get(row.get("target"))),
                "stance_confidence": _fmt(stance_probs.get(row.get("stance"))),
                "utterance_target": u["target"],
                "utterance_stance": u["stance"],
                "utterance_confidence": _fmt(u["confidence"]),
                "utterance_sources": len(u["sources"]),
                "utterance_articles": ";".join(str(s["article"]) for s in u["sources"]),
                "model_id": row.get("model_id") or "",
                "start": row.get("start", ""),
                "end": row.get("end", ""),
                "human": "yes" if row.get("human") else "",
                "model_target": row.get("model_target") or "",
                "model_stance": row.get("model_stance") or "",
                "annotator": row.get("annotator") or "",
            })


def _fmt(value) -> str:
    return "" if value is None else f"{float(value):.3f}"


# -- report.md -------------------------------------------------------------------


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


def _evidence_line(e: dict, with_stance: bool = True) -> str:
    when = e.get("date") or "undated"
    label = f"**{e['stance']}** ({'reviewed' if e.get('human') else format(e['confidence'], '.2f')}) · " if with_stance else ""
    return f"- {when} · {label}{_quote(e['quote'])} — {_sources_text(e['sources'])}"


def _filters_text(result: dict) -> str:
    f = result["filters"]
    parts = [f"{k} {v}" for k, v in f.items() if v]
    return ", ".join(parts) if parts else "none"


def render_markdown(result: dict) -> str:
    s = result["stats"]
    out = ["# Stance report", ""]
    meta = [f"period: {result['period']}", f"filters: {_filters_text(result)}"]
    if result.get("db"):
        meta.insert(0, f"store: `{result['db']}`")
    if result.get("model_id"):
        meta.insert(1, f"model: `{result['model_id']}`")
    out += [" · ".join(meta), "", summary_line(result) + ".", ""]
    for note in result["notes"]:
        out.append(f"> {note}.")
    if result["notes"]:
        out.append("")

    out += ["## Changes", ""]
    if not result["changes"]:
        out += ["No change of position detected between periods.", ""]
    for c in result["changes"]:
        out.append(f"- **{c['text']}** ({support_text(c)})")
        for e in c["evidence_from"] + c["evidence_to"]:
            out.append("  " + _evidence_line(e))
    out.append("")
    if result.get("tentative_changes"):
        out += ["## Tentative changes", "",
                f"Not listed with the changes above: one side rests on too little ({rule_text(result)}). "
                "Check the quotes before relying on them.", ""]
        for c in result["tentative_changes"]:
            out.append(f"- {c['text']} ({support_text(c)})")
            for e in c["evidence_from"] + c["evidence_to"]:
                out.append("  " + _evidence_line(e))
        out.append("")

    for actor in result["actors"]:
        positions = [p for p in result["positions"] if p["actor"] == actor]
        out += [f"## {actor}", ""]
        latest = [f"{p['target']}: **{p['latest']['stance']}** ({p['latest']['period']})"
                  for p in positions if p["latest"]]
        if latest:
            out += ["Latest positions: " + "; ".join(latest) + ".", ""]
        for p in positions:
            out += [f"### {actor} on {p['target']}", ""]
            out += ["| Period | Position | Distribution | Utterances |", "|---|---|---|---|"]
            for entry in p["periods"] + ([p["undated"]] if p["undated"] else []):
                position = entry["dominant"] or "no position"
                if entry["mixed"]:
                    position += " (mixed)"
                out.append(f"| {_cell(entry['period'])} | {_cell(position)} | {_cell(_dist_text(entry['distribution']))} "
                           f"| {len(entry['utterances'])} |")
            out.append("")
            if p["latest"]:
                out.append(f"Latest: **{p['latest']['stance']}** ({p['latest']['period']}).")
            for c in p["changes"]:
                out.append(f"Change: {c['text']}.")
            for c in p.get("tentative_changes", []):
                out.append(f"Tentative change: {c['text']} ({support_text(c)}).")
            out += ["", "Evidence:", ""]
            out += [_evidence_line(e) for e in p["timeline"]]
            out.append("")

    out += ["## Unknown speaker", ""]
    if not result["unknown_speaker"]:
        out += ["None: every statement was attributed.", ""]
    else:
        out += ["Statements whose speaker could not be identified; not part of any actor's position.", ""]
        for u in result["unknown_speaker"]:
            e = {"date": u["date"], "stance": f"{u['target']} / {u['stance']}", "confidence": u["confidence"],
                 "quote": u["text"], "sources": u["sources"]}
            out.append(_evidence_line(e))
        out.append("")
    if s["no_target"]:
        out += ["## Not about a tracked target", "",
                f"{s['no_target']} utterance(s) were judged off-target (about none of the tracked targets); they are "
                "listed here and in statements.csv, and not aggregated into positions.", ""]
        for u in result["no_target"][:OFF_TARGET_SHOWN]:
            out.append(f"- {u['date'] or 'undated'} · {u['speaker']}: {_quote(u['text'])} — {_sources_text(u['sources'])}")
        if s["no_target"] > OFF_TARGET_SHOWN:
            out.append(f"- … and {s['no_target'] - OFF_TARGET_SHOWN} more in statements.csv")
        out.append("")
    return "\n".join(out)
