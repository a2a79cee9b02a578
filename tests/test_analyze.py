"""End-to-end: `stance analyze` on the seeds with a small, quickly trained real model."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from stance.cli import app

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
runner = CliRunner()


@pytest.fixture(scope="module")
def seed_model(tmp_path_factory) -> Path:
    """all-MiniLM-L6-v2 fine-tuned briefly on the seed labels and the composed supplement."""
    from stance.config import train_config_from_dict
    from stance.train import train

    out = tmp_path_factory.mktemp("seed-model") / "model"
    config = train_config_from_dict({"epochs": 2, "max_length": 48, "batch_size": 32, "learning_rate": 2e-4,
                                     "use_context": False,
                                     "data": [str(SEEDS / "labels.jsonl"), str(SEEDS / "extra" / "composed.jsonl")]})
    train(config, out, progress=False)
    return out


@pytest.fixture(scope="module")
def first_run(seed_model, tmp_path_factory):
    work = tmp_path_factory.mktemp("analyze")
    db, out = work / "stance.db", work / "reports"
    result = runner.invoke(app, ["analyze", str(SEEDS), "--model", str(seed_model), "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result, db, out


def _store_counts(db: Path) -> tuple[int, int, int]:
    with sqlite3.connect(db) as con:
        return tuple(con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("articles", "statements", "predictions"))


def test_reports_exist_and_parse(first_run):
    result, db, out = first_run
    assert "Articles: 5 read (5 new" in result.output
    positions = json.loads((out / "positions.json").read_text(encoding="utf-8"))
    rows = list(csv.DictReader((out / "statements.csv").open(encoding="utf-8")))
    assert len(rows) == _store_counts(db)[1] > 50
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "http://" not in html and "https://" not in html
    markdown = (out / "report.md").read_text(encoding="utf-8")
    # every statement in the CSV carries the label the store holds for it
    with sqlite3.connect(db) as con:
        stored = {str(sid): (target, stance, model) for sid, target, stance, model in
                  con.execute("SELECT statement, target, stance, model_id FROM predictions")}
    assert {r["statement_id"]: (r["target"], r["stance"], r["model_id"]) for r in rows} == stored
    assert positions["model_id"] == rows[0]["model_id"]
    # each position counts its actor's utterances on its target, and quotes only statements of the store
    assert positions["positions"]
    texts = {r["text"] for r in rows}
    for p in positions["positions"]:
        utterances = {r["utterance_id"] for r in rows if r["speaker"] == p["actor"] and r["utterance_target"] == p["target"]}
        assert sum(p["counts"].values()) == len(utterances), (p["actor"], p["target"])
        assert all(e["quote"] in texts for e in p["evidence"])
        assert p["actor"] in markdown and p["actor"] in html


def test_trump_positions_cover_three_targets(first_run):
    _, _, out = first_run
    positions = json.loads((out / "positions.json").read_text(encoding="utf-8"))
    entries = positions["positions"]
    trump_targets = {p["target"] for p in entries if p["actor"] == "Donald Trump"}
    assert {"Article 5", "NATO", "Japan treaty"} <= trump_targets


def test_thrice_reported_quote_is_one_utterance_with_three_sources(first_run):
    _, _, out = first_run
    rows = list(csv.DictReader((out / "statements.csv").open(encoding="utf-8")))
    pay = [r for r in rows if "If they don" in r["text"] and "going to defend them" in r["text"]]
    assert {r["article"][:3] for r in pay} == {"000", "001", "002"}
    assert len({r["utterance_id"] for r in pay}) == 1
    assert pay[0]["utterance_sources"] == "3"
    assert {a[:3] for a in pay[0]["utterance_articles"].split(";")} == {"000", "001", "002"}


def test_second_run_adds_nothing(first_run, seed_model):
    _, db, out = first_run
    before = _store_counts(db)
    result = runner.invoke(app, ["analyze", str(SEEDS), "--model", str(seed_model), "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "5 unchanged" in result.output and "0 found this run, 0 labelled" in result.output
    assert _store_counts(db) == before


def test_changed_article_replaces_its_statements(seed_model, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus, ignore=shutil.ignore_patterns("extra", "labels.jsonl"))
    db = tmp_path / "s.db"
    args = ["analyze", str(corpus), "--model", str(seed_model), "--db", str(db), "--out", str(tmp_path / "r")]
    assert runner.invoke(app, args).exit_code == 0
    article = corpus / "004_46592923fb3c0e31.txt"
    article.write_text(article.read_text(encoding="utf-8") + '\n"We will not sell," the mayor of Nuuk said.\n', encoding="utf-8")
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "1 changed" in result.output
    with sqlite3.connect(db) as con:
        texts = [r[0] for r in con.execute("SELECT text FROM statements WHERE article LIKE '004%'")]
    assert "We will not sell," in texts or "We will not sell" in texts
    assert len(texts) == len(set(texts))


def test_bad_input_and_corrupt_db(seed_model, tmp_path):
    result = runner.invoke(app, ["analyze", str(tmp_path / "missing"), "--model", str(seed_model)])
    assert result.exit_code == 1
    assert "missing: no such file or directory" in result.output
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not a database" * 100)
    result = runner.invoke(app, ["analyze", str(SEEDS / "000_bf9abceab3bffed9.txt"), "--model", str(seed_model),
                                 "--db", str(corrupt), "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "corrupt.db" in result.output and "Traceback" not in result.output


def test_report_rebuilds_from_store_with_filters(first_run, tmp_path):
    _, db, _ = first_run
    out = tmp_path / "filtered"
    result = runner.invoke(app, ["report", "--db", str(db), "--out", str(out), "--actor", "Donald Trump",
                                 "--period", "year"])
    assert result.exit_code == 0, result.output
    positions = json.loads((out / "positions.json").read_text(encoding="utf-8"))
    entries = positions["positions"]
    assert entries and {p["actor"] for p in entries} == {"Donald Trump"}
    assert all(p["period"] == "undated" or len(p["period"]) == 4 for e in entries for p in e["periods"])  # --period year


def test_default_config_is_valid_yaml():
    from stance.config import load_train_config

    raw = yaml.safe_load((ROOT / "configs" / "default.yaml").read_text(encoding="utf-8"))
    config = load_train_config(ROOT / "configs" / "default.yaml")  # the validation `stance train` runs
    assert config.method == raw["method"] == "embed"
    assert all(config.resolve(p).is_file() for p in config.data + config.features)


def test_choices_are_checked_before_any_work(tmp_path):
    """A wrong --period, --engine or --device stops at once: no store, no reports."""
    from pathlib import Path

    from typer.testing import CliRunner

    from stance.cli import app

    seeds = Path(__file__).resolve().parent.parent / "seeds"
    db = tmp_path / "s.db"
    for option, value, listed in (("--period", "week", "'day', 'month', 'year'"), ("--engine", "spark", "'local', 'ray'"),
                                  ("--device", "tpu", "'auto', 'cpu', 'cuda', 'mps'")):
        result = CliRunner().invoke(app, ["analyze", str(seeds), "--db", str(db), option, value])
        assert result.exit_code == 2, result.output
        assert f"'{value}' is not one of {listed}" in " ".join(result.output.replace("│", " ").split())
        assert not db.exists()


def test_an_unknown_engine_is_a_stance_error_in_the_library(tmp_path):
    import pytest

    from stance.engine import make_engine
    from stance.errors import StanceError

    with pytest.raises(StanceError, match="unknown engine 'spark'; expected one of local, ray"):
        make_engine("spark", tmp_path)
