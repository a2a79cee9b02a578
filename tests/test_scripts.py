"""The measurement scripts under scripts/ that need no trained model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_agreement_scores_and_lists_disagreements(tmp_path):
    reference = _write(tmp_path / "a.jsonl", [
        {"text": "We will defend every ally.", "target": "Article 5", "stance": "support"},
        {"text": "Only if they pay.", "target": "Article 5", "stance": "conditional"},
        {"text": "Trade talks resume.", "target": "none", "stance": "none"},
        {"text": "Is the alliance worth it?", "target": "NATO", "stance": "doubt"},
    ])
    second = _write(tmp_path / "b.jsonl", [
        {"line": 1, "target": "Article 5", "stance": "support"},
        {"line": 2, "target": "Article 5", "stance": "doubt", "why": "reads as a rejection"},
        {"line": 3, "target": "none", "stance": "none"},
        {"line": 4, "target": "NATO", "stance": "doubt"},
    ])
    out = tmp_path / "agreement.json"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "agreement.py"), str(reference), str(second), "--json", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "1 of 4 statements disagree" in result.stdout
    report = json.loads(out.read_text())
    assert report["target"]["macro_f1"] == 1.0 and report["target"]["cohen_kappa"] == 1.0
    assert report["stance"]["accuracy"] == 0.75
    assert report["disagreements"] == [{"line": 2, "text": "Only if they pay.", "reference": ["Article 5", "conditional"],
                                        "second": ["Article 5", "doubt"], "why": "reads as a rejection"}]


def test_agreement_rejects_row_count_mismatch(tmp_path):
    reference = _write(tmp_path / "a.jsonl", [{"text": "x", "target": "NATO", "stance": "support"}] * 2)
    second = _write(tmp_path / "b.jsonl", [{"target": "NATO", "stance": "support"}])
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "agreement.py"), str(reference), str(second)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "found 1 row(s); expected one per row" in result.stderr
