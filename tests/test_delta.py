"""Tuned encoder layers shipped as a delta, hashed TF-IDF, speaker dropout, real-row weights in the fine-tune."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.config import load_labels, load_train_config
from stance.errors import StanceError
from _tiny import tiny_config, toy_rows, write_jsonl

runner = CliRunner()


def _tuned_delta(tmp: Path) -> tuple[Path, object]:
    """Fine-tune the top layer of the verified MiniLM cut to two layers on the toy set; write its delta."""
    from stance.classify.delta import save_delta
    from stance.train import fit_classifier

    config = load_train_config(tiny_config(tmp, base_model="default", encoder_layers=2, train_layers=1, epochs=2,
                                           learning_rate=5e-4, real_weight=2.0))
    fitted = fit_classifier(toy_rows(), config, load_labels())
    path = save_delta(fitted.classifier.model, tmp / "toy.delta.safetensors",
                      fitted.info["base_model"]["sha256"]["model.safetensors"], {"trained_on": "toy"})
    return path, fitted.classifier.model


def _embed_config(tmp: Path, delta: Path, **extra) -> Path:
    return tiny_config(tmp, base_model="default", method="embed", encoder_layers=2, encoder_delta=str(delta),
                       head_c=1.0, tfidf_weight=0.5, tfidf_ngrams=2, tfidf_buckets=4096, **extra)


def test_only_the_top_layers_train_and_the_delta_holds_just_them(tmp_path):
    from safetensors.torch import load_file

    from stance.classify.basemodel import default_model_dir
    from transformers import AutoModel

    path, model = _tuned_delta(tmp_path)
    tensors = load_file(str(path))
    assert tensors and all(name.startswith("encoder.layer.1.") for name in tensors)
    assert all(t.dtype.is_floating_point and t.element_size() == 2 for t in tensors.values())  # float16
    base = AutoModel.from_pretrained(str(default_model_dir())).state_dict()
    tuned = model.encoder.state_dict()
    assert all(np.allclose(tuned[k].numpy(), base[k].numpy()) for k in tuned if k.startswith("encoder.layer.0."))
    assert any(not np.allclose(tuned[k].numpy(), base[k].numpy()) for k in tensors)


def test_tuned_model_with_hashed_tfidf_saves_loads_and_predicts_the_same(tmp_path):
    from stance.classify import load_classifier
    from stance.classify.delta import DELTA_FILE
    from stance.train import fit_classifier

    delta, _ = _tuned_delta(tmp_path)
    data = write_jsonl(tmp_path / "toy.jsonl", toy_rows())
    result = runner.invoke(app, ["train", "--config", str(_embed_config(tmp_path, delta)), "--data", str(data),
                                 "--output", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "m" / "stance_model.json").read_text())
    assert meta["base_model"]["delta"]["sha256"] and meta["weights"] == "heads.safetensors"
    assert (tmp_path / "m" / DELTA_FILE).read_bytes() == delta.read_bytes()  # the model directory holds its delta
    lexical = json.loads((tmp_path / "m" / "lexical.json").read_text())
    assert "vocabulary" not in lexical and lexical["hashed"]["buckets"] == 4096  # no words kept
    raw = (tmp_path / "m" / "lexical.json").read_bytes() + (tmp_path / "m" / "lexical.safetensors").read_bytes()
    assert b"stand behind" not in raw and b"Tariffs" not in raw
    clf = load_classifier(tmp_path / "m")
    fitted = fit_classifier(toy_rows(), load_train_config(_embed_config(tmp_path, delta)), load_labels()).classifier
    probe = toy_rows()
    a, b = clf.probabilities(probe), fitted.probabilities(probe)
    assert np.allclose(a[0], b[0], atol=1e-3) and np.allclose(a[1], b[1], atol=1e-3)
    assert sum(p.target == r["target"] for p, r in zip(clf.predict(probe), probe)) / len(probe) > 0.8
    (tmp_path / "m" / DELTA_FILE).unlink()
    with pytest.raises(StanceError, match="encoder.delta.safetensors is missing"):
        load_classifier(tmp_path / "m")


def test_delta_for_other_layers_or_a_changed_file_is_refused(tmp_path):
    from stance.classify import load_classifier
    from stance.classify.delta import DELTA_FILE

    delta, _ = _tuned_delta(tmp_path)
    data = write_jsonl(tmp_path / "toy.jsonl", toy_rows())
    other = tiny_config(tmp_path, base_model="default", method="embed", encoder_layers=3, encoder_delta=str(delta))
    result = runner.invoke(app, ["train", "--config", str(other), "--data", str(data), "--output", str(tmp_path / "x")])
    assert result.exit_code == 1 and "tuned for a 2-layer encoder, the config builds 3" in result.output
    result = runner.invoke(app, ["train", "--config", str(_embed_config(tmp_path, delta)), "--data", str(data),
                                 "--output", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(delta))
    name = sorted(tensors)[0]
    tensors[name] = tensors[name] + 0.01  # same shapes and description, other weights
    with safe_open(str(delta), framework="pt") as handle:
        save_file(tensors, str(tmp_path / "m" / DELTA_FILE), metadata=handle.metadata())
    with pytest.raises(StanceError, match="is not the .* its heads were fitted on"):
        load_classifier(tmp_path / "m")
    finetune = tiny_config(tmp_path, encoder_delta=str(delta))
    result = runner.invoke(app, ["train", "--config", str(finetune), "--data", str(data), "--output", str(tmp_path / "y")])
    assert result.exit_code == 1 and "encoder_delta (tuned encoder layers read frozen) needs method embed" in result.output


def test_hashed_features_retrain_like_their_text(tmp_path):
    """Statements kept as tuned-encoder embeddings and hashed counts train the same model as their text."""
    from stance.classify.embedhead import embeddings, frozen_encoder
    from stance.classify.features import build_features, load_features
    from stance.train import fit_classifier, load_stored

    delta, _ = _tuned_delta(tmp_path)
    config = load_train_config(_embed_config(tmp_path, delta, calibrate=False))
    labels = load_labels()
    rows = [{**r, "article": f"a{i % 5}"} for i, r in enumerate(toy_rows(repeat=2))]
    model, tokenizer, base = frozen_encoder(config, labels)
    features = build_features(rows, embeddings(model, tokenizer, rows, config), config, base["encoder_sha256"],
                              {"source": "toy"})
    path = features.save(tmp_path / "toy.features.safetensors")
    assert load_features(path).counts.shape == (len(rows), 4096) and load_features(path).vocabulary == []
    assert b"stand behind" not in path.read_bytes()
    few = [r for r in toy_rows() if r["target"] == "none"]
    from_features = fit_classifier(few, config, labels, load_stored(config, labels, [path])).classifier
    from_text = fit_classifier(few + rows, config, labels).classifier
    probe = toy_rows()
    a, b = from_features.probabilities(probe), from_text.probabilities(probe)
    assert np.allclose(a[0], b[0], atol=2e-2) and np.allclose(a[1], b[1], atol=2e-2)  # float16 embeddings on disk
    words = replace(config, tfidf_buckets=0, tfidf_ngrams=1)
    with pytest.raises(StanceError, match="tfidf_buckets 4096 \\(config: 0\\)"):
        fit_classifier(few, words, labels, load_stored(words, labels, [path]))


def test_speaker_dropout_swaps_or_removes_speakers_of_text_rows_only():
    from stance.classify.traindata import with_speaker_dropout

    rows = toy_rows() + [{"target": "NATO", "stance": "support", "stored": True}]
    out = with_speaker_dropout(rows, 0.5, seed=3)
    assert out == with_speaker_dropout(rows, 0.5, seed=3) and out[-1] is rows[-1]
    changed = [(a, b) for a, b in zip(rows, out) if a.get("speaker") != b.get("speaker")]
    assert 0.25 * len(rows) < len(changed) < 0.75 * len(rows)
    assert any(b["speaker"] == "" for _, b in changed) and any(b["speaker"] for _, b in changed)
    assert all(a["text"] == b["text"] and a["stance"] == b["stance"] for a, b in zip(rows, out) if "text" in a)
    assert with_speaker_dropout(rows, 0.0, seed=3) == rows


def test_real_rows_weigh_more_in_the_fine_tune_loss():
    import torch

    from stance.classify.twohead import build_from_base
    from _tiny import tiny_base

    model = build_from_base(str(tiny_base()), ["a", "b"], ["x", "y"]).eval()
    ids = torch.tensor([[101, 2000, 102], [101, 3000, 102]])
    mask = torch.ones_like(ids)
    labels = {"target_labels": torch.tensor([0, 1]), "stance_labels": torch.tensor([1, 0])}
    out = model(input_ids=ids, attention_mask=mask, **labels)
    each = [model(input_ids=ids[i:i + 1], attention_mask=mask[i:i + 1],
                  **{k: v[i:i + 1] for k, v in labels.items()}).loss for i in range(2)]
    weighted = model(input_ids=ids, attention_mask=mask, sample_weight=torch.tensor([1.0, 3.0]), **labels)
    assert torch.isclose(out.loss, (each[0] + each[1]) / 2, atol=1e-5)
    assert torch.isclose(weighted.loss, (each[0] + 3 * each[1]) / 4, atol=1e-5)


def test_reviewed_statements_act_at_once_as_a_memory(tmp_path):
    """With memory_similarity, a reviewed statement's labels win for it and what reads the same; nothing else moves."""
    from stance.classify import load_classifier
    from stance.classify.memory import MEMORY_FILE

    rows = toy_rows()
    data = write_jsonl(tmp_path / "toy.jsonl", rows)
    config = tiny_config(tmp_path, base_model="default", method="embed", encoder_layers=1, head_c=1.0,
                         memory_similarity=0.97)
    reviewed = {"speaker": "Ana Analyst", "text": "The harbour on Greenland is an outrage.", "target": "Greenland",
                "stance": "doubt", "article": "r1"}
    added = write_jsonl(tmp_path / "reviewed.jsonl", [reviewed])
    result = runner.invoke(app, ["train", "--config", str(config), "--data", str(data), "--add-data", str(added),
                                 "--output", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "m" / "stance_model.json").read_text())
    assert meta["memory"] == {"statements": 1, "similarity": 0.97}
    assert b"harbour" not in (tmp_path / "m" / MEMORY_FILE).read_bytes()  # embeddings and label numbers only
    clf = load_classifier(tmp_path / "m")
    same, other = clf.predict([{**reviewed, "article": "r2"}, rows[0]])
    assert (same.target, same.stance) == ("Greenland", "doubt") and same.target_probs["Greenland"] > 0.9
    plain = runner.invoke(app, ["train", "--config", str(tiny_config(tmp_path, base_model="default", method="embed",
                                                                      encoder_layers=1, head_c=1.0)),
                                "--data", str(data), "--add-data", str(added), "--output", str(tmp_path / "p")])
    assert plain.exit_code == 0, plain.output and not (tmp_path / "p" / MEMORY_FILE).exists()
    without = load_classifier(tmp_path / "p").predict([rows[0]])[0]
    assert (other.target, other.stance) == (without.target, without.stance)
    assert abs(other.target_probs[other.target] - without.target_probs[without.target]) < 1e-3
