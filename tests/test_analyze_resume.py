"""`stance analyze` with the tiny model: resuming after Ctrl-C mid-classification, relabelling by a new model."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stance.cli import app
from _tiny import trained_tiny

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for path in sorted((ROOT / "seeds").glob("00[01]_*.txt")):
        shutil.copy(path, folder / path.name)
    return folder


def _predictions(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as con:
        return dict(con.execute("SELECT model_id, COUNT(*) FROM predictions GROUP BY model_id").fetchall())


def _statements(db: Path) -> int:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT COUNT(*) FROM statements").fetchone()[0]


def _articles(db: Path) -> list[str]:
    with sqlite3.connect(db) as con:
        return [r[0] for r in con.execute("SELECT id FROM articles ORDER BY id")]


def test_ctrl_c_mid_classification_keeps_batches_and_resumes(corpus, tmp_path, monkeypatch):
    import stance.engine
    from stance.classify import Classifier, read_meta

    model_id = read_meta(trained_tiny())["model_id"]
    monkeypatch.setattr(stance.engine, "CHUNK", 1)  # one article per committed chunk
    real_predict, calls = Classifier.predict, []

    def second_chunk_interrupted(self, statements, *args, **kwargs):
        calls.append(len(statements))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_predict(self, statements, *args, **kwargs)

    monkeypatch.setattr(Classifier, "predict", second_chunk_interrupted)
    db, out = tmp_path / "s.db", tmp_path / "reports"
    args = ["analyze", str(corpus), "--model", str(trained_tiny()), "--db", str(db), "--out", str(out), "--workers", "0"]
    result = runner.invoke(app, args)
    assert result.exit_code == 130, result.output
    assert "Traceback" not in result.output
    assert "run the same command again to resume" in result.output
    (first,) = _articles(db)  # the first chunk was committed with its predictions, the second not at all
    assert _statements(db) == calls[0] > 0
    assert _predictions(db) == {model_id: calls[0]}
    assert not out.exists()

    monkeypatch.setattr(Classifier, "predict", real_predict)
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "(1 new, 0 changed, 1 unchanged)" in result.output
    total = _statements(db)
    assert f"{total - calls[0]} found this run, {total - calls[0]} labelled by {model_id}; {total} in the store" in result.output
    assert len(_articles(db)) == 2 and first in _articles(db)
    assert _predictions(db) == {model_id: total}
    positions = json.loads((out / "positions.json").read_text(encoding="utf-8"))
    assert positions["model_id"] == model_id


def test_new_model_relabels_the_store_through_analyze(corpus, tmp_path):
    from stance.classify import read_meta

    first_id = read_meta(trained_tiny())["model_id"]
    second = tmp_path / "second"
    shutil.copytree(trained_tiny(), second)
    meta = json.loads((second / "stance_model.json").read_text())
    meta["model_id"] = "second@000000000000"
    (second / "stance_model.json").write_text(json.dumps(meta))
    db, out = tmp_path / "s.db", tmp_path / "reports"

    result = runner.invoke(app, ["analyze", str(corpus), "--model", str(trained_tiny()), "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    total = _statements(db)
    assert _predictions(db) == {first_id: total}
    result = runner.invoke(app, ["analyze", str(corpus), "--model", str(second), "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"0 found this run, {total} labelled by second@000000000000" in result.output
    assert _predictions(db) == {first_id: total, "second@000000000000": total}  # the old labels are kept
    assert json.loads((out / "positions.json").read_text(encoding="utf-8"))["model_id"] == "second@000000000000"
    result = runner.invoke(app, ["report", "--db", str(db), "--out", str(tmp_path / "again")])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "again" / "positions.json").read_text())["model_id"] == "second@000000000000"
    # going back to the first model labels nothing again
    result = runner.invoke(app, ["analyze", str(corpus), "--model", str(trained_tiny()), "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"0 found this run, 0 labelled by {first_id}" in result.output
    assert json.loads((out / "positions.json").read_text(encoding="utf-8"))["model_id"] == first_id
