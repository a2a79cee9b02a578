#!/usr/bin/env python
"""Benchmark the classifier: prediction speed, peak memory, training time (medians of several runs).

Each run is a fresh subprocess, so peak RSS is that of one `predict` (or `train`)
process, model loading included.

    python scripts/bench.py                       # predict x5 with models/default, train x3
    python scripts/bench.py --train-runs 0        # prediction only
    python scripts/bench.py --json reports/bench.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def seed_like(n: int) -> list[dict]:
    """n distinct statements (speaker, quote, surrounding sentence): the seed labels, then the composed batches.

    Distinct, because the classifier encodes each distinct input once: repeated rows would time the cache.
    """
    from stance.config import load_labels
    from stance.classify.traindata import load_labelled

    files = [ROOT / "seeds" / "labels.jsonl", *sorted((ROOT / "seeds" / "extra").glob("composed*.jsonl"))]
    rows = load_labelled(files, load_labels())
    rows = [{"speaker": r.get("speaker"), "text": r["text"], "context": r.get("context", "")} for r in rows]
    if n > len(rows):
        raise SystemExit(f"--statements {n}: only {len(rows)} distinct statements to time")
    return rows[:n]


def child_predict(model: str, n: int, batch_size: int) -> dict:
    from stance.classify import load_classifier

    rows = seed_like(n)
    started = time.perf_counter()
    clf = load_classifier(model)
    loaded = time.perf_counter() - started
    clf.predict(rows[:batch_size], batch_size)  # warm-up
    started = time.perf_counter()
    clf.predict(rows, batch_size)
    seconds = time.perf_counter() - started
    return {"statements_per_s": n / seconds, "load_s": loaded, "peak_rss_mb": _peak_mb(), "int8": any("quantized" in type(m).__module__ for m in clf.model.encoder.modules())}


def child_train(config: str | None) -> dict:
    from stance.config import load_train_config
    from stance.train import train

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        train(load_train_config(config), Path(tmp) / "m", progress=False)
        seconds = time.perf_counter() - started
    return {"train_s": seconds, "peak_rss_mb": _peak_mb()}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if out.returncode != 0:
        raise SystemExit(f"bench child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(ROOT / "models" / "default"), help="trained model directory to predict with")
    parser.add_argument("--config", default=None, help="training config (default configs/default.yaml)")
    parser.add_argument("--statements", type=int, default=1000, help="statements per prediction run")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--predict-runs", type=int, default=5)
    parser.add_argument("--train-runs", type=int, default=3)
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child is not None:
        kind = args.child[0]
        result = child_predict(args.model, args.statements, args.batch_size) if kind == "predict" else child_train(args.config)
        print(json.dumps(result))
        return

    report: dict = {"cpus": os.cpu_count()}
    if args.predict_runs:
        runs = [_run_child(["predict", "--model", args.model, "--statements", str(args.statements), "--batch-size", str(args.batch_size)])
                for _ in range(args.predict_runs)]
        report["predict"] = {
            "runs": args.predict_runs, "statements": args.statements, "batch_size": args.batch_size, "int8": runs[0]["int8"],
            "statements_per_s_median": round(statistics.median(r["statements_per_s"] for r in runs), 1),
            "load_s_median": round(statistics.median(r["load_s"] for r in runs), 2),
            "peak_rss_mb_median": round(statistics.median(r["peak_rss_mb"] for r in runs)),
            "statements_per_s_all": [round(r["statements_per_s"], 1) for r in runs],
        }
        print(json.dumps(report["predict"]), flush=True)
    if args.train_runs:
        extra = ["--config", args.config] if args.config else []
        runs = [_run_child(["train", *extra]) for _ in range(args.train_runs)]
        report["train"] = {
            "runs": args.train_runs,
            "train_s_median": round(statistics.median(r["train_s"] for r in runs), 1),
            "peak_rss_mb_median": round(statistics.median(r["peak_rss_mb"] for r in runs)),
            "train_s_all": [round(r["train_s"], 1) for r in runs],
        }
        print(json.dumps(report["train"]), flush=True)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
