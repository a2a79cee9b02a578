#!/usr/bin/env python3
"""Compare speaker settings on one split of PolNeAR and of the realnews set, in one run: the rules alone,
the shipped speaker step (its threshold), and the same step under other thresholds (0: never `unknown`).
For each: speaker accuracy (an `unknown` counts as wrong) and the wrong-speaker rate (statements given to
the wrong person or body, over the matched ones: what puts words in someone else's mouth).

  python scripts/compare_speaker_step.py --polnear ../shared/polnear --realnews ../shared/realnews \\
      --split dev --json docs/measurements/speaker_step_dev.json

Writes figures only (no text of either corpus).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stance.evaluate.polnear import load_export, score_export  # noqa: E402
from stance.evaluate.realnews import load_realnews, score_realnews  # noqa: E402
from stance.extract import Extractor, finish  # noqa: E402
from stance.extract.attribution import load_model  # noqa: E402
from stance.ingest.corpus import METADATA_FIELDS, make_article  # noqa: E402


THRESHOLDS = (0.0, 0.3, 0.45, 0.5, 0.6)


def _predict(extractor, rows: dict, where: str) -> list[dict]:
    out = []
    for article_id, row in rows.items():
        article = make_article(article_id, row["text"], where, {k: row.get(k) for k in METADATA_FIELDS})
        out += [asdict(s) for s in finish(extractor.extract(article), article)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polnear", type=Path, required=True)
    parser.add_argument("--realnews", type=Path, required=True)
    parser.add_argument("--split", default="dev", choices=["dev", "train"])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    shipped = load_model()
    settings = {"rules alone": None, f"speaker step, threshold {shipped.threshold} (shipped)": shipped}
    for threshold in THRESHOLDS:
        if threshold != shipped.threshold:
            settings[f"speaker step, threshold {threshold}"] = replace(shipped, threshold=threshold)
    export, realnews = load_export(args.polnear, args.split), load_realnews(args.realnews, args.split)
    results = {}
    for name, model in settings.items():
        extractor = Extractor(speaker_model=model)
        pn = score_export(_predict(extractor, export.articles, str(args.polnear)), export)
        rn = score_realnews(_predict(extractor, realnews.articles, str(args.realnews)), realnews)
        pn_unknown = sum(1 for w in pn["wrong_speakers"] if str(w["predicted"].get("speaker")) == "unknown")
        pn_wrong = pn["named_speaker_n"] - pn["named_speaker_correct"] - pn_unknown
        rn_wrong = rn["matched"] - rn["speaker_correct"] - rn["speaker_unknown"]
        results[name] = {
            "polnear": {**{k: pn[k] for k in ("direct_recall", "precision_vs_all_attributions", "named_speaker_acc",
                                              "named_speaker_correct", "named_speaker_n")},
                        "named_speaker_unknown": pn_unknown, "named_speaker_wrong": pn_wrong,
                        "wrong_speaker_rate": round(pn_wrong / max(1, pn["named_speaker_n"]), 4)},
            "realnews": {**{k: rn[k] for k in ("recall", "precision", "speaker_accuracy", "speaker_correct", "matched",
                                               "speaker_unknown")},
                         "speaker_wrong": rn_wrong, "wrong_speaker_rate": round(rn_wrong / max(1, rn["matched"]), 4),
                         "speaker_ece": rn["speaker_calibration"]["ece"], "calibration": rn["speaker_calibration"]},
        }
        print(f"{name:40s} PolNeAR named-speaker {pn['named_speaker_acc']:.3f} (wrong {pn_wrong}, unknown {pn_unknown})"
              f"  realnews speaker {rn['speaker_accuracy']:.3f} (wrong {rn_wrong}, {rn['speaker_unknown']} unknown, "
              f"ECE {rn['speaker_calibration']['ece']:.3f})")
    if args.json:
        args.json.write_text(json.dumps({"split": args.split, "settings": results}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
