"""Scale figures for issue 18: end-to-end throughput and peak memory of `stance analyze` by engine.

Builds corpora by replicating the seed articles and (when present) the PolNeAR
articles under new ids, in a temporary folder (never committed), then runs
`stance analyze CORPUS --no-reports` in a subprocess per measurement and samples
the resident memory of its whole process tree (workers and Ray processes
included). Writes medians to --out (JSON).

    nice -n 5 python scripts/bench_scale.py --sizes 2000,20000 --engines local,ray \
        --model models/default --out docs/measurements/scale.json

With `--reports` the runs write the reports too (the step whose memory used to grow with the store),
`--keep-stores DIR` keeps each run's store, and `--report-stores A.db,B.db` measures `stance report`
alone on stores kept earlier (peak RSS of the process from the kernel, wall time):

    nice -n 5 python scripts/bench_scale.py --sizes 400,4000 --engines local --reports \
        --keep-stores /tmp/stores --out docs/measurements/scale_reports.json
    nice -n 5 python scripts/bench_scale.py --report-stores /tmp/stores/local-400.db,/tmp/stores/local-4000.db \
        --out docs/measurements/report_step.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
POLNEAR = ROOT.parent / "shared" / "polnear" / "articles.jsonl"


def source_texts(polnear: Path) -> list[dict]:
    """The seed articles and the PolNeAR articles (id, text, date), read from their paths."""
    manifest = {}
    for line in (ROOT / "seeds" / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            manifest[row["article"]] = row
    rows = [{"id": p.stem, "text": p.read_text(encoding="utf-8"), "date": manifest.get(p.stem, {}).get("date")}
            for p in sorted((ROOT / "seeds").glob("*.txt"))]
    if polnear.is_file():
        for line in polnear.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append({"id": row["id"], "text": row["text"], "date": row.get("date")})
    return rows


def build_corpus(rows: list[dict], size: int, folder: Path) -> Path:
    """A JSONL corpus of `size` articles cycling through `rows` under new ids."""
    path = folder / f"corpus-{size}.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for n in range(size):
            row = rows[n % len(rows)]
            handle.write(json.dumps({"id": f"r{n:07d}-{row['id']}", "text": row["text"], "date": row["date"]}) + "\n")
    return path


def _tree_sum(process: psutil.Process, measure) -> int:
    total = 0
    for proc in [process] + process.children(recursive=True):
        try:
            total += measure(proc)
        except (psutil.Error, AttributeError):
            pass
    return total


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants."""
    return _tree_sum(process, lambda proc: proc.memory_info().rss)


def tree_pss(process: psutil.Process) -> int:
    """Proportional set size of a process and all its descendants: shared pages (libraries, Ray's object
    store) counted once across the tree, not once per process as a sum of resident sets does."""
    return _tree_sum(process, lambda proc: proc.memory_full_info().pss)


def _committed(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return con.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except sqlite3.Error:
        return 0


def store_digest(db: Path) -> str:
    """SHA-256 over every statement with its labels, in a fixed order: equal digests, equal stores."""
    digest = hashlib.sha256()
    with sqlite3.connect(db) as con:
        rows = con.execute('SELECT s.article, s."start", s."end", s.kind, s.speaker, s.speaker_mention, s.text, s.date, '
                           'p.target, p.stance, p.probabilities FROM statements s LEFT JOIN predictions p '
                           'ON p.statement = s.id ORDER BY s.article, s."start", s."end", s.kind')
        for row in rows:
            digest.update(json.dumps(row, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def run_once(corpus: Path, engine: str, model: Path, work: Path, workers: str, time_limit: float = 0,
             kill_at: int = 0, reports: bool = False) -> dict:
    """One `stance analyze` run in a fresh store. `kill_at`: kill -9 the run once that many articles are
    committed, check they are still there, and run the same command again to the end (a resume)."""
    db = work / f"{engine}.db"
    db.unlink(missing_ok=True)
    killed = None
    if kill_at:
        killed = _run(corpus, engine, model, db, work, workers, kill_at=kill_at)
        killed["committed_after_restart_check"] = _committed(db)
        print(json.dumps({"killed": {k: v for k, v in killed.items() if k != "series_s_articles_rss_mb_main_mb_pss_mb"}}), flush=True)
    result = _run(corpus, engine, model, db, work, workers, time_limit=time_limit, reports=reports)
    if killed:
        result["killed_run"] = killed
        result["wall_s_including_killed_run"] = round(result["wall_s"] + killed["stopped_after_s"], 1)
    return result


def _run(corpus: Path, engine: str, model: Path, db: Path, work: Path, workers: str, time_limit: float = 0,
         kill_at: int = 0, reports: bool = False) -> dict:
    report_args = ["--out", str(work / f"reports-{db.stem}")] if reports else ["--no-reports"]
    command = [str(Path(sys.executable).parent / "stance"), "analyze", str(corpus), "--model", str(model), "--db", str(db),
               *report_args, "--engine", engine] + (["--workers", workers] if workers else [])
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.monotonic()
    # output to files, not pipes: a long run's progress lines would fill a pipe nobody reads and stall it
    out_path, err_path = work / f"{db.stem}.out", work / f"{db.stem}.err"
    with out_path.open("w") as out_file, err_path.open("w") as err_file:
        process = subprocess.Popen(command, env=env, stdout=out_file, stderr=err_file, text=True, cwd=work)
    watched = psutil.Process(process.pid)
    peak, peak_pss, series, last_sample, stopped = 0, 0, [], 0.0, False
    while _reaped(process) is None:
        rss = tree_rss(watched)
        peak = max(peak, rss)
        now = time.monotonic() - start
        if now - last_sample >= (2 if kill_at else 10):  # memory against articles committed: flat means streaming works
            try:
                main_rss = watched.memory_info().rss
            except psutil.Error:
                main_rss = 0
            pss = tree_pss(watched)
            peak_pss = max(peak_pss, pss)
            series.append([round(now), _committed(db), round(rss / 2**20), round(main_rss / 2**20), round(pss / 2**20)])
            last_sample = now
        # kill -9 the whole tree mid-run, or stop a partial run (the store keeps what was committed)
        if (kill_at and series and series[-1][1] >= kill_at) or (time_limit and now > time_limit):
            committed = _committed(db)
            for proc in watched.children(recursive=True) + [watched]:
                proc.kill()
            stopped = True
            break
        time.sleep(0.5)
    wall = time.monotonic() - start
    if process.returncode is None:
        while _reaped(process) is None:
            time.sleep(0.1)
    out, err = out_path.read_text(errors="replace"), err_path.read_text(errors="replace")
    if stopped:
        result = {"stopped_after_s": round(wall), "articles_committed": _committed(db), "peak_rss_mb": round(peak / 2**20),
                  "peak_pss_mb": round(peak_pss / 2**20),
                  "series_s_articles_rss_mb_main_mb_pss_mb": series}
        if kill_at:
            result["committed_when_killed"] = committed
        return result
    if process.returncode != 0:
        raise SystemExit(f"stance analyze failed ({engine}): {err[-2000:]}")
    with sqlite3.connect(db) as con:
        articles, statements = (con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("articles", "statements"))
        labels = con.execute("SELECT target, stance, COUNT(*) FROM predictions GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
    return {"wall_s": round(wall, 1), "articles": articles, "statements": statements,
            "articles_per_s": round(articles / wall, 2), "statements_per_s": round(statements / wall, 1),
            "peak_rss_mb": round(peak / 2**20), "peak_pss_mb": round(peak_pss / 2**20),
            "main_max_rss_mb": round(process.max_rss_kb / 1024), "reports": reports,
            "labels": [list(r) for r in labels], "store_digest": store_digest(db),
            "summary": out.strip().splitlines()[:3] + [line for line in out.splitlines() if line.startswith("Reports:")],
            "series_s_articles_rss_mb_main_mb_pss_mb": series}


def _reaped(process: subprocess.Popen):
    """The exit status once the process has ended (None before), reaped with wait4 so that the kernel's
    peak resident set of the process itself (ru_maxrss) is kept in `process.max_rss_kb`."""
    if process.returncode is not None:
        return process.returncode
    pid, status, usage = os.wait4(process.pid, os.WNOHANG)
    if pid == 0:
        return None
    process.returncode = os.waitstatus_to_exitcode(status)
    process.max_rss_kb = usage.ru_maxrss  # kilobytes on Linux
    return process.returncode


def run_report(db: Path, work: Path) -> dict:
    """`stance report --db DB` alone in a fresh process: wall time, peak RSS of the process (the kernel's
    ru_maxrss, exact however short the run) and the summary line it prints."""
    out_dir = work / f"report-{db.stem}"
    shutil.rmtree(out_dir, ignore_errors=True)
    command = [str(Path(sys.executable).parent / "stance"), "report", "--db", str(db), "--out", str(out_dir)]
    start = time.monotonic()
    with (work / "report.out").open("w") as out_file, (work / "report.err").open("w") as err_file:
        process = subprocess.Popen(command, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=out_file,
                                   stderr=err_file, text=True, cwd=work)
    while _reaped(process) is None:
        time.sleep(0.05)
    wall = time.monotonic() - start
    if process.returncode != 0:
        raise SystemExit(f"stance report failed on {db}: {(work / 'report.err').read_text(errors='replace')[-2000:]}")
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        statements = con.execute("SELECT COUNT(*) FROM statements").fetchone()[0]
        articles = con.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    return {"db": str(db), "articles": articles, "statements": statements, "wall_s": round(wall, 1),
            "max_rss_mb": round(process.max_rss_kb / 1024),
            "report_bytes": {p.name: p.stat().st_size for p in sorted(out_dir.iterdir())},
            "summary": (work / "report.out").read_text(errors="replace").strip().splitlines()[:1]}


def memory_growth(series: list, early: int = 2000) -> dict:
    """Peak memory while the first `early` articles were committed against the peak of the whole run,
    from a run's samples ([s, articles, tree RSS MB, main RSS MB, tree PSS MB]): flat means streaming works."""
    first = [row for row in series if row[1] <= early]
    if not first:
        return {}
    out = {"early_articles": early}
    for name, column in (("rss", 2), ("pss", 4)):
        early_peak, peak = max(row[column] for row in first), max(row[column] for row in series)
        out[f"{name}_peak_mb_first_{early}"] = early_peak
        out[f"{name}_peak_mb_whole_run"] = peak
        out[f"{name}_growth"] = round(peak / early_peak - 1, 3) if early_peak else None
    return out


def by_block(series: list, block: int = 2000, stall_s: int = 20) -> dict:
    """The samples cut into blocks of `block` committed articles: articles/s and the median and peak of
    RSS and PSS per block (a trend across blocks is growth; noise is not), and the stretches of at least
    `stall_s` seconds in which nothing was committed, as [from s, to s, articles]."""
    blocks = []
    for low in range(0, max((row[1] for row in series), default=0), block):
        rows = [row for row in series if low < row[1] <= low + block]
        if len(rows) < 2:
            continue
        seconds = rows[-1][0] - rows[0][0]
        blocks.append({"articles_to": low + block,
                       "articles_per_s": round((rows[-1][1] - rows[0][1]) / seconds, 2) if seconds else None,
                       "rss_median_mb": round(statistics.median(r[2] for r in rows)), "rss_peak_mb": max(r[2] for r in rows),
                       "pss_median_mb": round(statistics.median(r[4] for r in rows)), "pss_peak_mb": max(r[4] for r in rows)})
    stalls, since = [], None
    for before, after in zip(series, series[1:]):
        since = since or before
        if after[1] != before[1]:
            if before[0] - since[0] >= stall_s and since[1] > 0:
                stalls.append([since[0], before[0], since[1]])
            since = None
    return {"blocks": blocks, "stalls": stalls}


def writer_ceiling(work: Path, articles: int = 2000, per_article: int = 20) -> dict:
    """Statements/s the single SQLite writer stores (articles, statements and predictions in
    chunk transactions), with no extraction or model: the ceiling of any number of workers."""
    sys.path.insert(0, str(ROOT))
    from stance.engine import CHUNK, chunks
    from stance.records import Article, Prediction, Statement
    from stance.store import Store

    db = work / "writer.db"
    db.unlink(missing_ok=True)
    text = "x" * 3000
    items = []
    for n in range(articles):
        article = Article(id=f"w{n}", text=text, content_hash=f"{n:016d}", date="2016-01-01", date_precision="day")
        statements = [Statement(article=article.id, speaker="Someone", speaker_mention="Someone", text="y" * 120,
                                kind="direct", start=i * 130, end=i * 130 + 120, context="z" * 240)
                      for i in range(per_article)]
        prediction = Prediction(target="none", stance="none", target_probs={"none": 0.9, "NATO": 0.1},
                                stance_probs={"none": 0.9, "doubt": 0.1})
        items.append((article, statements, [prediction] * per_article))
    start = time.monotonic()
    with Store(db) as store:
        for chunk in chunks(items, CHUNK):
            store.write_batch("bench@writer", chunk)
    wall = time.monotonic() - start
    return {"articles": articles, "statements": articles * per_article, "wall_s": round(wall, 2),
            "statements_per_s": round(articles * per_article / wall), "articles_per_s": round(articles / wall)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2000,20000", help="Corpus sizes (articles), comma-separated.")
    parser.add_argument("--engines", default="local,ray", help="Engines to measure, comma-separated.")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "default")
    parser.add_argument("--repeats", type=int, default=1, help="Runs per (size, engine); medians are reported.")
    parser.add_argument("--workers", default="", help="--workers for stance analyze (default: the engine's).")
    parser.add_argument("--polnear", type=Path, default=POLNEAR)
    parser.add_argument("--time-limit", type=float, default=0,
                        help="Stop each run after this many seconds and report memory against articles committed so far.")
    parser.add_argument("--kill-at", type=int, default=0,
                        help="kill -9 each run once this many articles are committed, then resume it to the end.")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "measurements" / "scale.json")
    parser.add_argument("--reports", action="store_true",
                        help="Let each analyze run write its reports (default: --no-reports).")
    parser.add_argument("--keep-stores", type=Path, metavar="DIR",
                        help="Copy each finished run's store to DIR/ENGINE-SIZE.db (e.g. for --report-stores).")
    parser.add_argument("--report-stores", metavar="DB,...",
                        help="Measure `stance report` alone on these stores (--repeats runs each); run no analyze.")
    parser.add_argument("--summarize", type=Path, metavar="JSON",
                        help="Print a kept result file's memory growth (first 2,000 articles against the whole run), its figures per block of 2,000 articles and its stalls; run nothing.")
    args = parser.parse_args()
    if args.summarize:
        for entry in json.loads(args.summarize.read_text(encoding="utf-8"))["results"]:
            for n, run in enumerate(entry.get("runs", [entry])):
                key = "series_s_articles_rss_mb_main_mb_pss_mb"  # a killed run's samples, then its resume's
                series = run.get("killed_run", {}).get(key, []) + run.get(key, [])
                print(json.dumps({"size": entry["size"], "engine": entry["engine"], "run": n, **memory_growth(series),
                                  **by_block(series)}))
        return
    if args.report_stores:
        work = Path(tempfile.mkdtemp(prefix="stance-bench-report-"))
        try:
            results = []
            for db in args.report_stores.split(","):
                runs = [run_report(Path(db).resolve(), work) for _ in range(args.repeats)]
                entry = {**runs[0], "repeats": len(runs),
                         "wall_s": statistics.median(r["wall_s"] for r in runs),
                         "max_rss_mb": statistics.median(r["max_rss_mb"] for r in runs),
                         "runs": [{k: r[k] for k in ("wall_s", "max_rss_mb")} for r in runs]}
                results.append(entry)
                print(json.dumps(entry), flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps({"command": " ".join(sys.argv), "cpus": os.cpu_count(),
                                            "load_average_at_end": os.getloadavg(), "python": platform.python_version(),
                                            "results": results}, indent=2) + "\n", encoding="utf-8")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    rows = source_texts(args.polnear)
    if not args.polnear.is_file():  # seeds alone repeat five articles: not a corpus to measure memory on
        print(f"warning: {args.polnear} not found; the corpus replicates the {len(rows)} seed articles only", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="stance-bench-scale-"))
    results = []
    writer = writer_ceiling(work)
    print(json.dumps({"writer": writer}), flush=True)
    try:
        for size in [int(s) for s in args.sizes.split(",")]:
            corpus = build_corpus(rows, size, work)
            for engine in args.engines.split(","):
                runs = [run_once(corpus, engine, args.model.resolve(), work, args.workers, args.time_limit,
                                 args.kill_at if size > args.kill_at > 0 else 0, args.reports)
                        for _ in range(args.repeats)]
                if args.keep_stores and "stopped_after_s" not in runs[-1]:
                    args.keep_stores.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(work / f"{engine}.db", args.keep_stores / f"{engine}-{size}.db")
                if "stopped_after_s" in runs[0]:
                    results.append({"size": size, "engine": engine, "partial": True, **runs[0]})
                    print(json.dumps({k: v for k, v in results[-1].items() if k != "series_s_articles_rss_mb_main_mb_pss_mb"}), flush=True)
                    args.out.parent.mkdir(parents=True, exist_ok=True)
                    args.out.write_text(json.dumps(_report(args, rows, results, writer), indent=2) + "\n", encoding="utf-8")
                    continue
                median = {key: statistics.median(r[key] for r in runs)
                          for key in ("wall_s", "articles_per_s", "statements_per_s", "peak_rss_mb", "peak_pss_mb",
                                      "main_max_rss_mb")}
                entry = {"size": size, "engine": engine, "repeats": len(runs), **median,
                         "articles": runs[0]["articles"], "statements": runs[0]["statements"],
                         "labels": runs[0]["labels"], "store_digest": runs[0]["store_digest"],
                         "memory_growth": memory_growth(runs[0]["series_s_articles_rss_mb_main_mb_pss_mb"]), "runs": runs}
                results.append(entry)
                print(json.dumps({k: v for k, v in entry.items() if k not in ("runs", "labels")}), flush=True)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps(_report(args, rows, results, writer), indent=2) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _report(args, rows, results, writer) -> dict:
    ratios = {}
    for size in {r["size"] for r in results}:
        by_engine = {r["engine"]: r for r in results if r["size"] == size and not r.get("partial")}
        if {"local", "ray"} <= set(by_engine):
            ratios[str(size)] = {
                "ray_over_local_articles_per_s": round(by_engine["ray"]["articles_per_s"] / by_engine["local"]["articles_per_s"], 3),
                "same_labels": by_engine["ray"]["labels"] == by_engine["local"]["labels"]
                and by_engine["ray"]["statements"] == by_engine["local"]["statements"],
                "same_store": by_engine["ray"]["store_digest"] == by_engine["local"]["store_digest"],
            }
    return {"command": " ".join(sys.argv), "reports": args.reports, "source_articles": len(rows), "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(), "python": platform.python_version(), "model": str(args.model),
            "writer_ceiling": writer, "results": results, "ray_vs_local": ratios}


if __name__ == "__main__":
    main()
