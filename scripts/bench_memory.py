"""Resident memory of a process that classifies statements it has not seen, PREDICT_BATCH at a time.

Issue 18: `stance analyze`'s main process grew with the corpus. This isolates the
classifier: statements (a `stance extract` output) are classified once each, in the
engine's batches, and the resident set is sampled every few batches — with and
without `stance.engine.release_freed_memory()` after each batch.

    stance extract ARTICLES --out statements.jsonl
    python scripts/bench_memory.py statements.jsonl --json docs/measurements/memory_classify.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(statements: Path, model: Path, release: bool, every: int) -> list[list[int]]:
    """[[statements classified, RSS MB], ...] from a fresh process (a clean heap for each setting)."""
    code = f"""
import json, sys
import psutil
sys.path.insert(0, {str(ROOT)!r})
from stance.classify import load_classifier
from stance.engine import PREDICT_BATCH, release_freed_memory
rows = [json.loads(line) for line in open({str(statements)!r}, encoding="utf-8") if line.strip()]
classifier = load_classifier({str(model)!r})
process = psutil.Process()
series = []
for n, start in enumerate(range(0, len(rows), PREDICT_BATCH)):
    classifier.predict(rows[start:start + PREDICT_BATCH])
    if {release}:
        release_freed_memory()
    if n % {every} == 0:
        series.append([start + PREDICT_BATCH, process.memory_info().rss >> 20])
print(json.dumps(series))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("statements", type=Path)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "default")
    parser.add_argument("--every", type=int, default=5, help="sample every this many batches")
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    report = {"command": " ".join(["scripts/bench_memory.py"] + sys.argv[1:]), "model": str(args.model)}
    for release in (False, True):
        series = run(args.statements.resolve(), args.model.resolve(), release, args.every)
        report["release_freed_memory" if release else "plain"] = {
            "series_statements_rss_mb": series, "first_mb": series[0][1], "last_mb": series[-1][1],
            "peak_mb": max(r for _, r in series)}
        print(json.dumps({"release": release, "first_mb": series[0][1], "last_mb": series[-1][1]}), flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
