"""Which changes should the report state? Every change rule scored on the same statements, same run.

For each corpus (a realnews split, and/or articles with a gold file such as the seeds) the tool's statements
are extracted and labelled once by the model; then each rule of the grid aggregates both sides (gold and
tool, as `stance evaluate positions` does) and the report's firm changes are scored: precision, recall,
how many are stated firm and tentative. The grid crosses the choices the README discusses:

- the tentative rule: a side with fewer than N utterances whose mean confidence is below C;
- whose confidence: the label's alone, or label x speaker (`speaker_confidence`);
- a change is tentative when either side is weak, or only when both are;
- mixed periods (tied top stances) as sides of a change, or skipped (`clear_sides`);
and, for the chosen rule, the firm changes by the gap between their periods (adjacent months or longer).

    python scripts/change_rules.py --realnews ../shared/realnews --split dev --seeds seeds \
        --model models/default --json docs/measurements/change_rules_dev.json \
        --markdown docs/measurements/change_rules_dev.md
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path
from typing import Optional

SETTINGS = ("end_to_end", "classifier_only", "gold_labels_speakers_dates")
CONFIDENCES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9)


def rule_grid():
    from stance.track.aggregate import ChangeRule

    for when, clear, speaker, confidence in itertools.product(("either", "both"), (False, True), (False, True),
                                                              CONFIDENCES):
        yield ChangeRule(2, confidence, tentative_when=when, clear_sides=clear, speaker_confidence=speaker)


def months_between(a: str, b: str) -> Optional[int]:
    """Whole months from period a to period b (YYYY-MM); None for other period shapes."""
    if len(a) != 7 or len(b) != 7:
        return None
    return (int(b[:4]) - int(a[:4])) * 12 + int(b[5:7]) - int(a[5:7])


def gap_bucket(change) -> str:
    gap = months_between(change.from_period, change.to_period)
    return "unknown" if gap is None else "1 month" if gap == 1 else "2-11 months" if gap < 12 else "12+ months"


def score_grid(inputs, period: str) -> list[dict]:
    """Every rule of the grid, each setting: the firm changes' precision and recall."""
    from dataclasses import asdict

    from stance.evaluate.positions import score_rows

    rows = {name: r for name, r in inputs.settings().items() if name in SETTINGS and r is not None}
    out = []
    for rule in rule_grid():
        entry = {"rule": asdict(rule)}
        for name, tool in rows.items():
            changes = score_rows(inputs.gold, tool, period, rule)["changes"]
            entry[name] = {k: changes[k] for k in ("gold", "firm", "firm_right", "tentative", "tentative_right",
                                                   "precision", "recall")}
        out.append(entry)
    return out


def by_gap(inputs, period: str, rule) -> dict:
    """The end-to-end firm changes of `rule` by months between their two periods: right of stated."""
    from stance.evaluate.positions import compare
    from stance.track.aggregate import aggregate

    gold = aggregate(inputs.gold, period=period, rule=rule)
    tool = aggregate(inputs.tool, period=period, rule=rule)
    right = set(compare(gold, tool)["changes"]["right_changes"])
    buckets: dict[str, list[int]] = {}
    for change in tool.changes:
        name = gap_bucket(change)
        buckets.setdefault(name, [0, 0])
        buckets[name][0] += 1
        buckets[name][1] += change.text in right
    gold_gaps: dict[str, int] = {}
    for change in gold.changes:
        name = gap_bucket(change)
        gold_gaps[name] = gold_gaps.get(name, 0) + 1
    return {"tool_firm": {k: {"stated": v[0], "right": v[1]} for k, v in buckets.items()}, "gold": gold_gaps}


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def to_markdown(report: dict) -> str:
    lines = []
    for corpus, result in report["corpora"].items():
        lines += [f"## {corpus}", "", f"{result['statements']}", "",
                  "| tentative when | mixed periods | confidence | C | " +
                  " | ".join(f"{s}: firm (right), P, R" for s in result["settings"]) + " |",
                  "|---" * (4 + len(result["settings"])) + "|"]
        for entry in result["grid"]:
            rule = entry["rule"]
            cells = []
            for s in result["settings"]:
                c = entry.get(s)
                cells.append("—" if c is None else f"{c['firm']} ({c['firm_right']}), {_fmt(c['precision'])}, "
                                                   f"{_fmt(c['recall'])}")
            lines.append(f"| {rule['tentative_when']} | {'skipped' if rule['clear_sides'] else 'sides'} | "
                         f"{'label x speaker' if rule['speaker_confidence'] else 'label'} | {rule['min_confidence']:.2f} | "
                         + " | ".join(cells) + " |")
        lines += ["", f"Firm changes end to end by gap, rule {result['gap_rule']}: {json.dumps(result['by_gap'])}", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--realnews", type=Path, help="a realnews folder")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--seeds", type=Path, help="a folder of articles with labels.jsonl (and manifest.jsonl)")
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--period", default="month")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args(argv)

    from dataclasses import asdict

    from stance.classify import load_classifier
    from stance.errors import StanceError
    from stance.outputs import write_outputs
    from stance.evaluate.position_inputs import position_inputs, realnews_inputs
    from stance.ingest import load_corpus
    from stance.track.aggregate import DEFAULT_RULE

    try:
        classifier = load_classifier(args.model)
        corpora = {}
        if args.realnews:
            corpora[f"realnews {args.split}"] = realnews_inputs(args.realnews, args.split, classify=classifier.predict)
        if args.seeds:
            corpora["seeds"] = position_inputs(load_corpus([args.seeds]).articles, args.seeds / "labels.jsonl",
                                               classify=classifier.predict)
        if not corpora:
            raise StanceError("give --realnews DIR and/or --seeds DIR")
        report = {"model": classifier.model_id, "period": args.period, "corpora": {}}
        for name, inputs in corpora.items():
            report["corpora"][name] = {
                "statements": f"{len(inputs.gold)} gold statements, {len(inputs.tool)} found by the tool, "
                              f"{len(inputs.matched)} matched",
                "settings": list(SETTINGS), "grid": score_grid(inputs, args.period),
                "gap_rule": asdict(DEFAULT_RULE), "by_gap": by_gap(inputs, args.period, DEFAULT_RULE)}
    except StanceError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    text = to_markdown(report)
    write_outputs(report, text, args.json, args.markdown)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
