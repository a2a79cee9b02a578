#!/usr/bin/env python
"""Benchmark `stance extract`: articles/s on a PolNeAR export, and hostile inputs in bounded time.

Every run is a fresh `stance extract` process (start-up included), timed by wall
clock and by CPU seconds (user + system of the process and its worker), since
the machine may be shared. The hostile shapes run with the time budget off
(`--time-budget 0`), so they measure the extractor itself, under a hard timeout:

- spaces_before_verb: a 600-byte text with a 40-space run before a name and a reporting verb;
- long_line: one 300,000-character line with no sentence end (words of the export, stops removed);
- big_article: a 1 MB article (the export's articles joined, repeated when too few).

    python scripts/bench_extract.py --polnear ../shared/polnear --runs 3 --json docs/measurements/bench_extract.json

Only figures are written; the generated inputs (the export's text) stay in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"articles_per_s": 200, "big_article_s": 5, "hostile_s": 20}


def stance_extract(args: list[str], timeout: float) -> dict:
    """Run `stance extract ARGS` from this checkout in a new process group; kill the group at the timeout."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", "from stance.cli import app; app()", "extract", *args],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)
    try:
        _, stderr = process.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the command and any worker it started
        _, stderr = process.communicate()
        timed_out = True
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": round(seconds, 3), "cpu_s": round(cpu, 3), "returncode": process.returncode,
            "timed_out": timed_out, "traceback": "Traceback (most recent call last)" in (stderr or ""),
            "summary": (stderr or "").strip().splitlines()[-1:] or [""]}


def count_lines(path: Path) -> int:
    if not path.is_file():
        return 0
    with path.open(encoding="utf-8") as handle:
        return sum(1 for _ in handle)


def throughput(articles: Path, n_articles: int, runs: int, budget: float, work: Path, timeout: float) -> dict:
    """Median articles/s of `stance extract` over the whole file, `runs` fresh processes."""
    results = []
    for _ in range(runs):
        out = work / "throughput.jsonl"
        result = stance_extract([str(articles), "--out", str(out), "--time-budget", f"{budget:g}"], timeout)
        if result["returncode"] != 0:
            raise SystemExit(f"stance extract failed on {articles}: {result['summary'][0]}")
        result["statements"] = count_lines(out)
        results.append(result)
    median_s = statistics.median(r["seconds"] for r in results)
    median_cpu = statistics.median(r["cpu_s"] for r in results)
    return {"articles": n_articles, "time_budget_s": budget, "runs_s": [r["seconds"] for r in results],
            "runs_cpu_s": [r["cpu_s"] for r in results], "median_s": median_s,
            "articles_per_s": round(n_articles / median_s, 1),
            "articles_per_cpu_s": round(n_articles / median_cpu, 1) if median_cpu else None,
            "statements": results[-1]["statements"], "last_summary": results[-1]["summary"][0]}


def hostile_inputs(texts: list[str], big_bytes: int, long_line: int) -> list[tuple[str, str, str]]:
    """(name, description, text) of each hostile shape, built from invented words and the export's text."""
    lead = ("The harbour board met on Tuesday to discuss the new pier. Members spoke for hours about costs "
            "and delays. ")
    spaces = lead + "The minister" + " " * 40 + "Ravel said the pier would open in May. "
    spaces = (spaces + "The meeting ended late. " * 40).encode("utf-8")[:600].decode("utf-8", "ignore")
    words = re.sub(r"[.!?;:\n]+", " ", " ".join(texts))
    line = (words + " ") * (long_line // max(1, len(words)) + 1)
    line = line[:long_line]
    paragraphs = []
    size = 0
    while size < big_bytes:
        for text in texts:
            paragraphs.append(text)
            size += len(text.encode("utf-8")) + 2
            if size >= big_bytes:
                break
    big = "\n\n".join(paragraphs)
    return [
        ("spaces_before_verb", f"{len(spaces.encode())}-byte text, a 40-space run before a name and 'said'", spaces),
        ("long_line", f"one line of {len(line)} characters with no sentence end", line),
        ("big_article", f"one article of {len(big.encode()) / 1e6:.2f} MB ({len(paragraphs)} articles joined)", big),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polnear", type=Path, default=ROOT.parent / "shared" / "polnear",
                        help="PolNeAR export directory (articles.jsonl); default ../shared/polnear")
    parser.add_argument("--runs", type=int, default=3, help="throughput runs (the median is reported)")
    parser.add_argument("--budget", type=float, default=10.0, help="--time-budget of the throughput runs")
    parser.add_argument("--no-compare", action="store_true", help="skip the throughput runs with the budget off")
    parser.add_argument("--big-bytes", type=int, default=1_000_000, help="size of the big article")
    parser.add_argument("--long-line", type=int, default=300_000, help="characters of the long line")
    parser.add_argument("--timeout", type=float, default=120.0, help="hard limit per hostile run, seconds")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "measurements" / "bench_extract.json")
    args = parser.parse_args(argv)

    articles = args.polnear / "articles.jsonl"
    if not articles.is_file():
        print(f"{articles}: no such file; expected a PolNeAR export directory (--polnear)", file=sys.stderr)
        return 1
    texts = [json.loads(line)["text"] for line in articles.read_text(encoding="utf-8").splitlines() if line.strip()]
    report = {"machine": {"cpus": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
                          "python": platform.python_version()},
              "commit": _commit(), "goals": GOALS}
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp:
        work = Path(tmp)
        report["throughput"] = throughput(articles, len(texts), args.runs, args.budget, work, timeout=3600)
        if not args.no_compare:
            report["throughput_no_budget"] = throughput(articles, len(texts), args.runs, 0, work, timeout=3600)
        report["hostile"] = []
        for name, description, text in hostile_inputs(texts, args.big_bytes, args.long_line):
            source, out = work / f"{name}.txt", work / f"{name}.jsonl"
            source.write_text(text, encoding="utf-8")
            result = stance_extract([str(source), "--out", str(out), "--time-budget", "0"], args.timeout)
            finished = result["returncode"] == 0 and not result["timed_out"]
            report["hostile"].append({"name": name, "description": description, "bytes": len(text.encode("utf-8")),
                                      "seconds": result["seconds"], "cpu_s": result["cpu_s"], "finished": finished,
                                      "timed_out": result["timed_out"], "timeout_s": args.timeout,
                                      "traceback": result["traceback"], "returncode": result["returncode"],
                                      "statements": count_lines(out) if finished else None})
    big = report["hostile"][-1]
    report["met"] = {
        "articles_per_s": report["throughput"]["articles_per_s"] >= GOALS["articles_per_s"],
        "big_article_s": big["finished"] and big["seconds"] < GOALS["big_article_s"],
        "hostile_s": all(h["finished"] and not h["traceback"] and h["seconds"] < GOALS["hostile_s"]
                         for h in report["hostile"]),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    t = report["throughput"]
    print(f"throughput: {t['articles_per_s']} articles/s (median of {args.runs}, {t['articles']} articles, "
          f"{t['articles_per_cpu_s']} per CPU-second)")
    for h in report["hostile"]:
        state = "finished" if h["finished"] else ("timed out" if h["timed_out"] else f"failed ({h['returncode']})")
        print(f"{h['name']}: {h['seconds']} s, {state}{', traceback' if h['traceback'] else ''}")
    print(f"goals met: {report['met']} -> {args.json}")
    return 0


def _commit() -> str | None:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None


if __name__ == "__main__":
    sys.exit(main())
