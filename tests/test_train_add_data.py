"""`stance train --add-data / --db`: reviewed labels added to the configured data, each counting human_weight times."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from _tiny import tiny_config, toy_rows, write_jsonl
from stance.cli import app
from stance.records import Article, Prediction, Statement
from stance.store import Store
from stance.store import Review

runner = CliRunner()

REVIEWED = [  # a filled-in review queue: extra fields are the queue's and are ignored
    {"id": 1, "article": "x", "speaker": "Jane Roe", "text": "We stand with every ally, whatever happens.",
     "context": "", "target": "Article 5", "stance": "support", "target_probs": {"NATO": 0.6}, "priority": 0.4},
    {"id": 2, "article": "x", "speaker": "Jane Roe", "text": "The school board meets on Tuesday.",
     "context": "", "target": "none", "stance": "none", "target_probs": {"NATO": 0.5}, "priority": 0.5},
]


def test_add_data_adds_weighted_rows_and_records_them(tmp_path):
    base = write_jsonl(tmp_path / "base.jsonl", toy_rows())
    config = tiny_config(tmp_path, data=[str(base)], human_weight=3)
    reviewed = write_jsonl(tmp_path / "queue.jsonl", REVIEWED)
    result = runner.invoke(app, ["train", "--config", str(config), "--add-data", str(reviewed), "--output", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert "2 human label(s) × 3" in result.output
    meta = json.loads((tmp_path / "m" / "stance_model.json").read_text())
    assert (meta["human_labels"], meta["human_weight"]) == (2, 3)
    assert meta["added_from"] == [str(reviewed)]
    assert meta["data_fingerprint"]["rows"] == len(toy_rows()) + 2 * 3  # added to the data, not replacing it


def test_db_takes_the_stores_reviewed_labels(tmp_path):
    base = write_jsonl(tmp_path / "base.jsonl", toy_rows())
    config = tiny_config(tmp_path, data=[str(base)], human_weight=2)
    db = tmp_path / "s.db"
    with Store(db) as store:
        ids = store.replace_article(Article(id="a", text="...", content_hash="a"), [
            Statement(article="a", speaker="X", speaker_mention="X", text=t, kind="direct", start=i, end=i + 1, context="")
            for i, t in enumerate(["Greenland is ours to decide.", "Nice weather today.", "Not a quote at all."])])
        store.add_predictions("m", [(i, Prediction(target="NATO", stance="support")) for i in ids])
        store.save_reviews([Review(ids[0], "kim", "t", target="Greenland", stance="doubt"),
                            Review(ids[1], "kim", "t", target="none", stance="none"),
                            Review(ids[2], "kim", "t", is_statement=False)])
    result = runner.invoke(app, ["train", "--config", str(config), "--db", str(db), "--output", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "m" / "stance_model.json").read_text())
    assert meta["human_labels"] == 2  # the non-statement is not a training row
    assert meta["data_fingerprint"]["rows"] == len(toy_rows()) + 2 * 2


def test_db_without_reviews_is_a_clear_error(tmp_path):
    config = tiny_config(tmp_path, data=[str(write_jsonl(tmp_path / "base.jsonl", toy_rows()))])
    db = tmp_path / "s.db"
    Store(db).close()
    result = runner.invoke(app, ["train", "--config", str(config), "--db", str(db), "--output", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "no reviewed statements in the store" in result.output


def test_human_weight_must_be_a_positive_integer(tmp_path):
    config = tiny_config(tmp_path, human_weight=0)
    result = runner.invoke(app, ["train", "--config", str(config), "--output", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "human_weight must be a positive integer, found 0" in result.output
