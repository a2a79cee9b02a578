"""Report files (md, json, csv, html) and the `stance report` command."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.errors import StanceError
from stance.records import Article, Prediction, Statement
from stance.report.writers import write_reports, write_store_reports
from stance.store import Store

QUOTE = "If they don't pay, we won't protect them. No, we won't protect them."
CURLY = "“If they don’t pay, we won’t protect them. No, we won’t protect them.”"
EXCERPT = "If they don't pay, we won't protect them"
EVIL = 'NATO is <script>alert("x")</script> & "obsolete"'

# (article id, date, precision, [(speaker, text, target, stance)])
ARTICLES = [
    ("a1", "2024-02-12", "day", [("Donald Trump", "We defend them only if they pay, period, no exceptions.", "Article 5", "conditional")]),
    ("a2", "2025-03-07", "day", [("Donald Trump", CURLY, "Article 5", "conditional"),
                                 ("Donald Trump", "Tariffs are a very beautiful word.", "none", "none")]),
    ("a3", "2025-03-07", "day", [("Donald Trump", QUOTE, "Article 5", "conditional")]),
    ("a4", "2025-03-08", "day", [("Donald Trump", EXCERPT, "Article 5", "conditional")]),
    ("a5", "2026-01", "month", [("Donald Trump", "I doubt they would ever be there for us.", "Article 5", "doubt"),
                                ("Donald Trump", EVIL, "NATO", "doubt"),
                                ("unknown", "The alliance has never been stronger.", "NATO", "support")]),
    ("a6", None, None, [("Mark Rutte", "Article 5 is rock solid for every ally.", "Article 5", "support")]),
]


def make_store(path, model_id="m1"):
    with Store(path) as store:
        labels = {}
        for article_id, date, precision, statements in ARTICLES:
            article = Article(id=article_id, text="...", content_hash=article_id, date=date, date_precision=precision,
                              source="Wire" if article_id == "a1" else None)
            records = [Statement(article=article_id, speaker=sp, speaker_mention=sp, text=text, kind="direct",
                                 start=i * 100, end=i * 100 + len(text), context="", date=date, date_precision=precision)
                       for i, (sp, text, _, _) in enumerate(statements)]
            ids = store.replace_article(article, records)
            labels.update({sid: (t, s) for sid, (_, _, t, s) in zip(ids, statements)})
        store.add_predictions(model_id, [
            (sid, Prediction(target=labels[sid][0], stance=labels[sid][1], target_probs={labels[sid][0]: 0.9},
                             stance_probs={labels[sid][1]: 0.8}))
            for sid, _ in [pair for page in store.pages_needing_prediction(model_id) for pair in page]
        ])
    return path


def test_store_reports_write_every_file_and_they_parse(tmp_path):
    db = make_store(tmp_path / "s.db")
    paths = write_store_reports(db, tmp_path / "out").paths
    assert [p.name for p in paths] == ["report.md", "positions.json", "statements.csv", "report.html"]
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    assert not list((tmp_path / "out").glob("*.tmp"))

    data = json.loads((tmp_path / "out" / "positions.json").read_text(encoding="utf-8"))
    article5 = next(p for p in data["positions"] if p["actor"] == "Donald Trump" and p["target"] == "Article 5")
    assert set(article5) >= {"actor", "target", "periods", "distribution", "latest", "changes", "evidence"}
    assert [c["text"] for c in article5["changes"]] == [
        "Donald Trump on Article 5: conditional (2025-03) → doubt (2026-01)"]
    merged = [e for e in article5["evidence"] if len(e["sources"]) == 3]
    assert len(merged) == 1 and [s["article"] for s in merged[0]["sources"]] == ["a2", "a3", "a4"]
    assert article5["latest"]["stance"] == "doubt"
    rutte = next(p for p in data["positions"] if p["actor"] == "Mark Rutte")
    assert rutte["periods"][0]["period"] == "undated" and rutte["evidence"][0]["date"] is None
    assert len(data["unknown_speaker"]) == 1

    with (tmp_path / "out" / "statements.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 9  # every statement, none-target and unknown speaker included
    assert {r["utterance_articles"] for r in rows if r["article"] in ("a2", "a3", "a4") and r["target"] != "none"} == {"a2;a3;a4"}
    assert any(r["target"] == "none" for r in rows)
    assert next(r for r in rows if r["article"] == "a6")["date"] == "undated"

    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "## Donald Trump" in md and "### Donald Trump on Article 5" in md and "## Unknown speaker" in md
    assert "Donald Trump on Article 5: conditional (2025-03) → doubt (2026-01)" in md
    assert "`a2` (2025-03-07); `a3` (2025-03-07); `a4` (2025-03-08)" in md
    assert "not aggregated into positions" in md
    assert "| undated |" in md


def test_html_is_self_contained_and_escaped(tmp_path):
    db = make_store(tmp_path / "s.db")
    write_store_reports(db, tmp_path / "out").paths
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") == 3  # Trump x Article 5, Trump x NATO, Rutte x Article 5
    assert "<title>" in html and "<circle" in html
    # self-contained: no link, no URL, and the only script is the page's own filter (inline, no src)
    assert not re.search(r"<link|https?://|<script[^>]*src", html, re.IGNORECASE)
    assert html.count("<script>") == 1 and "actor-filter" in html.split("<script>")[1]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;obsolete&quot;" in html
    assert "undated" in html


def test_write_reports_from_rows(tmp_path):
    rows = [{"statement_id": 1, "article": "x", "speaker": "Donald Trump", "text": "We are with NATO all the way.",
             "date": "2025-01-02", "date_precision": "day", "target": "NATO", "stance": "support"}]
    paths = write_reports(rows, tmp_path / "r", period="year")
    assert json.loads(paths[1].read_text(encoding="utf-8"))["positions"][0]["periods"][0]["period"] == "2025"
    with pytest.raises(StanceError, match="is a file"):
        write_reports(rows, paths[0])


def test_cli_report(tmp_path, monkeypatch):
    make_store(tmp_path / "stance.db")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["report"])  # default --db stance.db and --out reports
    assert result.exit_code == 0, result.output
    assert "Donald Trump on Article 5: conditional (2025-03) → doubt (2026-01)" in result.output
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "positions.json", "report.html", "report.md", "statements.csv"]

    result = runner.invoke(app, ["report", "--out", "only", "--actor", "rutte", "--period", "year"])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "only" / "positions.json").read_text(encoding="utf-8"))
    assert [p["actor"] for p in data["positions"]] == ["Mark Rutte"]

    result = runner.invoke(app, ["report", "--since", "2025-03", "--until", "2025-03-31", "--target", "article 5"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("args, message", [
    (["--since", "last week"], "is not a date"),
    (["--until", "2025-02-30"], "is not a date"),
    (["--actor", "Obama"], "no speaker matches"),
    (["--db", "missing.db"], "no such database"),
])
def test_cli_report_errors(tmp_path, monkeypatch, args, message):
    make_store(tmp_path / "stance.db")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["report", *args])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_cli_report_period_is_checked_by_typer(tmp_path, monkeypatch):
    make_store(tmp_path / "stance.db")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["report", "--period", "week"])
    assert result.exit_code == 2 and not (tmp_path / "reports").exists()
    assert "'week' is not one of 'day', 'month', 'year'" in " ".join(result.output.replace("│", " ").split())


def test_cli_report_empty_and_corrupt_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Store(tmp_path / "empty.db").close()
    result = CliRunner().invoke(app, ["report", "--db", "empty.db"])
    assert result.exit_code == 1 and "no statements" in result.output and "stance analyze" in result.output
    (tmp_path / "bad.db").write_bytes(b"garbage" * 1000)
    result = CliRunner().invoke(app, ["report", "--db", "bad.db"])
    assert result.exit_code == 1 and "bad.db: not a readable stance database" in result.output


def test_cli_report_does_not_import_torch(tmp_path):
    make_store(tmp_path / "stance.db")
    code = ("import sys; from typer.testing import CliRunner; from stance.cli import app; "
            "r = CliRunner().invoke(app, ['report']); assert r.exit_code == 0, r.output; "
            "heavy = [m for m in ('torch', 'transformers') if m in sys.modules]; print(heavy); sys.exit(2 if heavy else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_html_opens_with_a_matrix_of_latest_positions_linking_to_sections(tmp_path):
    db = make_store(tmp_path / "s.db")
    write_store_reports(db, tmp_path / "out").paths
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    matrix = html.split('<table class="matrix">')[1].split("</table>")[0]
    assert html.index('class="matrix"') < html.index("<h2>Changes</h2>")  # the first thing after the summary
    # Trump's latest on Article 5 is doubt (2026-01), one utterance at 0.8; Rutte's undated support
    trump = matrix.split('<tr data-actor="Donald Trump">')[1].split("</tr>")[0]
    assert '<a href="#pos-donald-trump-article-5"' in trump and "doubt</a>" in trump
    article5 = trump.split("<td")[1]
    assert "0.80 · 3 utt. · 0% reviewed" in article5  # 3 utterances: a1, the one quote reported by a2-a4, a5
    assert 'id="pos-donald-trump-article-5"' in html and 'id="pos-mark-rutte-article-5"' in html
    assert '<select id="actor-filter">' in html and '<option value="Mark Rutte">' in html


def test_matrix_marks_positions_resting_only_on_low_confidence_labels(tmp_path):
    from stance.report.cells import MatrixCell
    from stance.report.html import Palette, matrix_html
    from stance.track.records import Evidence, Latest, PeriodEntry, Position

    timeline = [Evidence(utterance=uid, date="2025-01-10", date_precision="day", stance="doubt", confidence=conf,
                         quote="They will not come.", sources=[]) for uid, conf in (("u1", 0.41), ("u2", 0.45))]
    position = Position(actor="A", target="NATO", counts={"doubt": 2}, distribution={"doubt": 1.0},
                        periods=[PeriodEntry("2025-01", {"doubt": 2}, {"doubt": 1.0}, "doubt", ["doubt"], False,
                                             ["u1", "u2"])],
                        undated=None, latest=Latest("2025-01", "doubt", False, {"doubt": 1.0}, timeline[1]),
                        changes=[], tentative_changes=[], timeline=timeline)

    def matrix_html_of(stances):
        return matrix_html([("A", {"NATO": MatrixCell.of(position)})], ["NATO"], ["A"], Palette(stances))

    assert 'class="weak"' in matrix_html_of(["support", "doubt"]) and "doubt?</a>" in matrix_html_of(["doubt"])
    timeline[1].confidence = 0.9
    assert 'class="weak"' not in matrix_html_of(["doubt"])
    timeline[1].confidence, timeline[1].human = 0.3, True  # a person's label is not weak evidence
    html = matrix_html_of(["doubt"])
    assert 'class="weak"' not in html and "50% reviewed" in html
