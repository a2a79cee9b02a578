"""The PolNeAR-style extraction scorer, the per-article time budget, and the extraction benchmark script.

Every article text here is invented for the tests. The one test that reads the
real export (PolNeAR, at ../shared/polnear or $STANCE_POLNEAR) skips when it is absent.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stance.evaluate import polnear as polnear
from stance.cli import app
from stance.extract import Extractor
from stance.evaluate.polnear import load_export, score_export

ROOT = Path(__file__).resolve().parent.parent
POLNEAR = Path(os.environ.get("STANCE_POLNEAR", ROOT.parent / "shared" / "polnear"))
runner = CliRunner()

BRIDGE = ("The council met on Tuesday.\n\n"
          "“The bridge will open in May, and not a day later,” Senator Ansel Brightwater said.\n\n"
          "She added that the ferry would keep running. "
          "Councillor Ivo Marwick believes the budget is too small.")
DOCKS = "“We have waited for years,” said Mira Quillon, a dock worker.\n\nThe dock closes at night."


def _span(text: str, part: str) -> dict:
    start = text.index(part)
    return {"start": start, "end": start + len(part), "text": part}


def _write_export(directory: Path) -> Path:
    """Two invented dev articles and one train article with their attributions, in the export format."""
    directory.mkdir(parents=True, exist_ok=True)
    articles = [{"id": "bridge", "text": BRIDGE, "date": "2031-03-04", "source": "gazette", "title": "Bridge", "split": "dev"},
                {"id": "docks", "text": DOCKS, "date": "2031-03-05", "source": "gazette", "title": "Docks", "split": "dev"},
                {"id": "other", "text": "“Nothing,” Lena Fosse said.", "split": "train"}]
    attributions = [
        {"article": "bridge", "split": "dev", "quoted": True,
         "content": _span(BRIDGE, "“The bridge will open in May, and not a day later,”"),
         "source": _span(BRIDGE, "Senator Ansel Brightwater"), "cue": _span(BRIDGE, "said")},
        {"article": "bridge", "split": "dev", "quoted": False, "content": _span(BRIDGE, "the ferry would keep running"),
         "source": _span(BRIDGE, "She"), "cue": _span(BRIDGE, "added")},
        {"article": "bridge", "split": "dev", "quoted": False, "content": _span(BRIDGE, "the budget is too small"),
         "source": _span(BRIDGE, "Councillor Ivo Marwick"), "cue": _span(BRIDGE, "believes")},
        {"article": "docks", "split": "dev", "quoted": True, "content": _span(DOCKS, "“We have waited for years,”"),
         "source": _span(DOCKS, "Mira Quillon, a dock worker")},
        {"article": "other", "split": "train", "quoted": True, "content": {"start": 0, "end": 9, "text": "“Nothing,”"}},
    ]
    for name, rows in (("articles.jsonl", articles), ("attributions.jsonl", attributions)):
        (directory / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return directory


@pytest.fixture
def export(tmp_path):
    return load_export(_write_export(tmp_path / "export"), "dev")


def _pred(article: str, text: str, speaker: str = "unknown") -> dict:
    return {"article": article, "text": text, "speaker": speaker}


# --- the scorer's definitions -----------------------------------------------------------------------
def test_overlap_counts_half_of_the_shorter_span_and_rejects_far_longer_predictions():
    assert polnear.overlap((0, 100), (50, 150)) == 0.5
    assert polnear.overlap((0, 100), (51, 151)) < 0.5
    assert polnear.overlap((0, 100), (90, 95)) == 1.0  # a short prediction inside the quote: all of the shorter span
    assert polnear.overlap((10, 20), (0, 500)) == 0.0  # 490 > 2.5 * 10 + 60: never a match
    assert polnear.overlap((10, 20), (0, 85)) == 1.0  # 85 = 2.5 * 10 + 60: still allowed
    assert polnear.overlap(None, (0, 5)) == 0.0


def test_direct_recall_precision_and_speaker(export):
    report = score_export([_pred("bridge", "The bridge will open in May, and not a day later", "Ansel Brightwater"),
                           _pred("bridge", "The council met on Tuesday"),
                           _pred("docks", "We have waited for years", "Mira Quillon"),
                           _pred("elsewhere", "not an article of this split")], export)
    assert (report["direct_gold"], report["direct_matched"], report["direct_recall"]) == (2, 2, 1.0)
    assert (report["pred"], report["pred_matched"], report["precision_vs_all_attributions"]) == (3, 2, 0.667)
    assert (report["named_speaker_n"], report["named_speaker_acc"]) == (2, 1.0)
    assert [(f["article"], f["start"], f["end"]) for f in report["false_positives"]] == [("bridge", 0, 26)]
    assert report["misses"] == [] and report["wrong_speakers"] == []


def test_half_a_quote_matches_and_less_does_not(export):
    quote = "The bridge will open in May, and not a day later"  # 48 characters
    tag = ",” Senator Ansel Brightwater said"  # 32: the prediction is the longer span
    assert score_export([_pred("bridge", quote[24:] + tag)], export)["direct_matched"] == 1  # 24 of 48 shared
    report = score_export([_pred("bridge", quote[25:] + tag)], export)  # 23 of 48
    assert report["direct_matched"] == 0
    assert [(m["article"], m["source"]) for m in report["misses"]] == [
        ("bridge", [BRIDGE.index("Senator"), BRIDGE.index(" said.")]), ("docks", [DOCKS.index("Mira"), DOCKS.index(".")])]


def test_a_prediction_far_longer_than_the_quote_does_not_match():
    tail = " The vote was close." * 10
    doc = polnear.Export("dev", {"d": {"id": "d", "text": "“Yes, we will,” Lena Fosse said." + tail}},
                         [{"article": "d", "quoted": True, "content": {"start": 0, "end": 15, "text": "“Yes, we will,”"}}])
    gold = len("yes, we will")  # 12: predictions up to 2.5 * 12 + 60 = 90 characters may match
    full = "Yes, we will,” Lena Fosse said." + tail
    fits = full[:int(2.5 * gold) + 60]
    assert score_export([_pred("d", fits)], doc)["direct_matched"] == 1
    too_long = full[:int(2.5 * gold) + 63]  # "...close. Th": 92 characters after normalising
    assert score_export([_pred("d", too_long)], doc)["direct_matched"] == 0


def test_title_words_do_not_make_a_speaker_right_and_pronoun_sources_are_not_counted(export):
    quote = "The bridge will open in May, and not a day later"
    assert score_export([_pred("bridge", quote, "Senator Tomas Vell")], export)["named_speaker_acc"] == 0.0
    assert score_export([_pred("bridge", quote, "Brightwater")], export)["named_speaker_acc"] == 1.0
    pronoun = polnear.Export("dev", {"d": {"id": "d", "text": "“Soon,” she said."}},
                             [{"article": "d", "quoted": True, "content": {"start": 0, "end": 7, "text": "“Soon,”"},
                               "source": {"start": 8, "end": 11, "text": "she"}}])
    report = score_export([_pred("d", "Soon", "Ansel Brightwater")], pronoun)
    assert (report["direct_matched"], report["named_speaker_n"]) == (1, 0)
    wrong = score_export([_pred("bridge", quote, "Ivo Marwick")], export)["wrong_speakers"]
    assert [(w["article"], w["predicted"]["speaker"]) for w in wrong] == [("bridge", "Ivo Marwick")]


def test_indirect_recall_counts_only_verbs_of_saying(export):
    assert polnear.is_saying_cue("added") and polnear.is_saying_cue("has been arguing") and polnear.is_saying_cue("tweets")
    assert not polnear.is_saying_cue("believes") and not polnear.is_saying_cue("according to")
    report = score_export([_pred("bridge", "the ferry would keep running"), _pred("bridge", "the budget is too small")], export)
    assert (report["indirect_saying_gold"], report["indirect_saying_matched"]) == (1, 1)  # "believes" is not saying
    assert score_export([], export)["indirect_saying_recall"] == 0.0


def test_report_written_without_text_unless_asked(export, tmp_path):
    report = score_export([_pred("bridge", "The council met on Tuesday", "Ivo Marwick")], export)
    polnear.write_report(report, tmp_path / "plain.json")
    plain = (tmp_path / "plain.json").read_text(encoding="utf-8")
    assert "council" not in plain and "bridge will open" not in plain and "Marwick" not in plain
    quote, source = _span(BRIDGE, "“The bridge will open in May, and not a day later,”"), _span(BRIDGE, "Senator Ansel Brightwater")
    assert json.loads(plain)["misses"][0] == {"article": "bridge", "start": quote["start"], "end": quote["end"],
                                              "source": [source["start"], source["end"]]}
    polnear.write_report(report, tmp_path / "text.json", with_text=True)
    assert "council met" in (tmp_path / "text.json").read_text(encoding="utf-8")


def test_export_errors_name_file_and_line(tmp_path):
    directory = _write_export(tmp_path / "export")
    with pytest.raises(polnear.StanceError, match="no attributions.jsonl"):
        (directory / "attributions.jsonl").rename(directory / "x.jsonl")
        load_export(directory, "dev")
    (directory / "x.jsonl").rename(directory / "attributions.jsonl")
    with pytest.raises(polnear.StanceError, match="split 'test'; expected one of train, dev"):
        load_export(directory, "test")
    with (directory / "attributions.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"article": "bridge", "split": "dev", "quoted": "yes", "content": {}}) + "\n")
    with pytest.raises(polnear.StanceError, match=r"attributions.jsonl:6: 'quoted' is 'yes'; expected true or false"):
        load_export(directory, "dev")


# --- the command ---------------------------------------------------------------------------------------
def test_evaluate_polnear_command_on_an_invented_export(tmp_path):
    directory = _write_export(tmp_path / "export")
    result = runner.invoke(app, ["evaluate", "extraction", "--polnear", str(directory), "--split", "dev",
                                 "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert "PolNeAR dev: 2 articles, 4 attributions" in result.output
    assert "direct recall        1.000  (2 of 2 quoted attributions)" in result.output
    assert "named-speaker acc.   1.000  (2 of 2 matched, named sources)" in result.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["direct_recall"] == 1.0 and report["skipped"] == []
    assert "Brightwater" not in (tmp_path / "r.json").read_text(encoding="utf-8")


def test_evaluate_polnear_rejects_article_paths(tmp_path):
    result = runner.invoke(app, ["evaluate", "extraction", "seeds", "--polnear", str(_write_export(tmp_path / "e"))])
    assert result.exit_code == 1
    assert "--polnear reads the export's own articles" in result.output


@pytest.mark.skipif(not (POLNEAR / "score.py").is_file(), reason="PolNeAR export not at ../shared/polnear")
def test_figures_equal_the_shared_score_py_on_dev(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("polnear_score", POLNEAR / "score.py")
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    seen = {}
    original = polnear.score_export

    def keep(predictions, export):
        seen["predictions"] = list(predictions)
        return original(seen["predictions"], export)

    monkeypatch.setattr(polnear, "score_export", keep)
    result = runner.invoke(app, ["evaluate", "extraction", "--polnear", str(POLNEAR), "--split", "dev",
                                 "--json", str(tmp_path / "dev.json"), "--no-errors"])
    assert result.exit_code == 0, result.output
    ours = json.loads((tmp_path / "dev.json").read_text(encoding="utf-8"))
    theirs = reference.score(seen["predictions"], "dev")
    assert theirs["pred"] > 500
    assert {k: ours[k] for k in theirs} == theirs


# --- the per-article time budget ------------------------------------------------------------------------
def _slow_on(name: str, behaviour):
    real = Extractor.extract

    def extract(self, article):
        if article.id == name:
            behaviour()
        return real(self, article)
    return extract


def _corpus(tmp_path) -> Path:
    rows = [{"id": i, "text": f"“The {i} plan is ready,” Mayor Ansel Brightwater said."} for i in ("first", "slow", "last")]
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _sleep():
    time.sleep(3600)


def _spin():
    while True:
        pass


def _backtrack():  # nested quantifiers over a run of spaces: exponential in the run's length
    re.match(r"(?:\s+|x)+$", " " * 60 + "y")


@pytest.mark.parametrize("behaviour, reason", [
    (_sleep, "extraction ran over the time budget of 0.5 s"),
    (_spin, "extraction ran over the time budget of 0.5 s"),
    (_backtrack, "extraction ran over the time budget of 0.5 s"),
    (lambda: os._exit(3), "the extraction worker died on it"),
    (lambda: 1 / 0, "extraction failed (ZeroDivisionError: division by zero)"),
])
def test_extract_skips_an_article_over_budget_and_keeps_the_others(tmp_path, monkeypatch, behaviour, reason):
    monkeypatch.setattr(Extractor, "extract", _slow_on("slow", behaviour))
    out = tmp_path / "statements.jsonl"
    result = runner.invoke(app, ["extract", str(_corpus(tmp_path)), "--out", str(out), "--time-budget", "0.5"])
    assert result.exit_code == 0, result.output
    assert f"skipped {tmp_path / 'corpus.jsonl'}:2: article 'slow': {reason}" in " ".join(result.output.split())
    assert "3 articles read, 1 skipped, 2 statements found" in result.output
    assert [json.loads(line)["article"] for line in out.read_text(encoding="utf-8").splitlines()] == ["first", "last"]


def test_time_budget_zero_runs_in_process_and_negative_is_refused(tmp_path):
    from stance.engine.timebudget import BudgetedExtractor

    result = runner.invoke(app, ["extract", str(_corpus(tmp_path)), "--time-budget", "0"])
    assert result.exit_code == 0, result.output
    assert "3 articles read, 0 skipped, 3 statements found" in result.output
    with pytest.raises(polnear.StanceError, match="time budget -1 s; expected a positive number"):
        BudgetedExtractor(-1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads process states from /proc")
def test_extraction_worker_exits_when_its_parent_is_killed():
    """kill -9 of a run must not leave its extraction worker behind, asleep on a pipe that never closes."""
    import signal

    code = ("import sys, time\n"
            "from stance.engine.timebudget import BudgetedExtractor\n"
            "from stance.ingest import make_article\n"
            "budgeted = BudgetedExtractor(30)\n"
            "budgeted.extract(make_article('a', 'The minister said the plan would work.', 'test'))\n"
            "print(budgeted._process.pid, flush=True)\n"
            "time.sleep(300)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    worker = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30  # a liveness bound, not a speed figure: it exits at once or never
    while _running(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(worker), f"the extraction worker {worker} outlived its killed parent"


def _running(pid: int) -> bool:
    """Whether pid is a live process (an exited one not yet reaped is a zombie: not running)."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in handle)
    except FileNotFoundError:
        return False


# --- the benchmark script --------------------------------------------------------------------------------
def test_bench_extract_runs_on_a_tiny_export(tmp_path):
    directory = _write_export(tmp_path / "export")
    out = tmp_path / "bench.json"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_extract.py"), "--polnear", str(directory),
                             "--runs", "1", "--no-compare", "--big-bytes", "20000", "--long-line", "3000",
                             "--timeout", "10", "--json", str(out)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["throughput"]["articles"] == 3 and report["throughput"]["statements"] >= 2
    assert report["throughput"]["articles_per_s"] > 0 and "throughput_no_budget" not in report
    shapes = {h["name"]: h for h in report["hostile"]}
    assert list(shapes) == ["spaces_before_verb", "long_line", "big_article"]
    assert shapes["spaces_before_verb"]["bytes"] == 600 and shapes["big_article"]["bytes"] >= 20000
    for shape in shapes.values():
        assert shape["finished"] != shape["timed_out"] and not shape["traceback"], shape
    assert shapes["big_article"]["finished"] and shapes["big_article"]["statements"] >= 4
    assert set(report["met"]) == {"articles_per_s", "big_article_s", "hostile_s"}
