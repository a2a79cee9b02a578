"""Peak resident memory inside each classifier call of the engine: glibc's defaults, other mmap thresholds, the engine's settings.

Issue 18: the local engine's peaks rose with the corpus while its memory between chunks stayed flat. This
isolates the classifier: the statements of a `stance extract` output, grouped by article, are classified in
chunks of CHUNK articles with `stance.engine.memory.classify_chunk` (which trims the heap after each chunk), and the
process's peak resident set since the chunk began (VmHWM, reset through /proc/self/clear_refs; Linux only) is
read after each chunk. Each chunk starts 7 articles further on than the last one ended, so chunk compositions
keep changing, as in a long corpus. Every setting runs in a fresh process (a clean heap).

    stance extract ARTICLES --out statements.jsonl
    python scripts/bench_memory.py statements.jsonl --chunks 12 --json docs/measurements/memory_classify_v2.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name -> (glibc's mmap threshold in MiB, None: glibc's default; statements per forward pass, None: the engine's)
SETTINGS = {
    "glibc defaults, 64 per forward pass (the engine before)": (None, 64),
    "glibc defaults, 32 per forward pass": (None, 32),
    "mmap threshold 1 MiB, 32 per forward pass": (1, 32),
    "mmap threshold 8 MiB, 32 per forward pass": (8, 32),
    "the engine: stance.engine.MMAP_THRESHOLD and MODEL_BATCH": ("engine", None),
}


def run(statements: Path, model: Path, threshold_mib, model_batch, chunks: int) -> dict:
    """{"series": [[chunk, peak MB in the chunk, RSS MB after it], ...], "seconds": s} from a fresh process."""
    setup = []
    if threshold_mib is None:
        setup.append("engine._HEAP_BOUNDED = True  # glibc's defaults: the engine never sets the threshold")
    elif threshold_mib != "engine":
        setup.append(f"engine.MMAP_THRESHOLD = {threshold_mib} * 2**20")
    if model_batch is not None:
        setup.append(f"engine.MODEL_BATCH = {model_batch}")
    setup = "\n".join(setup)
    code = f"""
import json, sys, time
from collections import defaultdict
sys.path.insert(0, {str(ROOT)!r})
import stance.engine.memory as engine
from stance.engine import CHUNK
from stance.classify import load_classifier
from stance.records import Statement
from dataclasses import fields
names = {{f.name for f in fields(Statement)}}
by_article = defaultdict(list)
for line in open({str(statements)!r}, encoding="utf-8"):
    if line.strip():
        row = json.loads(line)
        by_article[row["article"]].append(Statement(**{{k: v for k, v in row.items() if k in names}}))
articles = list(by_article.values())
{setup}
classifier = load_classifier({str(model)!r})
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) >> 10
series, start, began = [], 0, time.perf_counter()
for n in range({chunks}):
    found = [articles[(start + i) % len(articles)] for i in range(CHUNK)]
    start += CHUNK + 7
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # resets VmHWM to the current resident set
    engine.classify_chunk(classifier, found)
    series.append([n + 1, status("VmHWM"), status("VmRSS")])
print(json.dumps({{"series": series, "seconds": round(time.perf_counter() - began, 1)}}))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def summarize(result: dict, early: int = 5) -> dict:
    """Peak of the first `early` chunks against the peak of all of them, and the RSS between chunks."""
    peaks = [peak for _, peak, _ in result["series"]]
    first, whole = max(peaks[:early]), max(peaks)
    return {"peak_mb_first_chunks": first, "first_chunks": early, "peak_mb_all_chunks": whole,
            "peak_growth": round(whole / first - 1, 3), "rss_mb_after_first_chunk": result["series"][0][2],
            "rss_mb_after_last_chunk": result["series"][-1][2], "seconds": result["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("statements", type=Path, help="a `stance extract` output (JSONL)")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "default")
    parser.add_argument("--chunks", type=int, default=24, help="chunks of articles to classify per setting")
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    report = {"command": " ".join(["scripts/bench_memory.py"] + sys.argv[1:]), "model": str(args.model), "settings": {}}
    for name, (threshold_mib, model_batch) in SETTINGS.items():
        result = run(args.statements.resolve(), args.model.resolve(), threshold_mib, model_batch, args.chunks)
        report["settings"][name] = {**summarize(result), "series_chunk_peak_mb_rss_mb": result["series"]}
        print(json.dumps({"setting": name, **summarize(result)}), flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
