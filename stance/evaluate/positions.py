"""End-to-end evaluation of what the report says: position cells and changes against gold statements.

Both sides go through the same code the reports use (stance.track.aggregate): gold
statements and the tool's statements are each merged into utterances and
aggregated per speaker x target x period, so a "position cell" and a "change"
mean one thing here and in report.md.

- A position cell is (speaker, target, period) with its top stance(s): the
  stances other than none said in the most utterances, several when tied. A cell
  is right when the tool has the same cell with the same set of top stances (a
  tie is right only against the same tie). Cells where every utterance takes no
  position are not cells. Accuracy is over the gold cells; cells the tool
  states that gold does not have are "invented".
- A change is (speaker, target, from period, to period, from top stances, to
  top stances) for consecutive periods with a position whose top stances share
  nothing. Precision and recall of the report's firm changes against every gold
  change (gold labels are certain, so none of them is tentative); the same for
  firm and tentative changes together. A gold change the tool states only as
  tentative counts against the recall of firm changes; it is listed as
  "right but tentative", not as missed.

Settings separate where the errors come from: "end_to_end" (the tool's
statements with the model's labels), "classifier_only" (gold statements, speakers
and dates with the model's labels), "extraction_only" (the tool's statements,
speakers and dates; those matched to a gold statement by article and span, as in
`stance evaluate extraction`, take its gold labels, unmatched ones keep the
model's), then "gold_labels_speakers" and "gold_labels_speakers_dates" (the matched
ones also take the gold speaker, then the gold date). Gold statements and labels
come from a JSONL with article, speaker, text, target and stance (date,
date_precision optional: else the article's; an explicit null date is undated).
The rows are built in stance.evaluate.position_inputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

from stance.evaluate.position_inputs import SETTINGS, PositionInputs
from stance.outputs import write_json
from stance.track.aggregate import DEFAULT_RULE, NONE_LABEL, ChangeRule, aggregate, rule_text
from stance.track.records import Aggregate, Change

# Rules scored for choosing the tentative-change rule (min utterances, min label confidence; the default's
# other choices).
RULE_GRID = tuple(ChangeRule(n, c) for n in (2, 3) for c in (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01))



# -- scoring -------------------------------------------------------------------


def position_cells(result: Aggregate) -> dict[tuple, tuple]:
    """(speaker, target, period) -> top stances, for every cell that states a
    position; speakers compared case-insensitively, as the merge does."""
    cells = {}
    for p in result.positions:
        for entry in p.all_periods:
            if entry.top:
                cells[(p.actor.casefold(), p.target, entry.period)] = tuple(entry.top)
    return cells


def _names(*results: Aggregate) -> dict[str, str]:
    return {p.actor.casefold(): p.actor for r in results for p in r.positions}


def change_key(change: Change, names: Optional[dict[str, str]] = None) -> tuple:
    actor = change.actor.casefold()
    return ((names or {}).get(actor, actor), change.target, change.from_period, change.to_period,
            tuple(change.from_top), tuple(change.to_top))


def _ratio(a: int, b: int) -> Optional[float]:
    return round(a / b, 4) if b else None


def _cell_text(key: tuple, top: tuple, names: dict[str, str]) -> str:
    return f"{names.get(key[0], key[0])} on {key[1]} in {key[2]}: {'/'.join(top)}"


def align_names(gold_names: Iterable[str], tool_names: Iterable[str]) -> dict[str, str]:
    """Tool speaker (casefolded) -> the gold speaker it names, by the rule of `stance evaluate extraction`
    (no case or diacritics; a surname matches its full name), where exactly one gold speaker fits."""
    from stance.evaluate.realnews import same_speaker

    gold_names = sorted(set(gold_names))
    out = {}
    for name in set(tool_names):
        fits = [g for g in gold_names if same_speaker(g, name)]
        out[name] = fits[0] if len(fits) == 1 else name
    return out


def _renamed(cells: dict[tuple, tuple], names: dict[str, str]) -> dict[tuple, tuple]:
    return {(names.get(k[0], k[0]), *k[1:]): v for k, v in cells.items()}


def compare(gold_result: Aggregate, tool_result: Aggregate) -> dict:
    """Score the tool's aggregate against the gold one (both from stance.track.aggregate).

    Speakers are compared as `stance evaluate extraction` compares them (align_names)."""
    gold_cells, tool_cells = position_cells(gold_result), position_cells(tool_result)
    aligned = align_names({k[0] for k in gold_cells} | {change_key(c)[0] for c in gold_result.changes},
                          {k[0] for k in tool_cells} | {change_key(c)[0] for c in tool_result.changes + tool_result.tentative_changes})
    tool_cells = _renamed(tool_cells, aligned)
    names = _names(tool_result, gold_result)
    right = [k for k in gold_cells if tool_cells.get(k) == gold_cells[k]]
    wrong = [f"{_cell_text(k, gold_cells[k], names)} (tool: {'/'.join(tool_cells[k])})"
             for k in gold_cells if k in tool_cells and tool_cells[k] != gold_cells[k]]
    missed = [_cell_text(k, gold_cells[k], names) for k in gold_cells if k not in tool_cells]
    invented = [_cell_text(k, tool_cells[k], names) for k in tool_cells if k not in gold_cells]

    gold_changes = {change_key(c): c for c in gold_result.changes + gold_result.tentative_changes}
    firm = {change_key(c, aligned): c for c in tool_result.changes}
    tentative = {change_key(c, aligned): c for c in tool_result.tentative_changes}
    firm_right = [k for k in firm if k in gold_changes]
    tentative_right = [k for k in tentative if k in gold_changes]
    return {
        "cells": {"gold": len(gold_cells), "tool": len(tool_cells), "right": len(right),
                  "accuracy": _ratio(len(right), len(gold_cells)), "invented": len(invented),
                  "invented_share": _ratio(len(invented), len(tool_cells)),
                  "wrong_cells": wrong, "missed_cells": missed, "invented_cells": invented},
        "changes": {"gold": len(gold_changes), "firm": len(firm), "firm_right": len(firm_right),
                    "precision": _ratio(len(firm_right), len(firm)),
                    "recall": _ratio(len(firm_right), len(gold_changes)),
                    "tentative": len(tentative), "tentative_right": len(tentative_right),
                    "all_precision": _ratio(len(firm_right) + len(tentative_right), len(firm) + len(tentative)),
                    "all_recall": _ratio(len(firm_right) + len(tentative_right), len(gold_changes)),
                    "right_changes": [firm[k].text for k in firm_right],
                    "wrong_changes": [firm[k].text for k in firm if k not in gold_changes],
                    "tentative_right_changes": [tentative[k].text for k in tentative_right],
                    "tentative_wrong_changes": [tentative[k].text for k in tentative if k not in gold_changes],
                    "missed_changes": [c.text for k, c in gold_changes.items() if k not in firm and k not in tentative]},
    }


def score_rows(gold: list[dict], tool: list[dict], period: str = "month", rule: ChangeRule = DEFAULT_RULE,
               none_label: str = NONE_LABEL) -> dict:
    """Aggregate both sides the way the reports do (`none_label`: the model's) and compare them."""
    return compare(aggregate(gold, period=period, rule=rule, none_label=none_label),
                   aggregate(tool, period=period, rule=rule, none_label=none_label))


def rule_table(gold: list[dict], tool: list[dict], period: str, rules: Iterable[ChangeRule] = RULE_GRID,
               none_label: str = NONE_LABEL) -> list[dict]:
    """Firm-change precision and recall under each tentative-change rule (gold aggregated by the same rule)."""
    out = []
    for rule in rules:
        changes = score_rows(gold, tool, period, rule, none_label)["changes"]
        out.append({"min_utterances": rule.min_utterances, "min_confidence": rule.min_confidence,
                    **{k: changes[k] for k in ("firm", "firm_right", "tentative", "precision", "recall")}})
    return out


def evaluate_positions(inputs: PositionInputs, *, period: str = "month", rule: ChangeRule = DEFAULT_RULE,
                       json_path: Optional[Path] = None, source: Optional[dict] = None) -> dict:
    """Score the report's positions and changes against gold statements, in every setting.

    Returns the report dict (settings, rule grids, counts; `source`, e.g. the model id or store,
    recorded as is) and writes it to json_path when given.
    """
    settings, grids = {}, {}
    for name, rows in inputs.settings().items():
        settings[name] = score_rows(inputs.gold, rows, period, rule, inputs.none_label) if rows is not None else None
        if name in ("end_to_end", "classifier_only") and rows is not None:
            grids[name] = rule_table(inputs.gold, rows, period, none_label=inputs.none_label)
    report = {
        "gold": inputs.gold_source, "source": source or {}, "period": period, "articles": inputs.articles,
        "rule": rule_dict(rule),
        "statements": {"gold": len(inputs.gold), "tool": len(inputs.tool), "matched": len(inputs.matched)},
        "settings": settings, "rule_grid": grids,
    }
    if json_path:
        write_json(Path(json_path), report)
    return report


def rule_dict(rule: ChangeRule) -> dict:
    from dataclasses import asdict

    return asdict(rule)




# -- output --------------------------------------------------------------------


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def to_markdown(report: dict, show_errors: bool = True) -> str:
    """The figures per setting, the rule grid, then the end-to-end errors."""
    s = report["statements"]
    lines = [f"{report['articles']} article(s), period {report['period']}: {s['gold']} gold statement(s), "
             f"{s['tool']} found by the tool, {s['matched']} matched. A change is tentative with "
             f"{rule_text(report['rule'])}.", "",
             "| setting | cell accuracy | gold cells | right | invented | change precision | change recall "
             "| gold changes | firm (right) | tentative (right) |", "|---" * 10 + "|"]
    for name in SETTINGS:
        r = report["settings"].get(name)
        if r is None:
            lines.append(f"| {name} | not measured (needs a model) | | | | | | | | |")
            continue
        c, ch = r["cells"], r["changes"]
        lines.append(f"| {name} | {_fmt(c['accuracy'])} | {c['gold']} | {c['right']} | {c['invented']} "
                     f"| {_fmt(ch['precision'])} | {_fmt(ch['recall'])} | {ch['gold']} | {ch['firm']} ({ch['firm_right']}) "
                     f"| {ch['tentative']} ({ch['tentative_right']}) |")
    for name, grid in report["rule_grid"].items():
        lines += ["", f"Firm changes by tentative rule ({name}):", "",
                  "| min utterances | min confidence | firm | right | tentative | precision | recall |", "|---" * 7 + "|"]
        lines += [f"| {g['min_utterances']} | {g['min_confidence']:.2f} | {g['firm']} | {g['firm_right']} | "
                  f"{g['tentative']} | {_fmt(g['precision'])} | {_fmt(g['recall'])} |" for g in grid]
    if show_errors:
        for name in SETTINGS:
            r = report["settings"].get(name)
            if not r:
                continue
            lines += ["", f"Errors ({name}):"]
            for key, label in (("wrong_cells", "wrong cell"), ("missed_cells", "missed cell"),
                               ("invented_cells", "invented cell")):
                lines += [f"- {label}: {t}" for t in r["cells"][key]]
            for key, label in (("wrong_changes", "wrong change"), ("missed_changes", "missed change"),
                               ("tentative_right_changes", "right but tentative"),
                               ("tentative_wrong_changes", "wrong, tentative")):
                lines += [f"- {label}: {t}" for t in r["changes"][key]]
    return "\n".join(lines)
