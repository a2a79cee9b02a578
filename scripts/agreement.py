#!/usr/bin/env python
"""Agreement between two annotations of the same statements (a ceiling for the classifier).

The second file has one row per row of the first, in the same order, with at
least `target` and `stance` (extra fields such as `why` are kept in the report).
Scores treat the first file as the reference: macro-F1 (the classifier's
metric), accuracy and Cohen's kappa for target and stance, plus every row on
which the two disagree.

    python scripts/agreement.py seeds/labels.jsonl docs/measurements/second_annotation.jsonl \
        --json docs/measurements/agreement_seeds.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def agreement(reference: Path, second: Path) -> dict:
    """Scores of `second` against `reference` (both labelled JSONL, same rows in the same order)."""
    from sklearn.metrics import cohen_kappa_score

    from stance.config import load_labels
    from stance.errors import StanceError
    from stance.evaluation_classifier import scores
    from stance.traindata import load_labelled

    labels = load_labels()
    first = load_labelled([reference], labels, derive_context=False)
    other = load_labelled([second], labels, derive_context=False) if _has_text(second) else _labels_only(second, labels)
    if len(first) != len(other):
        raise StanceError(f"{second}: found {len(other)} row(s); expected one per row of {reference} ({len(first)})")
    report = {"reference": str(reference), "second": str(second), "statements": len(first)}
    for key, names in (("target", labels.target_names), ("stance", labels.stance_names)):
        gold, pred = [r[key] for r in first], [r[key] for r in other]
        report[key] = {**scores(gold, pred, names), "cohen_kappa": round(float(cohen_kappa_score(gold, pred)), 4)}
    report["disagreements"] = [
        {"line": i, "text": a["text"], "reference": [a["target"], a["stance"]], "second": [b["target"], b["stance"]],
         **({"why": b["why"]} if b.get("why") else {})}
        for i, (a, b) in enumerate(zip(first, other), 1) if (a["target"], a["stance"]) != (b["target"], b["stance"])
    ]
    return report


def _has_text(path: Path) -> bool:
    with open(path, encoding="utf-8") as handle:
        return "text" in json.loads(handle.readline() or "{}")


def _labels_only(path: Path, labels) -> list[dict]:
    from stance.records import read_jsonl

    rows = []
    for number, obj in read_jsonl(path):
        labels.check(obj.get("target"), obj.get("stance"), f"{path}:{number}")
        rows.append(obj)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", type=Path, help="the first annotation (labelled JSONL)")
    parser.add_argument("second", type=Path, help="the second annotation: same rows, same order, with target and stance")
    parser.add_argument("--json", type=Path, help="write the full report here")
    args = parser.parse_args()
    from stance.errors import StanceError

    try:
        report = agreement(args.reference, args.second)
    except StanceError as exc:
        sys.exit(f"error: {exc}")
    for key in ("target", "stance"):
        r = report[key]
        print(f"{key}: macro-F1 {r['macro_f1']:.3f}, accuracy {r['accuracy']:.3f}, Cohen's kappa {r['cohen_kappa']:.3f}")
    print(f"{len(report['disagreements'])} of {report['statements']} statements disagree")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
