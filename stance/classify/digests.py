"""sha256 digests of model files: what the base encoders are checked against and what a model records.

Plain Python (hashlib only), imported by stance.classify.basemodel and stance.classify.mpnet alike, so
neither needs the other for it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

# Files whose digests are recorded for any base model directory.
RECORDED = ("model.safetensors", "pytorch_model.bin", "tokenizer.json", "vocab.txt", "config.json")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """The hex sha256 of one file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def file_digests(path: Path) -> dict[str, str]:
    """sha256 of the model files present in a model directory."""
    return {name: sha256_file(Path(path) / name) for name in RECORDED if (Path(path) / name).is_file()}
