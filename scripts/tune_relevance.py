"""Choose the relevance gate's min_probability on PolNeAR train (never dev).

Reads the output of `stance predict` on extracted PolNeAR statements (each row has
`relevance`, the gate's score, and `target_probs`) and the hand labels of the
on-topic statements; for each candidate threshold prints how many off-topic
statements would keep a target and how many on-topic ones would. A statement keeps
a target at threshold t when its score >= t and the model's argmax is not none
(anchored statements score 1.0, so the threshold only judges the unanchored ones near
an anchor; statements with no anchor near them score 0 and never keep one). No text is printed or written.

    python scripts/tune_relevance.py labelled_train.jsonl --gold docs/measurements/polnear_on_topic.jsonl \
        --split train [--json F]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stance.config import load_labels  # noqa: E402
from stance.evaluate.offtopic import _overlap, load_gold  # noqa: E402
from stance.records import read_jsonl  # noqa: E402

GRID = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("labelled", type=Path, help="JSONL written by `stance predict` on PolNeAR statements of one split")
    parser.add_argument("--gold", type=Path, required=True)
    parser.add_argument("--split", default="train")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    labels = load_labels()
    none = labels.none_label
    gold = load_gold(args.gold, args.split, labels)
    rows = [obj for _, obj in read_jsonl(args.labelled)]
    if any(r.get("relevance") is None for r in rows):
        sys.exit(f"{args.labelled}: rows without 'relevance'; expected `stance predict` output of a model with the gate")
    for r in rows:
        r["on_topic"] = any(g["article"] == r["article"] and _overlap((g["start"], g["end"]), (r["start"], r["end"])) for g in gold)
        r["argmax"] = max(r["target_probs"], key=r["target_probs"].get)
    off = [r for r in rows if not r["on_topic"]]
    on = [r for r in rows if r["on_topic"]]
    table = []
    for t in GRID:
        def kept(selected):
            return sum(1 for r in selected if r["argmax"] != none and r["relevance"] > 0 and r["relevance"] >= t)
        table.append({"min_probability": t, "off_topic_given_a_target": kept(off), "off_topic": len(off),
                      "share": round(kept(off) / max(1, len(off)), 4), "on_topic_kept": kept(on), "on_topic": len(on)})
    print("| min_probability | off-topic given a target | share | on-topic kept |")
    print("|---|---|---|---|")
    for row in table:
        print(f"| {row['min_probability']} | {row['off_topic_given_a_target']} of {row['off_topic']} | {row['share']:.2%} "
              f"| {row['on_topic_kept']} of {row['on_topic']} |")
    if args.json:
        args.json.write_text(json.dumps({"split": args.split, "statements": len(rows), "table": table}, indent=1) + "\n",
                             encoding="utf-8")


if __name__ == "__main__":
    main()
