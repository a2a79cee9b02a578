"""Tiny models and toy data for the classifier tests (seconds to train)."""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
from pathlib import Path

import yaml

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")

# Easily separable: each target has its own words, each stance its own phrasing.
_TOPICS = {
    "Article 5": ["defend the allies if attacked", "come to the rescue of any ally under attack"],
    "NATO": ["the alliance and its future", "the transatlantic alliance as a whole"],
    "Greenland": ["the island of Greenland", "Greenland and its ice sheet"],
    "Japan treaty": ["the security treaty with Japan", "the pact with Tokyo"],
}
_STANCES = {
    "support": "We fully stand behind {}.",
    "conditional": "Only if they pay more will we back {}.",
    "doubt": "I seriously doubt {} and question it.",
}
_NONE = ["Tariffs on steel imports rise next month.", "The budget vote was delayed again.",
         "Farm subsidies were debated in parliament.", "The election campaign starts on Monday."]


def toy_rows(repeat: int = 1) -> list[dict]:
    rows = []
    for _ in range(repeat):
        for target, phrases in _TOPICS.items():
            for stance, pattern in _STANCES.items():
                for i, phrase in enumerate(phrases):
                    rows.append({"speaker": f"Speaker {i}", "text": pattern.format(phrase), "target": target, "stance": stance})
        rows += [{"speaker": "Reporter", "text": t, "target": "none", "stance": "none"} for t in _NONE]
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@functools.lru_cache(maxsize=None)
def tiny_base() -> Path:
    """A randomly initialised 2-layer BERT (hidden 32) with the gt package's tokenizer."""
    from transformers import BertConfig, BertModel, set_seed

    from stance.classify.basemodel import default_model_dir

    out = Path(tempfile.mkdtemp(prefix="stance-tiny-base-"))
    src = default_model_dir()
    for name in TOKENIZER_FILES:
        if (src / name).is_file():
            shutil.copy(src / name, out / name)
    set_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(str(out))
    return out


def tiny_config(tmp: Path, epochs: int = 1, **extra) -> Path:
    settings = {"base_model": str(tiny_base()), "epochs": epochs, "learning_rate": 1e-3, "batch_size": 8,
                "max_length": 48, "seed": 7, "freeze_embeddings": False, "tfidf_weight": 0.0, "data": [], **extra}
    path = tmp / "tiny.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


@functools.lru_cache(maxsize=None)
def trained_tiny() -> Path:
    """A tiny model trained for a few epochs on the toy set (shared by the tests)."""
    from stance.config import load_train_config
    from stance.train import train

    tmp = Path(tempfile.mkdtemp(prefix="stance-tiny-model-"))
    data = write_jsonl(tmp / "toy.jsonl", toy_rows(repeat=2))
    train(load_train_config(tiny_config(tmp, epochs=12)), tmp / "model", data=[data], progress=False)
    return tmp / "model"
