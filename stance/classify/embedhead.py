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
    todo = sorted({k for k in keys if k not in _CACHE}, key=keys.index)
    if todo:
        wanted = [rows[keys.index(k)] for k in todo]
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


def fit_heads(x, rows: Sequence[dict], labels: LabelSet, config: TrainConfig) -> dict:
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
            clf.fit(z, y)
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


def fit_temperature(probs, gold: Sequence[int], floor: float = 1e-6) -> float:
    """The temperature T minimising the negative log-likelihood of p^(1/T) (renormalised) on held-out rows."""
    import numpy as np
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax

    logp = np.log(np.clip(np.asarray(probs, dtype=np.float64), floor, 1.0))
    gold = np.asarray(gold)

    def nll(log_t: float) -> float:
        return float(-log_softmax(logp / np.exp(log_t), axis=1)[np.arange(len(gold)), gold].mean())

    return round(float(np.exp(minimize_scalar(nll, bounds=(-3, 3), method="bounded").x)), 4)


def apply_temperature(probs, temperature: Optional[float], floor: float = 1e-6):
    """p^(1/T), renormalised per row (T = 1 or None: unchanged)."""
    import numpy as np
    from scipy.special import softmax

    if not temperature or temperature == 1.0:
        return probs
    return softmax(np.log(np.clip(probs, floor, 1.0)) / temperature, axis=1).astype(np.float32)


def expected_calibration_error(probs, gold: Sequence[int], bins: int = 10) -> float:
    """ECE: the |accuracy - confidence| gap of equal-width confidence bins, weighted by their size."""
    import numpy as np

    probs = np.asarray(probs)
    confidence, correct = probs.max(1), probs.argmax(1) == np.asarray(gold)
    total = 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return round(float(total), 4)


def fit_embed(rows: Sequence[dict], config: TrainConfig, labels: LabelSet):
    """Frozen encoder + logistic-regression heads on rows; returns (model, tokenizer, info, embeddings)."""
    import time

    from transformers import AutoTokenizer, set_seed

    from stance.classify.basemodel import resolve_base_model
    from stance.config import PROJECT_ROOT
    from stance.errors import StanceError
    from stance.classify.modelinput import quiet_transformers, set_threads
    from stance.classify.twohead import build_from_base

    if not rows:
        raise StanceError("no labelled statements to train on")
    quiet_transformers()
    set_threads(config.threads)
    base_dir, base_meta = resolve_base_model(config.base_model, PROJECT_ROOT)
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir), local_files_only=True)
    set_seed(config.seed)
    try:
        model = build_from_base(str(base_dir), labels.target_names, labels.stance_names, config.encoder_layers)
    except ValueError as exc:
        raise StanceError(f"config: {exc}") from None
    if base_meta.get("verified"):  # checked weights: their embeddings may be kept on disk
        model.config._stance_base_sha256 = base_meta["sha256"]["model.safetensors"]
    from stance.classify.device import choose_device, place

    device = choose_device(config.device)
    started = time.perf_counter()
    x = embeddings(place(model, device), tokenizer, rows, config)
    model = model.to("cpu").float()  # heads fitted in float64, model saved in float32: loads anywhere
    install_heads(model, fit_heads(x, rows, labels, config))
    model.eval()
    info = {"device": device.name, "dtype": device.dtype, "train_seconds": round(time.perf_counter() - started, 1), "steps": 0, "train_loss": None,
            "examples": len(rows), "base_model": base_meta}
    return model, tokenizer, info, x


def calibrate(x, rows: Sequence[dict], labels: LabelSet, config: TrainConfig, folds: int = 5,
              min_real: int = 30) -> dict:
    """Temperatures fitted on out-of-fold probabilities of the embed heads (+ TF-IDF partner, as predicted).

    Labelled rows from articles are grouped by event (no event is split across
    folds); composed rows are dealt round-robin. Returns the temperatures and the
    out-of-fold expected calibration error before and after.
    """
    import numpy as np

    from stance.classify.lexical import fit_lexical
    from stance.classify.traindata import find_events, joined_inputs

    events = find_events(list(rows))
    groups = sorted({events[r["article"]] for r in rows if r.get("article") in events})
    fold_of = []
    for i, r in enumerate(rows):
        event = events.get(r.get("article")) if not r.get("composed") else None
        fold_of.append(groups.index(event) % folds if event else i % folds)
    fold_of = np.array(fold_of)
    texts = joined_inputs(rows, config)
    probs = {task: np.zeros((len(rows), len(names))) for task, names in
             (("target", labels.target_names), ("stance", labels.stance_names))}
    for k in range(folds):
        train, test = np.where(fold_of != k)[0], np.where(fold_of == k)[0]
        if not len(test) or not len(train):
            continue
        train_rows = [rows[i] for i in train]
        heads = fit_heads(x[train], train_rows, labels, config)
        lexical = None
        if config.tfidf_weight:
            lexical = fit_lexical([texts[i] for i in train], {t: [r[t] for r in train_rows] for t in ("target", "stance")})
        for task, names in (("target", labels.target_names), ("stance", labels.stance_names)):
            p = head_probabilities(x[test], heads, task)
            if lexical is not None:
                p = (1 - config.tfidf_weight) * p + config.tfidf_weight * lexical.probabilities([texts[i] for i in test], task, names)
            probs[task][test] = p
    # Fit on the statements from real articles when there are enough: composed ones are easier than news,
    # so a temperature fitted on them would leave the model over-confident on what it will read.
    factors = prior_factors(rows, labels, config)
    if factors:
        probs["stance"] = apply_prior(probs["stance"], factors["stance"], labels.stance_names)
    real = np.array([not r.get("composed") for r in rows])
    use = real if real.sum() >= min_real else np.ones(len(rows), dtype=bool)
    out = {"fitted_on": int(use.sum()), "composed_included": bool(not real.all() and use is not real)}
    for task, names in (("target", labels.target_names), ("stance", labels.stance_names)):
        gold = [names.index(r[task]) for r, keep in zip(rows, use) if keep]
        temperature = fit_temperature(probs[task][use], gold)
        out[task] = {"temperature": temperature, "ece_before": expected_calibration_error(probs[task][use], gold),
                     "ece_after": expected_calibration_error(apply_temperature(probs[task][use], temperature), gold)}
    return out


def prior_factors(rows: Sequence[dict], labels: LabelSet, config: TrainConfig) -> Optional[dict]:
    """Per-label factors that move the training data's stance shares to config.stance_prior's.

    A classifier's probabilities carry the training shares; multiplying by
    (expected share / training share) and renormalising corrects them for news
    where the shares differ. Labels not named keep their training proportions
    within the remaining share. None when no prior is configured.
    """
    if not config.stance_prior:
        return None
    from stance.errors import StanceError

    names = labels.stance_names
    unknown = sorted(set(config.stance_prior) - set(names))
    if unknown:
        raise StanceError(f"config: stance_prior names {unknown}, not stance labels; expected some of {names}")
    counts = {n: sum(r["stance"] == n for r in rows) for n in names}
    total = sum(counts.values())
    rest = sum(c for n, c in counts.items() if n not in config.stance_prior)
    remaining = 1.0 - sum(config.stance_prior.values())
    factors = {}
    for n in names:
        share = counts[n] / total if total else 0.0
        wanted = config.stance_prior.get(n, remaining * counts[n] / rest if rest else 0.0)
        factors[n] = round(wanted / share, 4) if share else 1.0
    return {"stance": factors}


def apply_prior(probs, factors: Optional[dict], names: Sequence[str]):
    """probs x factors (label -> factor), renormalised per row; unchanged without factors."""
    import numpy as np

    if not factors:
        return probs
    scaled = probs * np.array([factors.get(n, 1.0) for n in names], dtype=np.float64)
    return (scaled / scaled.sum(1, keepdims=True)).astype(np.float32)
