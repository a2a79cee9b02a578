"""Tuned encoder layers shipped as a delta over the base encoder: what a fine-tune learned, in a few MB.

A fine-tune with `train_layers: N` trains only the top N layers of the encoder (word embeddings and
the lower layers stay the base package's). Those layers are written, in float16, to a
`.delta.safetensors` file with the digest of the base weights they were trained on; a frozen-encoder
model (`method: embed`, `encoder_delta:`) rebuilds its encoder from the verified base package and puts
the delta over it. The delta's own sha256 is recorded with every model and feature set that reads it.
Plain data (safetensors), never a pickle. Imports torch only inside functions.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Optional

from stance.errors import StanceError

DELTA_FILE = "encoder.delta.safetensors"  # the copy every model directory that reads a delta holds


def freeze_below(model, train_layers: int) -> list[str]:
    """Freeze every encoder parameter outside its top `train_layers` transformer layers; return the trained names.

    0 leaves the encoder as it is (all layers train; the word embeddings follow freeze_embeddings)."""
    layers = model.encoder.encoder.layer
    if train_layers > len(layers):
        raise StanceError(f"config: train_layers {train_layers} exceeds the encoder's {len(layers)} layers")
    if train_layers:
        keep = {f"encoder.layer.{i}." for i in range(len(layers) - train_layers, len(layers))}
        for name, param in model.encoder.named_parameters():
            if not any(name.startswith(prefix) for prefix in keep):
                param.requires_grad_(False)
    return [name for name, param in model.encoder.named_parameters() if param.requires_grad]


def save_delta(model, path: Path, base_sha256: str, about: Optional[dict] = None) -> Path:
    """Write the encoder's trained parameters (those with requires_grad) in float16 to `path`."""
    from safetensors.torch import save_file

    tensors = {name: param.detach().to("cpu").half().contiguous()
               for name, param in model.encoder.named_parameters() if param.requires_grad}
    if not tensors:
        raise StanceError("no trained encoder parameters to save as a delta (every layer was frozen)")
    meta = {"base_sha256": base_sha256, "layers": int(model.config.num_hidden_layers),
            "parameters": int(sum(t.numel() for t in tensors.values())), **(about or {})}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={"stance_delta": json.dumps(meta, ensure_ascii=False)})
    return path


def read_about(path: Path) -> dict:
    """The description saved with a delta (base digest, layers, parameters, provenance)."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise StanceError(f"{path}: encoder delta not found; expected a .delta.safetensors file written by "
                          "scripts/build_features.py --tune")
    try:
        with safe_open(str(path), framework="pt") as handle:
            return json.loads((handle.metadata() or {})["stance_delta"])
    except (OSError, KeyError, ValueError, SafetensorError) as exc:
        raise StanceError(f"{path}: not a stance encoder delta ({exc}); expected a .delta.safetensors file") from None


def apply_delta(model, path: Path, base_sha256: Optional[str]) -> str:
    """Put the delta's layers over the model's encoder; returns the delta file's sha256.

    The delta must have been trained on the same base weights and layer count."""
    import torch
    from safetensors.torch import load_file

    from stance.classify.digests import sha256_file

    path = Path(path)
    about = read_about(path)
    if base_sha256 and about.get("base_sha256") != base_sha256:
        raise StanceError(f"{path}: tuned on base encoder weights {str(about.get('base_sha256'))[:12]}…, but the "
                          f"configured base resolves to {base_sha256[:12]}…; expected the same base model package")
    if about.get("layers") != model.config.num_hidden_layers:
        raise StanceError(f"{path}: tuned for a {about.get('layers')}-layer encoder, the config builds "
                          f"{model.config.num_hidden_layers} (encoder_layers); expected the same")
    tensors = load_file(str(path))
    own = dict(model.encoder.named_parameters())
    unknown = [name for name in tensors if name not in own]
    if unknown:
        raise StanceError(f"{path}: parameters {unknown[:3]} are not in the encoder; expected a delta of this encoder")
    with torch.no_grad():
        for name, tensor in tensors.items():
            if own[name].shape != tensor.shape:
                raise StanceError(f"{path}: {name} has shape {tuple(tensor.shape)}, the encoder's is {tuple(own[name].shape)}")
            own[name].copy_(tensor.to(own[name].dtype))
    return sha256_file(path)


def combined_digest(base_sha256: str, delta_sha256: Optional[str]) -> str:
    """The digest naming an encoder: the base weights' alone, or the base's and the delta's together."""
    if not delta_sha256:
        return base_sha256
    return hashlib.sha256(f"{base_sha256}+{delta_sha256}".encode()).hexdigest()
