"""`stance agreement`: two annotators on the same statements, checked against figures worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from stance.cli import app

runner = CliRunner()

A = [
    {"id": "s1", "text": "We will defend every ally.", "speaker": "Jane Roe", "target": "Article 5", "stance": "support"},
    {"id": "s2", "text": "Only if they pay.", "speaker": "Jane Roe", "target": "Article 5", "stance": "conditional"},
    {"id": "s3", "text": "Trade talks resume.", "speaker": "John Poe", "target": "none", "stance": "none"},
    {"id": "s4", "text": "Is the alliance worth it?", "speaker": "John Poe", "target": "NATO", "stance": "doubt"},
]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_agreement_by_id_with_kappa_alpha_and_disagreements(tmp_path):
    first = _write(tmp_path / "a.jsonl", A)
    # B in another order (paired by id), one stance and one speaker differ
    second = _write(tmp_path / "b.jsonl", [
        {**A[3]}, {**A[2], "speaker": "unknown"}, {**A[1], "stance": "doubt", "why": "reads as a rejection"}, {**A[0]},
    ])
    out = tmp_path / "agreement.json"
    result = runner.invoke(app, ["agreement", str(first), str(second), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 of 4 statements disagree" in result.output
    report = json.loads(out.read_text())
    assert report["fields"] == ["speaker", "target", "stance"]
    assert report["target"]["percent_agreement"] == 100.0
    assert report["target"]["cohen_kappa"] == 1.0 and report["target"]["krippendorff_alpha"] == 1.0
    stance = report["stance"]
    assert stance["percent_agreement"] == 75.0
    # By hand: A = S,C,N,D; B = S,D,N,D. p_o = 3/4; p_e = (1·1 + 1·0 + 1·1 + 1·2)/16 = 4/16; kappa = (0.75-0.25)/0.75
    assert stance["cohen_kappa"] == round(2 / 3, 4)
    # Krippendorff (nominal, 2 coders, 8 values): D_o = 2/8, D_e = 1 - (2·1+1·0+2·1+3·2)/(8·7) = 46/56; alpha = 1 - D_o/D_e
    assert stance["krippendorff_alpha"] == round(1 - (2 / 8) / (46 / 56), 4)
    assert stance["confusion_pairs"] == [{"a": "conditional", "b": "doubt", "count": 1}]
    assert report["speaker"]["confusion_pairs"] == [{"a": "John Poe", "b": "unknown", "count": 1}]
    assert [d["id"] for d in report["disagreements"]] == ["s2", "s3"]
    assert report["disagreements"][0]["why"] == "reads as a rejection"


def test_agreement_by_position_when_second_holds_labels_only(tmp_path):
    first = _write(tmp_path / "a.jsonl", [{k: v for k, v in r.items() if k != "id"} for r in A])
    second = _write(tmp_path / "b.jsonl", [{"target": r["target"], "stance": r["stance"]} for r in A])
    result = runner.invoke(app, ["agreement", str(first), str(second)])
    assert result.exit_code == 0, result.output
    assert "stance: 100.0% agree" in result.output and "speaker" not in result.output
    assert "0 of 4 statements disagree" in result.output


def test_agreement_rejects_row_count_mismatch(tmp_path):
    first = _write(tmp_path / "a.jsonl", [{"text": "x", "target": "NATO", "stance": "support"}] * 2)
    second = _write(tmp_path / "b.jsonl", [{"target": "NATO", "stance": "support"}])
    result = runner.invoke(app, ["agreement", str(first), str(second)])
    assert result.exit_code == 1
    assert "found 1 row(s); expected one per row of" in result.output


def test_agreement_rejects_a_label_not_in_the_config(tmp_path):
    first = _write(tmp_path / "a.jsonl", A)
    second = _write(tmp_path / "b.jsonl", [*A[:3], {**A[3], "stance": "hostile"}])
    result = runner.invoke(app, ["agreement", str(first), str(second)])
    assert result.exit_code == 1
    assert "b.jsonl:4" in result.output and "hostile" in result.output


def test_agreement_pairs_by_article_and_text_and_counts_the_rest(tmp_path):
    no_ids = [{k: v for k, v in r.items() if k != "id"} | {"article": "a1"} for r in A]
    first = _write(tmp_path / "a.jsonl", no_ids)
    second = _write(tmp_path / "b.jsonl", [no_ids[2], no_ids[0], {**no_ids[1], "text": "Another statement."}])
    result = runner.invoke(app, ["agreement", str(first), str(second)])
    assert result.exit_code == 0, result.output
    assert "0 of 2 statements disagree" in result.output
    assert "not compared: 2 statement(s) only in A, 1 only in B" in result.output
