#!/usr/bin/env python3
"""Compare speaker settings on one split of PolNeAR and of the realnews set, in one run: the rules alone,
the shipped speaker step (its threshold), and the same step with no threshold (never `unknown`).

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
    settings = {"rules alone": None, f"speaker step, threshold {shipped.threshold}": shipped,
                "speaker step, no threshold": replace(shipped, threshold=0.0)}
    export, realnews = load_export(args.polnear, args.split), load_realnews(args.realnews, args.split)
    results = {}
    for name, model in settings.items():
        extractor = Extractor(speaker_model=model)
        pn = score_export(_predict(extractor, export.articles, str(args.polnear)), export)
        rn = score_realnews(_predict(extractor, realnews.articles, str(args.realnews)), realnews)
        results[name] = {
            "polnear": {k: pn[k] for k in ("direct_recall", "precision_vs_all_attributions", "named_speaker_acc",
                                           "named_speaker_correct", "named_speaker_n")},
            "realnews": {**{k: rn[k] for k in ("recall", "precision", "speaker_accuracy", "speaker_correct", "matched",
                                               "speaker_unknown")},
                         "speaker_ece": rn["speaker_calibration"]["ece"], "calibration": rn["speaker_calibration"]},
        }
        print(f"{name:32s} PolNeAR named-speaker {pn['named_speaker_acc']:.3f}  realnews speaker "
              f"{rn['speaker_accuracy']:.3f} ({rn['speaker_unknown']} unknown, ECE {rn['speaker_calibration']['ece']:.3f})")
    if args.json:
        args.json.write_text(json.dumps({"split": args.split, "settings": results}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
