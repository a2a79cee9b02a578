"""Training: tiny models in seconds, label handling, metadata, CLI, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.config import load_labels, load_train_config
from stance.errors import StanceError
from stance.classify.traindata import find_events, load_labelled, model_input
from _tiny import tiny_config, toy_rows, trained_tiny, write_jsonl

runner = CliRunner()


def test_trained_dir_describes_itself():
    model = trained_tiny()
    for name in ("model.safetensors", "config.json", "tokenizer.json", "stance_model.json", "metrics.json"):
        assert (model / name).is_file(), name
    meta = json.loads((model / "stance_model.json").read_text())
    labels = load_labels()
    config = json.loads((model / "config.json").read_text())  # the one label-to-index map; the metadata keeps the label set
    assert config["target_label2id"] == {n: i for i, n in enumerate(labels.target_names)}
    assert config["stance_id2label"]["0"] == labels.stance_names[0]
    assert meta["labels"] == labels.to_dict() and "target_label2id" not in meta
    assert meta["train_config"]["epochs"] == 12
    assert meta["data_fingerprint"]["rows"] == len(toy_rows(repeat=2))
    assert set(meta["base_model"]["sha256"]) >= {"model.safetensors", "tokenizer.json"}
    assert meta["model_id"].startswith("model@")
    metrics = json.loads((model / "metrics.json").read_text())
    assert metrics["label_counts"]["target"]["none"] == 8


def test_tiny_model_beats_majority_on_separable_toy_set():
    from stance.classify import load_classifier

    # Held out: speakers and endings the model never saw (its training rows are toy_rows(2)).
    rows = [{**r, "speaker": f"Anna Berg {i}", "text": f"{r['text']} That is all for today."}
            for i, r in enumerate(toy_rows())]
    preds = load_classifier(trained_tiny()).predict(rows)
    majority = {key: max(sum(r[key] == t for r in rows) for t in {r[key] for r in rows}) / len(rows)
                for key in ("target", "stance")}
    target_acc = sum(p.target == r["target"] for p, r in zip(preds, rows)) / len(rows)
    stance_acc = sum(p.stance == r["stance"] for p, r in zip(preds, rows)) / len(rows)
    assert target_acc > majority["target"] + 0.2
    assert stance_acc > majority["stance"] + 0.4


def test_training_is_deterministic_for_a_seed(tmp_path):
    from stance.train import train

    data = write_jsonl(tmp_path / "toy.jsonl", toy_rows())
    config = load_train_config(tiny_config(tmp_path))
    first = train(config, tmp_path / "a", data=[data], progress=False)
    second = train(config, tmp_path / "b", data=[data], progress=False)
    assert first["weights_sha256"] == second["weights_sha256"]


def test_label_not_in_config_names_file_and_line(tmp_path):
    rows = toy_rows()
    rows[3] = {**rows[3], "target": "Ukraine aid"}
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    with pytest.raises(StanceError, match=r"bad.jsonl:4: target 'Ukraine aid' is not in the label config"):
        load_labelled([path], load_labels())


def test_missing_label_field_and_incoherent_none(tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [{"text": "x", "target": "NATO"}])
    with pytest.raises(StanceError, match=r"bad.jsonl:1: field 'stance' is missing"):
        load_labelled([path], load_labels())
    path = write_jsonl(tmp_path / "bad2.jsonl", [{"text": "x", "target": "none", "stance": "doubt"}])
    with pytest.raises(StanceError, match=r"bad2.jsonl:1: target 'none' needs stance 'none'"):
        load_labelled([path], load_labels())


def test_new_target_needs_only_config_and_examples(tmp_path):
    labels_yaml = tmp_path / "labels.yaml"
    labels_yaml.write_text(Path("configs/labels.yaml").read_text() .replace("  none: \"None of the above",
                           "  Ukraine aid: {description: \"Aid to Ukraine.\", anchors: [Ukrain*, Kyiv]}\n  none: \"None of the above", 1))
    rows = toy_rows() + [{"text": "We will keep sending aid to Ukraine.", "target": "Ukraine aid", "stance": "support"}]
    data = write_jsonl(tmp_path / "toy.jsonl", rows)
    result = runner.invoke(app, ["train", "--config", str(tiny_config(tmp_path, labels=str(labels_yaml))),
                                 "--data", str(data), "--output", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "m" / "stance_model.json").read_text())
    assert "Ukraine aid" in meta["labels"]["targets"]
    assert meta["labels"]["targets"]["Ukraine aid"]["anchors"] == ["Ukrain*", "Kyiv"]  # the gate predicts with them


def test_cli_train_bad_label_exits_nonzero(tmp_path):
    data = write_jsonl(tmp_path / "toy.jsonl", [{"text": "x", "target": "Mars", "stance": "support"}])
    result = runner.invoke(app, ["train", "--config", str(tiny_config(tmp_path)), "--data", str(data), "--output", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "toy.jsonl:1: target 'Mars' is not in the label config" in result.output
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("text, message", [
    ("epochs: 1\nlearning_rat: 0.1\n", "unknown key"),
    ("context_words: -2\n", "context_words must be a whole number >= 0, found -2"),
    ("tfidf_weight: 1.5\n", r"tfidf_weight must be a number in \[0, 1\), found 1.5"),
])
def test_bad_config_is_an_error(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(StanceError, match=message):
        load_train_config(path)


def test_default_base_model_digests_checked(tmp_path):
    from stance.classify.basemodel import EXPECTED_SHA256, default_model_dir, verify_default

    assert verify_default(default_model_dir())["model.safetensors"] == EXPECTED_SHA256["model.safetensors"]
    (tmp_path / "model.safetensors").write_bytes(b"not the weights")
    (tmp_path / "tokenizer.json").write_bytes(b"{}")
    with pytest.raises(StanceError, match="does not match upstream"):
        verify_default(tmp_path)


def test_missing_base_model_dir(tmp_path):
    from stance.classify.basemodel import resolve_base_model

    with pytest.raises(StanceError, match="no such directory"):
        resolve_base_model(str(tmp_path / "nope"))


def test_model_input_and_events():
    first, second = model_input({"speaker": "A", "text": "q", "context": "A said q today."})
    assert (first, second) == ("A: q", "A said q today.")
    assert model_input({"text": "q", "context": "q"}, use_speaker=True) == ("q", None)
    row = {"speaker": "B", "text": "they must pay", "context": "On a long rainy Monday in the capital, the minister warned that \u201cthey must pay\u201d, adding nothing more."}
    assert model_input(row, context_words=3) == ("B: they must pay", "warned that \u201c … \u201d, adding nothing")
    curly = {"text": 'the "solemn promise" stands', "context": "He said the \u201csolemn promise\u201d stands today."}
    assert model_input(curly, context_words=2)[1] == "He said … today."
    assert model_input({"text": "absent", "context": "one two three four five"}, context_words=2)[1] == "one two three four"
    quote = "we will not defend them if they do not pay their bills on time"
    other = "greenland is not for sale and never will be said the minister"
    rows = [{"article": "a", "text": quote}, {"article": "b", "text": "He said " + quote},
            {"article": "c", "text": other}, {"article": "x", "text": quote, "composed": True}]
    events = find_events(rows)
    assert events["a"] == events["b"] != events["c"]
    assert "x" not in events


def test_encoder_layers_keeps_the_first_layers(tmp_path):
    from stance.classify import load_classifier
    from stance.train import train

    data = write_jsonl(tmp_path / "toy.jsonl", toy_rows())
    train(load_train_config(tiny_config(tmp_path, encoder_layers=1)), tmp_path / "m", data=[data], progress=False)
    assert json.loads((tmp_path / "m" / "config.json").read_text())["num_hidden_layers"] == 1
    assert len(load_classifier(tmp_path / "m").predict(toy_rows()[:3])) == 3
    with pytest.raises(StanceError, match="encoder_layers 5 exceeds the base model's 2 layers"):
        train(load_train_config(tiny_config(tmp_path, encoder_layers=5)), tmp_path / "n", data=[data], progress=False)


def test_tfidf_partner_saved_loaded_and_averaged(tmp_path):
    import numpy as np

    from stance.classify import Classifier, load_classifier
    from stance.train import train

    data = write_jsonl(tmp_path / "toy.jsonl", toy_rows())
    # not 0.5: the two models' shares must not be swappable unnoticed
    meta = train(load_train_config(tiny_config(tmp_path, tfidf_weight=0.3)), tmp_path / "m", data=[data], progress=False)
    assert meta["tfidf"]["weight"] == 0.3
    assert (tmp_path / "m" / "lexical.json").is_file() and (tmp_path / "m" / "lexical.safetensors").is_file()
    both = load_classifier(tmp_path / "m")
    alone = Classifier(both.model, both.tokenizer, both.config, both.labels)  # same encoder, no partner
    rows = toy_rows()
    mixed_t, mixed_s = both.probabilities(rows)
    own_t, own_s = alone.probabilities(rows)
    texts = [r["speaker"] + ": " + r["text"] for r in rows]
    lexical_s = both.lexical.probabilities(texts, "stance", both.stances)
    lexical_t = both.lexical.probabilities(texts, "target", both.targets)
    assert not np.allclose(own_s, lexical_s, atol=1e-2)  # else any weighting would pass
    assert np.allclose(mixed_s, 0.7 * own_s + 0.3 * lexical_s, atol=1e-5)
    assert np.allclose(mixed_t, 0.7 * own_t + 0.3 * lexical_t, atol=1e-5)
    assert np.allclose(mixed_t.sum(1), 1, atol=1e-4)
    # retraining the same directory without the partner removes its files
    train(load_train_config(tiny_config(tmp_path)), tmp_path / "m", data=[data], progress=False)
    assert not (tmp_path / "m" / "lexical.json").exists()
    assert load_classifier(tmp_path / "m").lexical is None


def test_missing_tfidf_partner_is_a_clear_error(tmp_path):
    from stance.classify import load_classifier
    from stance.train import train

    data = write_jsonl(tmp_path / "toy.jsonl", toy_rows())
    train(load_train_config(tiny_config(tmp_path, tfidf_weight=0.3)), tmp_path / "m", data=[data], progress=False)
    (tmp_path / "m" / "lexical.safetensors").unlink()
    with pytest.raises(StanceError, match="tfidf_weight is 0.3 but lexical.json or lexical.safetensors is missing"):
        load_classifier(tmp_path / "m")
