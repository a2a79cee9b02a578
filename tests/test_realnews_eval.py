"""The realnews extraction scorer and `stance evaluate extraction --realnews`.

Every text here is invented for the tests. The one test that reads the real set (at ../shared/realnews or
$STANCE_REALNEWS) skips when it is absent.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.errors import StanceError
from stance.evaluate import realnews
from stance.evaluate.realnews import calibration, load_realnews, same_speaker, score_realnews

ROOT = Path(__file__).resolve().parent.parent
REALNEWS = Path(os.environ.get("STANCE_REALNEWS", ROOT.parent / "shared" / "realnews"))
runner = CliRunner()

HARBOUR = ("The harbour board met on Tuesday.\n\n"
           "“The pier will reopen in June,” Mayor Ansel Brightwater said.\n\n"
           "Councillor Ivo Marwick said the budget was far too small for the work.")
FERRY = "Jürgen Kästel, the ferry operator, warned that fares would rise next spring."


def _write_set(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    articles = [{"id": "harbour", "split": "dev", "text": HARBOUR, "date": "2031-03-06", "url": "u"},
                {"id": "ferry", "split": "dev", "text": FERRY, "date": "2031-04", "url": "u"},
                {"id": "other", "split": "train", "text": "“Nothing,” Lena Fosse said.", "url": "u"}]
    statements = [
        {"article": "harbour", "speaker": "Ansel Brightwater", "text": "The pier will reopen in June", "kind": "direct",
         "date": "2031-03-06", "split": "dev"},
        {"article": "harbour", "speaker": "Ivo Marwick", "text": "the budget was far too small for the work",
         "kind": "indirect", "date": "2031-03-06", "split": "dev"},
        {"article": "ferry", "speaker": "Jürgen Kästel", "text": "fares would rise next spring", "kind": "indirect",
         "date": "2031-04", "split": "dev"},
        {"article": "other", "speaker": "Lena Fosse", "text": "Nothing", "kind": "direct", "split": "train"},
    ]
    for name, rows in (("articles.jsonl", articles), ("statements.jsonl", statements)):
        (directory / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return directory


@pytest.fixture
def data(tmp_path):
    return load_realnews(_write_set(tmp_path / "set"), "dev")


def _pred(article, text, speaker="unknown", date=None, confidence=1.0, kind="direct"):
    return {"article": article, "text": text, "speaker": speaker, "date": date, "speaker_confidence": confidence,
            "kind": kind}


def test_names_compare_without_case_and_diacritics_and_a_surname_matches():
    assert same_speaker("Jürgen Kästel", "jurgen kastel") and same_speaker("Donald Trump", "Trump")
    assert not same_speaker("Donald Trump", "Melania Trumpet") and not same_speaker("Ivo Marwick", "unknown")
    assert same_speaker("Port Authority of Lorn", "Lorn")  # score.py's rule: the same last word, one inside the other
    assert not same_speaker("Lorn", "Port Authority") and not same_speaker("", "")


def test_recall_by_kind_precision_speaker_and_month(data):
    report = score_realnews([_pred("harbour", "The pier will reopen in June", "Brightwater", "2031-03-06"),
                             _pred("harbour", "The harbour board met on Tuesday"),
                             _pred("ferry", "fares would rise next spring", "Jurgen Kastel", "2031-03-30", 0.5,
                                   "indirect")], data)
    assert (report["gold"], report["matched"], report["recall"]) == (3, 2, 0.667)
    assert report["recall_by_kind"] == {"direct": 1.0, "indirect": 0.5}
    assert (report["pred"], report["pred_matched"], report["precision"]) == (3, 2, 0.667)
    assert (report["speaker_correct"], report["speaker_accuracy"]) == (2, 1.0)
    assert (report["month_n"], report["month_accuracy"]) == (2, 0.5)  # March for April
    assert [(m["article"], m["kind"], m["start"]) for m in report["misses"]] == [
        ("harbour", "indirect", HARBOUR.index("the budget"))]
    assert [(p["article"], p["start"]) for p in report["false_positives"]] == [("harbour", 0)]


def test_the_best_overlap_gives_the_speaker_and_half_the_shorter_span_matches(data):
    quote = "The pier will reopen in June"
    report = score_realnews([_pred("harbour", "reopen in June,” Mayor Ansel Brightwater said", "Ivo Marwick"),
                             _pred("harbour", quote, "Ansel Brightwater")], data)  # 14 of 28 characters, then all
    assert report["speaker_accuracy"] == 1.0 and report["pred_matched"] == 2
    assert score_realnews([_pred("harbour", "in June,” Mayor Ansel Brightwater said")], data)["matched"] == 0  # 7 of 28
    wrong = score_realnews([_pred("harbour", quote, "Ivo Marwick", confidence=0.9)], data)["wrong_speakers"]
    assert [(w["article"], w["predicted"]["speaker"], w["predicted"]["speaker_confidence"]) for w in wrong] == [
        ("harbour", "Ivo Marwick", 0.9)]


def test_calibration_bins_and_expected_error():
    table = calibration([(0.95, True), (0.95, True), (0.55, True), (0.55, False)])
    assert table["n"] == 4 and table["ece"] == pytest.approx((2 * 0.05 + 2 * 0.05) / 4)
    assert [(row["bin"], row["n"], row["accuracy"]) for row in table["bins"]] == [([0.5, 0.6], 2, 0.5), ([0.9, 1.0], 2, 1.0)]
    assert calibration([(1.0, False)])["bins"][0]["bin"] == [0.9, 1.0]


def test_report_is_written_without_text_or_names_unless_asked(data, tmp_path):
    report = score_realnews([_pred("harbour", "The harbour board met on Tuesday", "Ivo Marwick")], data)
    realnews.write_report(report, tmp_path / "plain.json")
    plain = (tmp_path / "plain.json").read_text(encoding="utf-8")
    assert "harbour board" not in plain and "Marwick" not in plain and "pier" not in plain
    assert json.loads(plain)["misses"][0] == {"article": "harbour", "start": HARBOUR.index("The pier"),
                                              "end": HARBOUR.index(",” Mayor"), "kind": "direct", "gold_date": "2031-03-06"}
    realnews.write_report(report, tmp_path / "text.json", with_text=True)
    assert "harbour board" in (tmp_path / "text.json").read_text(encoding="utf-8")


def test_errors_name_the_folder_and_what_was_expected(tmp_path):
    directory = _write_set(tmp_path / "set")
    with pytest.raises(StanceError, match="split 'test'; expected one of train, dev"):
        load_realnews(directory, "test")
    (directory / "statements.jsonl").rename(directory / "x.jsonl")
    with pytest.raises(StanceError, match="no statements.jsonl; expected a realnews folder"):
        load_realnews(directory, "dev")


def test_evaluate_realnews_command_on_an_invented_set(tmp_path):
    directory = _write_set(tmp_path / "set")
    result = runner.invoke(app, ["evaluate", "extraction", "--realnews", str(directory), "--split", "dev",
                                 "--json", str(tmp_path / "r.json"), "--time-budget", "0"])
    assert result.exit_code == 0, result.output
    assert "realnews dev: 2 excerpts, 3 gold statements" in result.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["recall_by_kind"]["direct"] == 1.0 and report["skipped"] == []
    assert "Brightwater" not in (tmp_path / "r.json").read_text(encoding="utf-8")


def test_evaluate_realnews_refuses_paths_and_a_second_set(tmp_path):
    directory = _write_set(tmp_path / "set")
    result = runner.invoke(app, ["evaluate", "extraction", "seeds", "--realnews", str(directory)])
    assert result.exit_code == 1 and "--realnews reads the folder's own articles" in result.output
    result = runner.invoke(app, ["evaluate", "extraction", "--realnews", str(directory), "--polnear", str(directory)])
    assert result.exit_code == 1 and "give one of them" in result.output


@pytest.mark.skipif(not (REALNEWS / "score.py").is_file(), reason="realnews set not at ../shared/realnews")
def test_figures_equal_the_shared_score_py_on_dev(monkeypatch, tmp_path):
    seen = {}
    original = realnews.score_realnews

    def keep(predictions, data):
        seen["predictions"] = list(predictions)
        return original(seen["predictions"], data)

    monkeypatch.setattr(realnews, "score_realnews", keep)
    result = runner.invoke(app, ["evaluate", "extraction", "--realnews", str(REALNEWS), "--split", "dev",
                                 "--json", str(tmp_path / "dev.json"), "--no-errors"])
    assert result.exit_code == 0, result.output
    ours = json.loads((tmp_path / "dev.json").read_text(encoding="utf-8"))
    predictions = tmp_path / "pred.jsonl"
    predictions.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in seen["predictions"]), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("realnews_score", REALNEWS / "score.py")
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    out = io.StringIO()
    monkeypatch.setattr("sys.argv", ["score.py", "extraction", str(predictions), "--split", "dev"])
    with redirect_stdout(out):
        reference.main()
    theirs = json.loads(out.getvalue())
    assert theirs["pred"] > 100
    assert {k: ours[k] for k in theirs} == theirs


@pytest.mark.parametrize("gold,predicted,kind", [
    ("Jane Doe", "unknown", "unknown although named"),
    ("Jane Doe", "Reuters", "outlet"),
    ("Jane Doe", "Greenland", "place or country"),
    ("Jane Doe", "Jane Doe BRUSSELS", "dateline or pronoun glued"),
    ("Government of Japan", "Jane Doe", "body or group"),
    ("Jane Doe and John Roe", "John Roe", "body or group"),
    ("Jane Doe", "Jane Doe-Smith", "name variant"),
    ("Jane Doe", "John Roe", "another person"),
])
def test_wrong_speakers_are_sorted_by_kind(gold, predicted, kind):
    from stance.evaluate.realnews import speaker_error_kind

    assert speaker_error_kind(gold, predicted) == kind
