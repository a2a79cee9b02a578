"""Method `embed`: a frozen encoder's mean-pooled embeddings read by logistic-regression heads.

Training is one encoder pass over the data plus two scikit-learn fits, so it is
fast even with the 12-layer all-mpnet-base-v2, and cross-validation reuses the
embeddings (cached per input) across folds. The fitted heads, with the feature
standardisation folded in, are written into the two-head model's linear heads:
the saved directory is an ordinary two-head model, predicted like a fine-tune.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from stance.config import LabelSet, TrainConfig
from stance.classify.modelinput import encode, length_sorted_batches
from stance.classify.traindata import model_input

# (encoder weights digest, layers, max length, first, second) -> embedding; CV folds and retraining share it
_CACHE: dict[tuple, object] = {}


def _cache_file(model) -> Optional[Path]:
    """Where this encoder's embeddings persist between runs (None: only in memory)."""
    digest = getattr(model.config, "_stance_base_sha256", None)
    if not digest:
        return None
    from stance.classify.mpnet import cache_root

    return cache_root() / "embeddings" / f"{digest[:16]}-{model.config.num_hidden_layers}.npz"


def _load_disk_cache(path: Optional[Path], prefix: tuple) -> None:
    import json

    import numpy as np

    if path is None or not path.is_file() or ("loaded", path) in _CACHE:
        return
    try:
        with np.load(path) as data:
            keys = json.loads(str(data["keys"]))
            for key, vector in zip(keys, data["vectors"]):
                _CACHE.setdefault((*prefix, *key), vector)
    except (OSError, ValueError, KeyError):
        return  # a damaged cache only costs recomputation
    _CACHE[("loaded", path)] = True


def _save_disk_cache(path: Optional[Path], prefix: tuple) -> None:
    import json

    import numpy as np

    if path is None:
        return
    items = [(k[len(prefix):], v) for k, v in _CACHE.items() if k[:len(prefix)] == prefix and len(k) == len(prefix) + 2]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.npz")
    np.savez(tmp, keys=np.array(json.dumps([list(k) for k, _ in items])), vectors=np.stack([v for _, v in items]))
    tmp.replace(path)


def embeddings(model, tokenizer, rows: Sequence[dict], config: TrainConfig, batch_size: int = 32):
    """Mean-pooled encoder output for each row (numpy, float32), computed once per distinct input.

    For a verified base model the vectors persist in the user cache directory, so
    retraining and cross-validation encode only statements they have not seen.
    """
    import numpy as np
    import torch

    path = _cache_file(model)
    prefix = (getattr(model.config, "_stance_base_sha256", None) or id(model), config.encoder_layers, config.max_length)
    _load_disk_cache(path, prefix)
    use_context = config.use_context and config.encoder_context
    keys = [(*prefix, *model_input(r, config.use_speaker, use_context, config.context_words)) for r in rows]
    first = {}
    for i, k in enumerate(keys):
        if k not in _CACHE:
            first.setdefault(k, i)  # each distinct input is encoded once
    todo = list(first)
    if todo:
        wanted = [rows[first[k]] for k in todo]
        features = encode(tokenizer, wanted, config)
        device = next(model.parameters()).device
        model.eval()
        with torch.inference_mode():
            for idx, batch in length_sorted_batches(tokenizer, features, batch_size):
                batch = {k: v.to(device) for k, v in batch.items()}  # ids stay integer; the model's dtype rules
                pooled = model.pool(**batch).float().cpu().numpy()
                for i, vector in zip(idx, pooled):
                    _CACHE[todo[i]] = vector
        _save_disk_cache(path, prefix)
    return np.stack([_CACHE[k] for k in keys]).astype(np.float32)


def fit_heads(x, rows: Sequence[dict], labels: LabelSet, config: TrainConfig, sample_weight=None) -> dict:
    """One standardised logistic regression per task; returns task -> (weight [k x h], bias [k]) on raw embeddings.

    Columns follow the label config's order; a label absent from the training rows
    gets a bias of -30 (probability ~0) so the head keeps every configured label.
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    z = scaler.transform(x)
    heads = {}
    for task, names in (("target", labels.target_names), ("stance", labels.stance_names)):
        y = [r[task] for r in rows]
        weight = np.zeros((len(names), x.shape[1]), dtype=np.float64)
        bias = np.full(len(names), -30.0)
        present = sorted(set(y))
        if len(present) == 1:
            bias[names.index(present[0])] = 0.0
        else:
            clf = LogisticRegression(C=config.head_c, max_iter=3000,
                                     class_weight="balanced" if config.class_weight == "balanced" else None)
            clf.fit(z, y, sample_weight=sample_weight)
            coef, intercept = clf.coef_, clf.intercept_
            if coef.shape[0] == 1:  # binary: one row, the logit of classes_[1]
                coef, intercept = np.vstack([-coef / 2, coef / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
            for j, name in enumerate(clf.classes_):
                # fold the standardisation in: w·(x - mean)/scale + b = (w/scale)·x + (b - w·mean/scale)
                weight[names.index(name)] = coef[j] / scaler.scale_
                bias[names.index(name)] = intercept[j] - float(np.dot(coef[j] / scaler.scale_, scaler.mean_))
        heads[task] = (weight, bias)
    return heads


def install_heads(model, heads: dict) -> None:
    """Copy fitted (weight, bias) pairs into the model's target and stance heads."""
    import torch

    for task, (weight, bias) in heads.items():
        layer = model.target_head if task == "target" else model.stance_head
        with torch.no_grad():
            layer.weight.copy_(torch.as_tensor(weight, dtype=layer.weight.dtype))
            layer.bias.copy_(torch.as_tensor(bias, dtype=layer.bias.dtype))


def head_probabilities(x, heads: dict, task: str):
    """Softmax of a head's logits on embeddings x (numpy), columns in label-config order."""
    from scipy.special import softmax

    weight, bias = heads[task]
    return softmax(x @ weight.T + bias, axis=1)


def frozen_encoder(config: TrainConfig, labels: LabelSet, device: str = "cpu", delta: Optional[Path] = None):
    """The config's base encoder (first `encoder_layers` layers) in a two-head model, with its tokenizer and
    base metadata: (model, tokenizer, base_meta). Its heads are untrained until install_heads/load_heads.

    With a delta (`delta`, else the config's `encoder_delta`), its tuned layers are put over the base's and
    base_meta["delta"] records them; the embedding cache and feature sets then key on both digests."""
    from transformers import AutoTokenizer, set_seed

    from stance.classify.basemodel import resolve_base_model
    from stance.classify.device import choose_device, place
    from stance.classify.modelinput import quiet_transformers, set_threads
    from stance.classify.twohead import build_from_base
    from stance.config import PROJECT_ROOT
    from stance.errors import StanceError

    quiet_transformers()
    set_threads(config.threads)
    base_dir, base_meta = resolve_base_model(config.base_model, PROJECT_ROOT)
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir), local_files_only=True)
    set_seed(config.seed)
    try:
        model = build_from_base(str(base_dir), labels.target_names, labels.stance_names, config.encoder_layers)
    except ValueError as exc:
        raise StanceError(f"config: {exc}") from None
    delta = Path(delta) if delta else (config.resolve(config.encoder_delta) if config.encoder_delta else None)
    base_sha = base_meta["sha256"].get("model.safetensors")
    if delta is not None:
        from stance.classify.delta import apply_delta, combined_digest, read_about

        delta_sha = apply_delta(model, delta, base_sha if base_meta.get("verified") else None)
        base_meta["delta"] = {"file": delta.name, "sha256": delta_sha, **read_about(delta)}
        base_meta["encoder_sha256"] = combined_digest(base_sha, delta_sha)
    if base_meta.get("verified"):  # checked weights: their embeddings may be kept on disk
        model.config._stance_base_sha256 = base_meta.get("encoder_sha256", base_sha)
    chosen = choose_device(device)
    return place(model, chosen).eval(), tokenizer, {**base_meta, "device": chosen.name, "dtype": chosen.dtype}


def row_weights(rows: Sequence[dict], config: TrainConfig):
    """Each training row's weight in the heads' fit: `real_weight` for statements from real news, 1 for composed ones."""
    import numpy as np

    return np.array([1.0 if r.get("composed") else float(config.real_weight) for r in rows])


def fit_embed(rows: Sequence[dict], config: TrainConfig, labels: LabelSet, stored=None):
    """Frozen encoder + logistic-regression heads on rows and stored feature rows.

    `stored`: (embeddings, label rows) of statements kept without text (stance.classify.features),
    appended after `rows`. Returns (model, tokenizer, info, embeddings of every row, every label row).
    """
    import time

    import numpy as np

    from stance.errors import StanceError

    if not rows and stored is None:
        raise StanceError("no labelled statements to train on")
    model, tokenizer, base_meta = frozen_encoder(config, labels, config.device)
    started = time.perf_counter()
    x = embeddings(model, tokenizer, rows, config) if rows else np.zeros((0, model.config.hidden_size), np.float32)
    every = list(rows)
    if stored is not None:
        x = np.vstack([x, stored[0]])
        every += list(stored[1])
    model = model.to("cpu").float()  # heads fitted in float64, model saved in float32: loads anywhere
    install_heads(model, fit_heads(x, every, labels, config, sample_weight=row_weights(every, config)))
    model.eval()
    device, dtype = base_meta.pop("device"), base_meta.pop("dtype")
    info = {"device": device, "dtype": dtype, "train_seconds": round(time.perf_counter() - started, 1), "steps": 0,
            "train_loss": None, "examples": len(every), "base_model": base_meta}
    return model, tokenizer, info, x, every


HEADS_FILE = "heads.safetensors"  # a frozen-encoder model's heads: the encoder itself comes from its base package


def save_heads(model, directory: Path) -> Path:
    """Write the model's two linear heads (float32) into `directory`; the encoder is not saved."""
    from safetensors.torch import save_file

    path = Path(directory) / HEADS_FILE
    tensors = {f"{name}.{part}": getattr(getattr(model, name), part).detach().float().contiguous()
               for name in ("target_head", "stance_head") for part in ("weight", "bias")}
    save_file(tensors, str(path))
    return path


def load_heads(model, directory: Path) -> None:
    """Copy heads written by save_heads into `model`'s target and stance heads."""
    from safetensors.torch import load_file

    tensors = load_file(str(Path(directory) / HEADS_FILE))
    install_heads(model, {"target": (tensors["target_head.weight"], tensors["target_head.bias"]),
                          "stance": (tensors["stance_head.weight"], tensors["stance_head.bias"])})
