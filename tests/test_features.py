"""Statements kept as features without text: saving, training on them, heads-only models, the shipped model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.config import load_labels, load_train_config
from stance.errors import StanceError
from _tiny import tiny_config, toy_rows, write_jsonl

runner = CliRunner()


def _minilm_config(tmp: Path, **extra) -> Path:
    """The verified MiniLM base cut to one layer: real digests, seconds to encode the toy set."""
    settings = {"base_model": "default", "method": "embed", "encoder_layers": 1, "head_c": 1.0, "tfidf_weight": 0.5,
                "tfidf_ngrams": 1, **extra}
    return tiny_config(tmp, **settings)


def _feature_set(tmp: Path, rows: list[dict], config):
    from stance.classify.embedhead import embeddings, frozen_encoder
    from stance.classify.features import build_features

    model, tokenizer, base = frozen_encoder(config, load_labels())
    x = embeddings(model, tokenizer, rows, config)
    return build_features(rows, x, config, base["sha256"]["model.safetensors"], {"source": "toy"}, min_df=1), x


def test_word_counts_train_the_same_tfidf_as_their_texts():
    from stance.classify.lexical import fit_lexical, word_counts

    rows = toy_rows()
    texts = [r["text"] for r in rows]
    labels = {t: [r[t] for r in rows] for t in ("target", "stance")}
    from_texts = fit_lexical(texts, labels, ngrams=1)
    from_counts = fit_lexical([], labels, ngrams=1, counts=word_counts(texts))
    probe = ["We fully stand behind the pact with Tokyo.", "The budget vote was delayed again."]
    for task in ("target", "stance"):
        order = sorted(set(labels[task]))
        assert np.allclose(from_texts.probabilities(probe, task, order), from_counts.probabilities(probe, task, order), atol=1e-6)
    counts, words = word_counts(probe, sorted(from_texts.vectorizer.vocabulary_))
    assert np.allclose(from_texts.count_probabilities(counts, words, "stance", sorted(set(labels["stance"]))),
                       from_texts.probabilities(probe, "stance", sorted(set(labels["stance"]))), atol=1e-6)
    with pytest.raises(StanceError, match="tfidf_ngrams: 1"):
        fit_lexical([], labels, ngrams=2, counts=word_counts(texts))


def test_feature_set_round_trips_and_keeps_no_text(tmp_path):
    from stance.classify.features import load_features

    config = load_train_config(_minilm_config(tmp_path))
    rows = [{**r, "article": f"a{i % 3}"} for i, r in enumerate(toy_rows())]
    features, x = _feature_set(tmp_path, rows, config)
    path = features.save(tmp_path / "toy.features.safetensors")
    back = load_features(path)
    assert back.target == [r["target"] for r in rows] and back.stance == [r["stance"] for r in rows]
    assert back.group == [i % 3 for i in range(len(rows))]
    assert np.allclose(back.x, x, atol=1e-2)  # float16 on disk
    assert (back.counts != features.counts).nnz == 0 and back.vocabulary == features.vocabulary
    raw = path.read_bytes()
    assert b"stand behind" not in raw and b"Tariffs on steel" not in raw  # words, never their sentences
    with pytest.raises(StanceError, match="not a stance feature set"):
        load_features(write_jsonl(tmp_path / "x.features.safetensors", rows))


def test_training_on_features_alone_learns_what_the_text_taught(tmp_path):
    """A model trained on the toy set's features (no text) predicts the toy set as well as one trained on its text."""
    from stance.classify import load_classifier

    rows = [{**r, "article": f"a{i % 7}"} for i, r in enumerate(toy_rows(repeat=2))]
    config = load_train_config(_minilm_config(tmp_path))
    features, _ = _feature_set(tmp_path, rows, config)
    stored = features.save(tmp_path / "toy.features.safetensors")
    # the config's own data: a handful of off-topic rows only, so the targets come from the features
    few = write_jsonl(tmp_path / "few.jsonl", [r for r in toy_rows() if r["target"] == "none"])
    cfg = _minilm_config(tmp_path, features=[str(stored)])
    result = runner.invoke(app, ["train", "--config", str(cfg), "--data", str(few), "--output", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "m" / "stance_model.json").read_text())
    assert meta["features"][0]["statements"] == len(rows) and meta["features"][0]["source"] == "toy"
    assert meta["weights"] == "heads.safetensors"
    assert not (tmp_path / "m" / "model.safetensors").exists()  # the encoder comes from its package
    clf = load_classifier(tmp_path / "m")
    probe = toy_rows()
    preds = clf.predict(probe)
    assert sum(p.target == r["target"] for p, r in zip(preds, probe)) / len(probe) > 0.8
    assert clf.temperature and all(t > 0 for t in clf.temperature.values())
    cal = json.loads((tmp_path / "m" / "metrics.json").read_text())["calibration"]
    assert cal["fitted_on"] == len(rows) + 4  # the rows not composed: the stored ones and the four off-topic rows


def test_features_from_another_encoder_are_refused(tmp_path):
    config = load_train_config(_minilm_config(tmp_path))
    features, _ = _feature_set(tmp_path, toy_rows(), config)
    stored = features.save(tmp_path / "toy.features.safetensors")
    data = write_jsonl(tmp_path / "toy.jsonl", toy_rows())
    other = _minilm_config(tmp_path, features=[str(stored)], encoder_layers=2)
    result = runner.invoke(app, ["train", "--config", str(other), "--data", str(data), "--output", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "computed with other input settings than the config's: encoder_layers 1 (config: 2)" in result.output
    finetune = tiny_config(tmp_path, features=[str(stored)])
    result = runner.invoke(app, ["train", "--config", str(finetune), "--data", str(data), "--output", str(tmp_path / "m")])
    assert result.exit_code == 1 and "features (statements kept as frozen-encoder features) need method embed" in result.output


def test_heads_only_model_refuses_other_base_weights(tmp_path, monkeypatch):
    from stance.classify import load_classifier

    data = write_jsonl(tmp_path / "toy.jsonl", toy_rows())
    result = runner.invoke(app, ["train", "--config", str(_minilm_config(tmp_path)), "--data", str(data),
                                 "--output", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    meta_path = tmp_path / "m" / "stance_model.json"
    meta = json.loads(meta_path.read_text())
    meta["base_model"]["sha256"]["model.safetensors"] = "0" * 64
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(StanceError, match="its heads were fitted on base encoder weights 000000000000"):
        load_classifier(tmp_path / "m")


def test_fresh_install_uses_the_shipped_model_without_training(tmp_path, monkeypatch):
    """No model in the home folder: `analyze` labels with the shipped model, says so first, and trains nothing."""
    from stance import train as train_module
    from stance.home import shipped_model_dir

    shipped = shipped_model_dir()
    assert shipped is not None, "the package ships stance/resources/models/default"
    meta = json.loads((shipped / "stance_model.json").read_text())
    assert meta["weights"] == "heads.safetensors" and meta["features"][0]["statements"] == 1419
    assert sum(f.stat().st_size for f in shipped.iterdir()) < 2_000_000  # heads and TF-IDF only: the encoder is a package
    delta = meta["base_model"]["delta"]  # the tuned layer ships once, beside the model, named by it and its digest
    assert delta["packaged"] == "encoders/minilm-l3-tuned.delta.safetensors" and not (shipped / "encoder.delta.safetensors").exists()
    from stance.classify.digests import sha256_file
    from stance.home import RESOURCES

    assert sha256_file(RESOURCES / delta["packaged"]) == delta["sha256"]
    assert (RESOURCES / delta["packaged"]).stat().st_size < 4_000_000  # one MiniLM layer in float16
    monkeypatch.setenv("STANCE_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)

    def never(*args, **kwargs):
        raise AssertionError("trained on first use")

    monkeypatch.setattr(train_module, "train", never)
    article = tmp_path / "a.txt"
    article.write_text('"We stand fully behind Article 5 and will defend every ally," the NATO chief said on Monday.\n',
                       encoding="utf-8")
    result = runner.invoke(app, ["analyze", str(article), "--db", str(tmp_path / "s.db"), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith(f"model: {meta['model_id']} (shipped with stance;")
    assert not (tmp_path / "home" / "models").exists()
