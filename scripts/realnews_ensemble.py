"""Would averaging several tuned encoders beat one? Frozen heads on each kept delta, and their averages, on realnews dev.

Each `--delta LAYERS:FILE` is an encoder delta kept by `scripts/realnews_eval.py --keep-deltas` (a tuned
candidate's fine-tuned layers over the verified base weights). For each, the default config's heads and
TF-IDF partner are fitted on the config's data plus the realnews `train` statements, exactly as
`realnews_eval.py` fits a tuned candidate, and scored on the `dev` gold statements with their paragraph. Then
the heads' probabilities are averaged over every delta and over each recipe's seeds (deltas whose names differ
only in `-s<seed>`), and the averages scored the same way: macro-F1 over the gold classes and ECE per head.
An ensemble of k encoders costs about k times one encoder's work per statement and k deltas in the package.

    python scripts/realnews_ensemble.py --delta 3:deltas/tuned-L3T1-w3-s13.delta.safetensors ... \
        --json docs/measurements/realnews_ensembles.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import replace
from pathlib import Path

import realnews_eval as R
from stance.classify.calibration import expected_calibration_error
from stance.classify.traindata import load_labelled
from stance.config import load_labels, load_train_config
from stance.evaluate.classifier import scores
from stance.train import fit_classifier


def fit_on_delta(config, labels, rows: list[dict], layers: int, delta: Path):
    """The default recipe's frozen heads read through `delta` (the tuned candidate's "main" variant)."""
    settings = replace(config, **{**R.tuned(layers, 1, config.real_weight), "method": "embed",
                                  "encoder_delta": str(delta), "train_layers": 0})
    settings.source = config.source
    return fit_classifier(rows, settings, labels).classifier


def score_probabilities(tprobs, sprobs, dev: list[dict], labels) -> dict:
    """Macro-F1 (gold classes) and ECE per head of the argmax of these probabilities."""
    gold_t = [r["target"] for r in dev]
    gold_s = [r["stance"] for r in dev]
    targets = [labels.target_names[i] for i in tprobs.argmax(1)]
    stances = [labels.stance_names[i] for i in sprobs.argmax(1)]
    return {"target": round(scores(gold_t, targets, labels.target_names)["macro_f1"], 4),
            "stance": round(scores(gold_s, stances, labels.stance_names)["macro_f1"], 4),
            "ece": {"target": expected_calibration_error(tprobs, [labels.target_names.index(g) for g in gold_t]),
                    "stance": expected_calibration_error(sprobs, [labels.stance_names.index(g) for g in gold_s])}}


def to_markdown(report: dict) -> str:
    lines = ["# Ensembles of tuned encoders on realnews dev", "",
             f"Heads fitted per delta on {report['train_statements']} statements (config data + realnews train); "
             f"dev: {report['dev_statements']} gold statements with their paragraph. An average of k encoders costs "
             "about k times the encoder work.", "",
             "| model | encoders | target | stance | ECE target / stance |", "|---|---|---|---|---|"]
    for name, r in report["results"].items():
        lines.append(f"| {name} | {r['encoders']} | {r['target']:.3f} | {r['stance']:.3f} | "
                     f"{r['ece']['target']} / {r['ece']['stance']} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--realnews", type=Path, default=R.ROOT.parent / "shared" / "realnews")
    parser.add_argument("--delta", action="append", required=True, help="LAYERS:FILE, e.g. 3:tuned-L3T1-w3-s13.delta.safetensors")
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    config = load_train_config(R.DEFAULT)
    labels = load_labels(config.resolve(config.labels))
    rows = load_labelled([config.resolve(p) for p in config.data], labels) + R.paragraph_rows(args.realnews, "train")
    dev = R.paragraph_rows(args.realnews, "dev")
    probabilities, results = {}, {}
    for spec in args.delta:
        layers, _, path = spec.partition(":")
        if not layers.isdigit() or not Path(path).is_file():
            parser.error(f"--delta {spec}: expected LAYERS:FILE with an existing delta file")
        name = Path(path).name.split(".")[0]
        print(f"{name}: fitting heads on {len(rows)} statements", file=sys.stderr, flush=True)
        probabilities[name] = fit_on_delta(config, labels, rows, int(layers), Path(path)).probabilities(dev)
        results[name] = {"encoders": 1, **score_probabilities(*probabilities[name], dev, labels)}
    groups = {"all": list(probabilities)}
    for name in probabilities:
        groups.setdefault("average of " + re.sub(r"-s\d+$", "", name), []).append(name)
    for group, names in groups.items():
        if len(names) > 1:
            averaged = [np.mean([probabilities[n][head] for n in names], axis=0) for head in (0, 1)]
            results[group] = {"encoders": len(names), "members": names, **score_probabilities(*averaged, dev, labels)}
    report = {"realnews": str(args.realnews), "train_statements": len(rows), "dev_statements": len(dev),
              "deltas": args.delta, "results": results}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    args.json.with_suffix(".md").write_text(to_markdown(report), encoding="utf-8")
    print(to_markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
