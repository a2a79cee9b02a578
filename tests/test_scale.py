"""Large-corpus machinery on small corpora: streaming readers (gzip, Parquet), the local engine's
worker processes, the Ray engine, and resuming after kill -9 -- each compared with a plain run."""

from __future__ import annotations

import csv
import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import stance.engine
from stance.cli import app
from stance.ingest import CorpusReader, load_corpus
from _tiny import trained_tiny

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
runner = CliRunner()


def _seed_rows(copies: int) -> list[dict]:
    """The seed articles under new ids, `copies` times (dates from the seed manifest)."""
    manifest = {json.loads(line)["article"]: json.loads(line) for line in (SEEDS / "manifest.jsonl").read_text().splitlines() if line.strip()}
    rows = []
    for copy in range(copies):
        for path in sorted(SEEDS.glob("*.txt")):
            meta = manifest.get(path.stem, {})
            rows.append({"id": f"c{copy}-{path.stem}", "text": path.read_text(encoding="utf-8"),
                         "date": meta.get("date"), "source": meta.get("source")})
    return rows


def _write_jsonl(path: Path, rows: list[dict], gz: bool = False) -> Path:
    data = "".join(json.dumps(r) + "\n" for r in rows)
    if gz:
        path.write_bytes(gzip.compress(data.encode("utf-8")))
    else:
        path.write_text(data, encoding="utf-8")
    return path


def _store_rows(db: Path) -> list[tuple]:
    """Everything the pipeline stored, statement by statement (ids included)."""
    with sqlite3.connect(db) as con:
        return con.execute(
            'SELECT s.id, a.id, a.content_hash, a.date, s.speaker, s.text, s.kind, s."start", s."end", s.context, '
            "s.date, p.target, p.stance, p.probabilities FROM statements s JOIN articles a ON a.id = s.article "
            "LEFT JOIN predictions p ON p.statement = s.id ORDER BY s.id").fetchall()


def _labels(rows: list[tuple]) -> list[tuple]:
    """Store contents without statement ids and probabilities, in a canonical order."""
    return sorted(r[1:13] for r in rows)


# -- streaming readers ---------------------------------------------------------------------------


def test_gzip_and_parquet_read_like_jsonl(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = _seed_rows(1)
    _write_jsonl(tmp_path / "plain.jsonl", rows)
    _write_jsonl(tmp_path / "packed.jsonl.gz", [dict(r, id="gz" + r["id"]) for r in rows], gz=True)
    with gzip.open(tmp_path / "table.csv.gz", "wt", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "date", "source"])
        writer.writeheader()
        writer.writerows(dict(r, id="csv" + r["id"]) for r in rows)
    pq.write_table(pa.Table.from_pylist([dict(r, id="pq" + r["id"]) for r in rows]), tmp_path / "table.parquet")
    articles = load_corpus([tmp_path]).articles
    by_id = {a.id: a for a in articles}
    assert len(articles) == 4 * len(rows)
    for row in rows:
        plain = by_id[row["id"]]
        for prefix in ("gz", "csv", "pq"):
            other = by_id[prefix + row["id"]]
            assert (other.text, other.content_hash, other.date, other.source) == (plain.text, plain.content_hash, plain.date, plain.source)
    assert by_id["pq" + rows[1]["id"]].origin.endswith("table.parquet:row 2")
    assert by_id["gz" + rows[2]["id"]].origin.endswith("packed.jsonl.gz:3")


def test_reader_streams_and_errors_name_file_and_line(tmp_path):
    good = json.dumps({"id": "a1", "text": "The harbour reopened."})
    path = tmp_path / "c.jsonl.gz"
    path.write_bytes(gzip.compress((good + "\n" + '{"id": "a2", "text": \n').encode("utf-8")))
    articles = iter(CorpusReader([path]))
    assert next(articles).id == "a1"  # yielded before the bad line is even read
    with pytest.raises(Exception, match=r"c\.jsonl\.gz:2: not valid JSON"):
        next(articles)
    reader = CorpusReader([path], skip_bad=True)
    assert [a.id for a in reader] == ["a1"] and reader.read == 1
    assert reader.skipped and "c.jsonl.gz:2: not valid JSON" in reader.skipped[0]


def test_duplicate_ids_across_compressed_and_parquet_files(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    _write_jsonl(tmp_path / "a.jsonl.gz", [{"id": "same", "text": "One."}], gz=True)
    pq.write_table(pa.Table.from_pylist([{"id": "same", "text": "Two."}]), tmp_path / "b.parquet")
    result = runner.invoke(app, ["extract", str(tmp_path)])
    assert result.exit_code == 1
    assert "b.parquet:row 1: duplicate article id 'same' (first seen in" in " ".join(result.output.split())


def test_broken_gzip_is_one_clear_error(tmp_path):
    (tmp_path / "bad.jsonl.gz").write_bytes(b"not gzip at all")
    result = runner.invoke(app, ["extract", str(tmp_path / "bad.jsonl.gz")])
    assert result.exit_code == 1
    assert "bad.jsonl.gz: not a readable gzip file" in " ".join(result.output.split())


# -- engines ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    return _write_jsonl(folder / "corpus.jsonl", _seed_rows(3))  # 15 articles


@pytest.fixture(scope="module")
def tiny_model() -> Path:
    return trained_tiny()


def _analyze(corpus: Path, model: Path, db: Path, *extra: str):
    result = runner.invoke(app, ["analyze", str(corpus), "--model", str(model), "--db", str(db), "--no-reports", *extra])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def single_process(corpus, tiny_model, tmp_path_factory):
    """The reference: chunks of 4 articles, extraction in this process."""
    stance.engine.CHUNK, saved = 4, stance.engine.CHUNK
    try:
        db = tmp_path_factory.mktemp("single") / "stance.db"
        result = _analyze(corpus, tiny_model, db, "--workers", "0")
    finally:
        stance.engine.CHUNK = saved
    assert "Articles: 15 read (15 new" in result.output
    rows = _store_rows(db)
    assert len(rows) > 100 and all(r[11] is not None for r in rows)
    return rows


def test_worker_processes_store_the_same_statements(corpus, tiny_model, single_process, tmp_path, monkeypatch):
    monkeypatch.setattr(stance.engine, "CHUNK", 4)
    db = tmp_path / "stance.db"
    result = _analyze(corpus, tiny_model, db, "--workers", "2")
    assert f"{len(single_process)} found this run" in result.output
    assert _store_rows(db) == single_process  # ids, statements, labels and probabilities alike


def test_ray_engine_stores_the_same_statements(corpus, tiny_model, single_process, tmp_path, monkeypatch):
    pytest.importorskip("ray.data", reason='the ray extra is not installed (pip install "stance[ray]")')
    from stance.engine import ray_engine

    monkeypatch.setattr(stance.engine, "CHUNK", 4)
    monkeypatch.setattr(ray_engine, "WINDOW_CHUNKS_PER_ACTOR", 1)  # 2 actors, 4 chunks: two windows, two datasets
    db = tmp_path / "stance.db"
    result = _analyze(corpus, tiny_model, db, "--engine", "ray", "--workers", "2")
    assert "Articles: 15 read (15 new" in result.output
    assert "device: cpu, on the Ray workers" in result.output  # the driver resolves no torch device
    rows = _store_rows(db)
    assert _labels(rows) == _labels(single_process)
    # same order (the writer keeps corpus order) and the same probabilities (the same batches)
    assert [r[1:] for r in rows] == [r[1:] for r in single_process]


def test_analyze_help_names_the_ray_extra():
    """Rich reads "[ray]" as markup unless escaped; the help must still say what to install."""
    result = runner.invoke(app, ["analyze", "--help"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.replace("│", " ").split())
    assert 'pip install "stance[ray]"' in text, text


@pytest.mark.parametrize("cpus, workers, expected", [
    (2, None, (1, 2, 1.0)),   # this machine: one model, two threads, extraction beside it
    (2, 2, (2, 1, 0.75)),     # asked for two models: each reserves less than a CPU so extraction still gets one
    (1, None, (1, 1, 0.5)),
    (16, None, (8, 2, 1.0)),
    (64, 10, (10, 6, 1.0)),
])
def test_ray_plan_leaves_extraction_a_cpu_share(cpus, workers, expected):
    from stance.engine.ray_engine import EXTRACT_CPUS, plan_workers

    actors, threads, reserved = plan_workers(cpus, workers)
    assert (actors, threads, reserved) == expected
    assert actors * reserved + EXTRACT_CPUS <= cpus  # Ray can always schedule an extraction task


def test_an_article_over_the_time_budget_is_left_out_listed_and_tried_again(tiny_model, tmp_path, monkeypatch):
    from stance.extract import Extractor

    real = Extractor.extract

    def stuck_on_one(self, article):
        if article.id == "stuck":
            time.sleep(3600)
        return real(self, article)

    corpus = _write_jsonl(tmp_path / "corpus.jsonl", [
        {"id": name, "text": f"“The {name} plan is ready for NATO,” Mayor Ansel Brightwater said."}
        for name in ("first", "stuck", "last")])
    db = tmp_path / "stance.db"
    monkeypatch.setattr(Extractor, "extract", stuck_on_one)  # forked budget worker inherits it: --workers 0
    result = _analyze(corpus, tiny_model, db, "--workers", "0", "--time-budget", "0.5")
    text = " ".join(result.output.split())
    assert f"Skipped {corpus}:2: article 'stuck': extraction ran over the time budget of 0.5 s" in text, text
    with sqlite3.connect(db) as con:
        assert sorted(r[0] for r in con.execute("SELECT id FROM articles")) == ["first", "last"]
    monkeypatch.setattr(Extractor, "extract", real)
    result = _analyze(corpus, tiny_model, db, "--workers", "0")
    assert "2 unchanged" in result.output  # the next run stores the one left out, and only it
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 3


def test_unknown_engine_is_an_error(corpus, tiny_model, tmp_path):
    result = runner.invoke(app, ["analyze", str(corpus), "--model", str(tiny_model), "--db", str(tmp_path / "x.db"),
                                 "--engine", "spark"])
    assert result.exit_code == 2  # typer checks the choice before any work
    assert "'spark' is not one of 'local', 'ray'" in " ".join(result.output.replace("│", " ").split())


_KILLABLE = """
import sys
import stance.engine
stance.engine.CHUNK = 4  # as the reference run: the same chunks, so the same batches
from stance.cli import app
sys.argv = ["stance"] + sys.argv[1:]
app()
"""


def _committed(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=0.1) as con:
            return con.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("engine_args", [("--workers", "0"), ("--engine", "ray", "--workers", "1")], ids=["resume-local", "resume-ray"])
def test_kill_9_loses_nothing_committed_and_the_rerun_finishes(engine_args, corpus, tiny_model, single_process, tmp_path,
                                                              monkeypatch):
    if "ray" in engine_args:
        pytest.importorskip("ray.data", reason='the ray extra is not installed (pip install "stance[ray]")')
    db = tmp_path / "stance.db"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen([sys.executable, "-c", _KILLABLE, "analyze", str(corpus), "--model", str(tiny_model),
                                "--db", str(db), "--no-reports", "--workers", "0"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while _committed(db) < 4 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    committed = _committed(db)
    assert 4 <= committed < 15, f"the run was not killed mid-way ({committed} articles committed)"
    before = {r[1:] for r in _store_rows(db)}
    with sqlite3.connect(db) as con:  # every committed article came with its statements and their labels
        assert con.execute("SELECT COUNT(*) FROM statements s LEFT JOIN predictions p ON p.statement = s.id "
                           "WHERE p.statement IS NULL").fetchone()[0] == 0
    monkeypatch.setattr(stance.engine, "CHUNK", 4)
    result = _analyze(corpus, tiny_model, db, *engine_args)
    assert f"{committed} unchanged" in result.output
    rows = _store_rows(db)
    assert before <= {r[1:] for r in rows}  # what was committed stays as it was
    assert sorted(r[1:] for r in rows) == sorted(r[1:] for r in single_process)  # probabilities too


@pytest.mark.parametrize("engine_args", [("--workers", "1"), ("--engine", "ray", "--workers", "1")], ids=["local", "ray"])
def test_kill_9_leaves_no_process_of_the_run(engine_args, corpus, tiny_model, tmp_path):
    """Every child of a killed run ends with it: extraction workers, their budget workers, multiprocessing's
    resource tracker, and a local Ray's processes (its agents would otherwise hang on after the raylet)."""
    if "ray" in engine_args:
        pytest.importorskip("ray.data", reason='the ray extra is not installed (pip install "stance[ray]")')
    psutil = pytest.importorskip("psutil")
    db = tmp_path / "stance.db"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen([sys.executable, "-c", _KILLABLE, "analyze", str(corpus), "--model", str(tiny_model),
                                "--db", str(db), "--no-reports", "--time-budget", "30", *engine_args], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _committed(db) < 4 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed"
    children = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert len(children) >= (3 if "ray" not in engine_args else 5), children  # workers were running
    deadline = time.monotonic() + 10  # the bar: nothing of the run left 10 s after the kill
    while any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [f"{c.pid} {c.name()}" for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    for child in children:  # never leave them to the next test, whatever the assertion says
        try:
            child.kill()
        except psutil.Error:
            pass
    assert not left, f"still running 10 s after the kill: {left}"


def test_progress_writes_plain_lines_to_a_log(capsys):
    """Standard error that is not a terminal (a log file) gets plain progress lines with rates and time left."""
    from stance.engine.progress import RunProgress

    with RunProgress(total=100, log_every_s=0) as progress:
        progress.tick(10, 0, skipped=True)  # unchanged articles: done, but not in the rates
        progress.tick(40, 600)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("Analyzing: 10 of ~100 articles, 0.0 articles/s, 0.0 statements/s")
    assert lines[1].startswith("Analyzing: 50 of ~100 articles, ")
    assert " articles/s, " in lines[1] and lines[1].endswith(" left")
    with RunProgress(total=None, log_every_s=3600) as quiet:
        quiet.tick(5, 5)
    assert capsys.readouterr().err == ""  # not before log_every_s has passed


def test_each_classified_chunk_bounds_the_heap_and_hands_freed_memory_back(monkeypatch):
    """classify_chunk sets glibc's mmap threshold once per process, passes MODEL_BATCH to the model and
    trims the heap once per chunk; where there is no glibc it does neither."""
    import stance.engine.memory as memory
    from stance.engine.memory import MMAP_THRESHOLD, MODEL_BATCH, classify_chunk
    from stance.records import Prediction

    batches = []

    from stance.classify.relevance import predict_articles

    class Counting:
        def predict(self, statements, batch_size):
            batches.append(batch_size)
            return [Prediction(target="none", stance="none") for _ in statements]

        def predict_articles(self, articles, call_size, batch_size):
            return predict_articles(self.predict, articles, call_size, batch_size)

    class FakeGlibc:
        def __init__(self):
            self.calls = []

        def malloc_trim(self, pad):
            self.calls.append(("trim", pad))

        def mallopt(self, param, value):
            self.calls.append(("mallopt", param, value))

    libc = FakeGlibc()
    monkeypatch.setattr(memory, "_LIBC", libc)
    monkeypatch.setattr(memory, "_HEAP_BOUNDED", False)
    out = classify_chunk(Counting(), [["s1", "s2"], [], ["s3"]])
    classify_chunk(Counting(), [["s4"]])
    assert [len(p) for p in out] == [2, 0, 1] and batches == [MODEL_BATCH, MODEL_BATCH]
    assert libc.calls == [("mallopt", -3, MMAP_THRESHOLD), ("trim", 0), ("trim", 0)]
    monkeypatch.setattr(memory, "_LIBC", None)
    monkeypatch.setattr(memory, "_HEAP_BOUNDED", False)
    monkeypatch.setattr("sys.platform", "darwin")
    classify_chunk(Counting(), [["s5"]])  # no glibc: looked up once, then nothing to do
    assert memory._LIBC is False and memory._HEAP_BOUNDED is False


def test_bench_memory_summary_compares_the_first_chunks_peak_with_all_chunks():
    """scripts/bench_memory.py: the in-call peak of the first chunks against the peak of all of them."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_memory", Path(__file__).parent.parent / "scripts" / "bench_memory.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    result = {"series": [[1, 800, 590], [2, 820, 591], [3, 1000, 592], [4, 900, 595]], "seconds": 12.5}
    summary = script.summarize(result, early=2)
    assert summary["peak_mb_first_chunks"] == 820 and summary["peak_mb_all_chunks"] == 1000
    assert summary["peak_growth"] == 0.22 and summary["rss_mb_after_last_chunk"] == 595 and summary["seconds"] == 12.5


def test_bench_scale_memory_growth_compares_the_first_articles_with_the_whole_run():
    """scripts/bench_scale.py: the peak of the samples taken up to 2,000 committed articles against the
    run's peak, for RSS and PSS; no samples that early, no figure."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_scale", Path(__file__).parent.parent / "scripts" / "bench_scale.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    series = [[10, 0, 900, 500, 800], [20, 1500, 1000, 600, 900], [30, 2100, 1300, 700, 950], [40, 20000, 1100, 600, 990]]
    growth = script.memory_growth(series)
    assert growth["rss_peak_mb_first_2000"] == 1000 and growth["rss_peak_mb_whole_run"] == 1300
    assert growth["rss_growth"] == 0.3 and growth["pss_growth"] == 0.1
    assert script.memory_growth([[10, 5000, 900, 500, 800]]) == {}
    samples = [[0, 0, 500, 400, 450], [10, 500, 900, 500, 800], [20, 2000, 1000, 600, 900], [30, 2000, 1000, 600, 900],
               [60, 2000, 1000, 600, 900], [70, 2100, 1100, 600, 990], [80, 3000, 1300, 600, 990]]
    blocks = script.by_block(samples, block=2000, stall_s=20)
    assert blocks["blocks"] == [
        {"articles_to": 2000, "articles_per_s": 30.0, "rss_median_mb": 1000, "rss_peak_mb": 1000, "pss_median_mb": 900, "pss_peak_mb": 900},
        {"articles_to": 4000, "articles_per_s": 90.0, "rss_median_mb": 1200, "rss_peak_mb": 1300, "pss_median_mb": 990, "pss_peak_mb": 990}]
    assert blocks["stalls"] == [[20, 60, 2000]]  # 40 s with 2,000 committed and no more


_NO_TORCH_IN_DRIVER = """
import sys
from stance.cli import app
sys.argv = ["stance"] + sys.argv[1:]
try:
    app()
finally:
    print("driver imported torch:", "torch" in sys.modules, flush=True)
"""


def test_ray_engine_relabels_a_store_on_its_actors(corpus, tiny_model, single_process, tmp_path):
    """A new model over a stored corpus: the Ray engine labels the stored statements on its actors; the
    driver never imports torch."""
    pytest.importorskip("ray.data", reason='the ray extra is not installed (pip install "stance[ray]")')
    import shutil

    db = tmp_path / "stance.db"
    _analyze(corpus, tiny_model, db, "--workers", "0")
    renamed = tmp_path / "model-b"
    shutil.copytree(tiny_model, renamed)
    meta_path = renamed / "stance_model.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["model_id"] = "model-b@relabel"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = subprocess.run([sys.executable, "-c", _NO_TORCH_IN_DRIVER, "analyze", str(corpus), "--model", str(renamed),
                          "--db", str(db), "--no-reports", "--engine", "ray", "--workers", "1"],
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "driver imported torch: False" in run.stdout
    assert f"{len(single_process)} labelled by model-b@relabel" in run.stdout and "15 unchanged" in run.stdout
    with sqlite3.connect(db) as con:
        by_model = dict(con.execute("SELECT model_id, COUNT(*) FROM predictions GROUP BY model_id").fetchall())
        labels = {model: con.execute("SELECT statement, target, stance, probabilities FROM predictions WHERE model_id = ? "
                                     "ORDER BY statement", (model,)).fetchall() for model in by_model}
    assert by_model["model-b@relabel"] == len(single_process) and len(by_model) == 2
    # the same weights and the same batch (all the stored statements in one page): the same labels and probabilities
    assert labels["model-b@relabel"] == labels[next(m for m in by_model if m != "model-b@relabel")]
