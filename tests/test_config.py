"""Config validation: every field of TrainConfig and the label set, checked at load with the key named."""

from __future__ import annotations

from dataclasses import fields

import pytest
import yaml

from stance.config import (DEFAULT_CONFIG, TrainConfig, labels_from_dict, load_labels, load_train_config,
                           train_config_from_dict)
from stance.errors import StanceError

FIELDS = [f.name for f in fields(TrainConfig)]


@pytest.mark.parametrize("name", FIELDS)
def test_every_field_rejects_a_value_of_the_wrong_type(name):
    # a mapping is the wrong type for every setting (strings, numbers, booleans and lists alike)
    with pytest.raises(StanceError, match=rf"^{name}\b.*\{{'x': 1\}}"):
        train_config_from_dict({name: {"x": 1}})


@pytest.mark.parametrize("name", FIELDS)
def test_every_field_accepts_its_default(name):
    value = getattr(TrainConfig(), name)
    assert getattr(train_config_from_dict({name: value}), name) == value


@pytest.mark.parametrize("settings, message", [
    ({"use_speaker": "yes"}, "use_speaker must be true or false, found 'yes'"),
    ({"freeze_embeddings": 1}, "freeze_embeddings must be true or false, found 1"),
    ({"epochs": 2.5}, "epochs must be a positive integer, found 2.5"),
    ({"epochs": 0}, "epochs must be a positive integer, found 0"),
    ({"batch_size": True}, "batch_size must be a whole number, found True"),
    ({"max_length": "128"}, "max_length must be a positive integer"),
    ({"seed": -1}, "seed must be >= 0, found -1"),
    ({"threads": -2}, "threads must be >= 0, found -2"),
    ({"weight_decay": -0.1}, "weight_decay must be >= 0, found -0.1"),
    ({"warmup_ratio": 1.5}, r"warmup_ratio must be a share of the steps in \[0, 1\), found 1.5"),
    ({"learning_rate": "2e-4"}, r"learning_rate must be a number in \(0, 1\), found '2e-4'"),  # YAML 1.1 reads 2e-4 as text
    ({"learning_rate": 0}, r"learning_rate must be a number in \(0, 1\)"),
    ({"tfidf_weight": 1}, r"tfidf_weight must be a number in \[0, 1\), found 1"),
    ({"context_words": -2}, "context_words must be a whole number >= 0, found -2"),
    ({"encoder_layers": 1.5}, "encoder_layers must be a whole number >= 0"),
    ({"method": "svm"}, "method 'svm' is not one of"),
    ({"base_model": ""}, "base_model must be a string \\(not empty\\), found ''"),
    ({"labels": None}, "labels must be a string"),
    ({"data": ["a.jsonl", 3]}, r"data must be a list of file paths, found \['a.jsonl', 3\]"),
    ({"epochs": 1, "learning_rat": 0.1}, r"unknown key\(s\) \['learning_rat'\]"),
])
def test_bad_values_are_named(settings, message):
    with pytest.raises(StanceError, match=message):
        train_config_from_dict(settings)


def test_one_data_file_may_be_a_string_and_yaml_errors_name_the_file(tmp_path):
    assert train_config_from_dict({"data": "one.jsonl"}).data == ["one.jsonl"]
    path = tmp_path / "c.yaml"
    path.write_text("epochs: 2\nuse_context: maybe\n")
    with pytest.raises(StanceError, match=rf"^{path}: use_context must be true or false, found 'maybe'$"):
        load_train_config(path)
    path.write_text("epochs: [1\n")
    with pytest.raises(StanceError, match=rf"{path}:\d+: not valid YAML"):
        load_train_config(path)
    path.write_text("- epochs\n")
    with pytest.raises(StanceError, match="expected a mapping of settings"):
        load_train_config(path)


@pytest.mark.parametrize("data, message", [
    ([], "expected a mapping"),
    ({"targets": ["a", "none"], "stances": ["s", "none"], "colour": "red"}, r"unknown key\(s\) \['colour'\]"),
    ({"targets": ["only"], "stances": ["s", "none"]}, "'targets' must map at least two label names"),
    ({"targets": ["a", "b"], "stances": ["s", "none"]}, "'targets' must include the none label 'none'"),
    ({"targets": ["a", "nil"], "stances": ["s", "nil"], "none_label": "nil"}, None),
])
def test_label_set_validation(data, message):
    if message is None:
        assert labels_from_dict(data, "labels.yaml").none_label == "nil"
        return
    with pytest.raises(StanceError, match=message):
        labels_from_dict(data, "labels.yaml")


def test_shipped_configs_load_and_their_data_can_train():
    from stance.classify.traindata import check_trainable, load_labelled

    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    config = load_train_config()
    assert {k: getattr(config, k) for k in raw if k != "data"} == {k: v for k, v in raw.items() if k != "data"}
    labels = load_labels(config.resolve(config.labels))
    rows = load_labelled([config.resolve(p) for p in config.data], labels, derive_context=False)
    check_trainable(rows, labels, config.labels)  # every label has examples: `stance train` can start
