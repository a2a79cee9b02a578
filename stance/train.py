"""`stance train`: build the configured classifier from labelled statements and save it.

`fit_classifier(rows, config, labels)` builds exactly what `stance train` saves (and what
cross-validation scores): the encoder (fine-tuned, or frozen with fitted heads), the TF-IDF
partner, the class prior and the calibrated temperatures. The saved directory describes itself:
weights or heads, tokenizer, label maps, the training config, a fingerprint of the training
data, the base model's digests and the training metrics. Training is deterministic for a given
seed on the same machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from stance.classify.finetune import fit_finetune
from stance.classify.modelinput import META_FILE
from stance.classify.traindata import check_trainable, fingerprint, load_labelled
from stance.config import LabelSet, TrainConfig, load_labels
from stance.errors import StanceError

METRICS_FILE = "metrics.json"
FORMAT = 2  # 2: frozen-encoder models keep only their heads (the encoder comes from its base package)
SAVED_METHODS = ("finetune", "embed")


def label_order(labels: LabelSet) -> tuple[list[str], list[str]]:
    """All labels of the config, in config order (a model can predict any of them)."""
    return labels.target_names, labels.stance_names


@dataclass
class Fitted:
    """A classifier as `fit_classifier` built it, with what training measured on the way."""

    classifier: object
    info: dict
    rows: list  # every training row: text rows, then the label rows of stored features
    calibration: Optional[dict] = None
    stored: list = field(default_factory=list)  # the feature sets trained on (stance.classify.features)


def load_stored(config: TrainConfig, labels: LabelSet, paths: Optional[Sequence[Path]] = None) -> list:
    """The feature sets the config names (`features:`), checked against its label set."""
    from stance.classify.features import load_features

    found = []
    for path in (paths if paths is not None else [config.resolve(p) for p in config.features]):
        features = load_features(Path(path))
        for t, s in zip(features.target, features.stance):
            labels.check(t, s, str(path))
        found.append((Path(path), features))
    return found


def fit_classifier(rows: Sequence[dict], config: TrainConfig, labels: LabelSet, stored: Sequence = (),
                   progress: bool = False):
    """The configured classifier fitted on labelled rows (and stored feature sets); returns a Fitted.

    `stored`: (path, FeatureSet) pairs from load_stored, method embed only.
    """
    from stance.classify import Classifier
    from stance.classify.calibration import prior_factors
    from stance.classify.traindata import with_speaker_dropout

    rows = with_speaker_dropout(list(rows), config.speaker_dropout, config.seed)

    if config.method not in SAVED_METHODS:
        raise StanceError(f"config: method {config.method!r} can be compared with `stance evaluate classifier`, "
                          "but `stance train` saves only methods 'finetune' and 'embed'")
    if config.method == "finetune":
        if stored:
            raise StanceError("config: features (statements kept as frozen-encoder features) need method embed")
        model, tokenizer, info = fit_finetune(rows, config, labels, progress=progress)
        every, x, counts = list(rows), None, None
    else:
        model, tokenizer, info, x, every, counts = _fit_frozen(rows, config, labels, stored)
    from stance.classify.lexical import fit_tfidf

    weights = None
    if config.method == "embed":
        from stance.classify.embedhead import row_weights

        weights = row_weights(every, config)
    lexical = fit_tfidf(rows, config, every[len(rows):], counts, sample_weight=weights)
    prior = prior_factors(every, labels, config)
    classifier = Classifier(model, tokenizer, config, labels, model_id="", lexical=lexical, prior=prior)
    calibration = None
    if config.method == "embed" and config.calibrate:
        calibration = _calibrate_frozen(x, rows, every, counts, config, labels)
        classifier.temperature = {t: calibration[t]["temperature"] for t in ("target", "stance")}
    return Fitted(classifier, info, every, calibration, [s for _, s in stored])


def _fit_frozen(rows, config, labels, stored):
    from stance.classify.embedhead import fit_embed
    from stance.classify.features import check_features, merge_counts

    sets = [fs for _, fs in stored]
    label_rows = [r for fs in sets for r in fs.rows()]
    x_stored = None
    if sets:
        import numpy as np

        x_stored = np.vstack([fs.x for fs in sets])
    model, tokenizer, info, x, every = fit_embed(rows, config, labels, (x_stored, label_rows) if sets else None)
    base = info["base_model"]
    digest = base.get("encoder_sha256", base["sha256"].get("model.safetensors")) if base.get("verified") else None
    for path, fs in stored:
        check_features(fs, config, labels, digest, str(path))
    counts = merge_counts(sets) if sets else None
    return model, tokenizer, info, x, every, counts


def _calibrate_frozen(x, rows, every, counts, config, labels) -> dict:
    """Out-of-fold temperatures for a frozen-encoder model: heads, TF-IDF partner and prior refitted per fold."""
    from stance.classify.calibration import apply_prior, calibrate, prior_factors
    from stance.classify.embedhead import fit_heads, head_probabilities, row_weights
    from stance.classify.lexical import fit_tfidf
    from stance.classify.traindata import joined_inputs

    n_text = len(rows)
    texts = joined_inputs(rows, config)
    weights = row_weights(every, config)

    def fit_predict(train, test):
        train_rows = [every[i] for i in train]
        heads = fit_heads(x[train], train_rows, labels, config, sample_weight=weights[train])
        lexical = None
        if config.tfidf_weight:
            text_train = [i for i in train if i < n_text]
            stored_train = [i for i in train if i >= n_text]
            fold_counts = (counts[0][[i - n_text for i in stored_train]], counts[1]) if counts is not None else None
            lexical = fit_tfidf([rows[i] for i in text_train], config, [every[i] for i in stored_train], fold_counts,
                                sample_weight=weights[text_train + stored_train])
        factors = prior_factors(train_rows, labels, config)
        out = {}
        for task, names in (("target", labels.target_names), ("stance", labels.stance_names)):
            p = head_probabilities(x[test], heads, task)
            if lexical is not None:
                p = (1 - config.tfidf_weight) * p + config.tfidf_weight * _lexical_probs(lexical, test, texts, counts, n_text, task, names)
            out[task] = apply_prior(p, factors.get(task), names) if factors else p
        return out

    return calibrate(every, labels, config, fit_predict)


def _lexical_probs(lexical, test, texts, counts, n_text, task, names):
    """The lexical model's probabilities for rows given by index: text rows from their text, stored ones from counts."""
    import numpy as np

    out = np.zeros((len(test), len(names)), dtype=np.float32)
    text_pos = [j for j, i in enumerate(test) if i < n_text]
    if text_pos:
        out[text_pos] = lexical.probabilities([texts[test[j]] for j in text_pos], task, names)
    stored_pos = [j for j, i in enumerate(test) if i >= n_text]
    if stored_pos:
        out[stored_pos] = lexical.count_probabilities(counts[0][[test[j] - n_text for j in stored_pos]], counts[1], task, names)
    return out


def train(config: TrainConfig, output: Path, data: Optional[Sequence[Path]] = None, progress: bool = True,
          add_data: Optional[Sequence[Path]] = None, add_db: Optional[Path] = None) -> dict:
    """Train the configured model on the labelled files and save it to `output`; returns its metadata.

    `add_data` (reviewed JSONL files) and `add_db` (a store's reviews) add human labels to the data,
    each counting `config.human_weight` times. The config's `features:` (statements kept as features,
    such as the real news shipped with stance) are trained on too.
    """
    if config.method not in SAVED_METHODS:
        raise StanceError(f"config: method {config.method!r} can be compared with `stance evaluate classifier`, "
                          "but `stance train` saves only methods 'finetune' and 'embed'")
    labels = load_labels(config.resolve(config.labels))
    paths = [Path(p) for p in data] if data else [config.resolve(p) for p in config.data]
    rows = load_labelled(paths, labels)
    from stance.review.training import reviewed_rows, with_human_weight

    added = reviewed_rows(add_data, add_db, labels)
    rows = with_human_weight(rows, added, config.human_weight)
    stored = load_stored(config, labels)
    check_trainable(rows + [r for _, fs in stored for r in fs.rows()], labels, config.labels)
    fitted = fit_classifier(rows, config, labels, stored, progress=progress)
    classifier, every = fitted.classifier, fitted.rows
    if added and config.memory_similarity and config.method == "embed":
        from stance.classify.embedhead import embeddings
        from stance.classify.memory import build_memory

        classifier.memory = build_memory(embeddings(classifier.model, classifier.tokenizer, added, config), added,
                                         classifier.targets, classifier.stances, config.memory_similarity)
    train_preds = classifier.predict(rows) if rows else []
    correct_t = sum(p.target == r["target"] for p, r in zip(train_preds, rows))
    correct_s = sum(p.stance == r["stance"] for p, r in zip(train_preds, rows))
    int8 = int8_agreement(classifier, rows, train_preds)
    info = fitted.info
    metrics = {
        "int8_argmax_agreement": int8, "calibration": fitted.calibration,
        "train_loss": info["train_loss"], "train_seconds": info["train_seconds"], "steps": info["steps"],
        "train_target_accuracy": round(correct_t / max(1, len(rows)), 4),
        "train_stance_accuracy": round(correct_s / max(1, len(rows)), 4),
        "label_counts": {"target": _counts(every, "target"), "stance": _counts(every, "stance")},
    }
    extra = {"int8_equal": int8 == 1.0, "temperature": classifier.temperature, "prior": classifier.prior,
             "trained_on": {"device": info["device"], "dtype": info["dtype"]}, "human_labels": len(added),
             "human_weight": config.human_weight if added else 0,
             "added_from": [str(p) for p in add_data or []] + ([str(add_db)] if add_db else []),
             "memory": ({"statements": len(classifier.memory), "similarity": classifier.memory.similarity}
                        if classifier.memory is not None else None),
             "features": [{"file": p.name, "statements": len(fs), **{k: v for k, v in fs.about.items() if k != "settings"}}
                          for p, fs in stored]}
    return save_model(classifier, output, rows, paths, info["base_model"], metrics, extra=extra)


def int8_agreement(classifier, rows: Sequence[dict], fp32=None) -> float:
    """Fraction of rows whose target and stance argmax stay equal under dynamic int8.

    `fp32`: the classifier's predictions for `rows`, when the caller already has them.
    """
    from stance.classify.predict import Classifier, quantize

    fp32 = fp32 if fp32 is not None else classifier.predict(rows)
    q = Classifier(quantize(classifier.model), classifier.tokenizer, classifier.config, classifier.labels,
                   lexical=classifier.lexical, temperature=classifier.temperature, prior=classifier.prior)
    int8 = q.predict(rows)
    same = sum(a.target == b.target and a.stance == b.stance for a, b in zip(fp32, int8))
    return round(same / max(1, len(rows)), 4)


def _delta_source(config, base_meta: dict) -> Optional[Path]:
    """The delta file the model's encoder read (None: the base encoder as it is)."""
    if not base_meta.get("delta"):
        return None
    path = config.resolve(config.encoder_delta)
    from stance.classify.digests import sha256_file

    if not path.is_file() or sha256_file(path) != base_meta["delta"]["sha256"]:
        raise StanceError(f"{path}: the encoder delta changed while training; expected sha256 "
                          f"{base_meta['delta']['sha256'][:12]}…")
    return path


def _packaged(path: Path) -> Optional[str]:
    """`path` relative to the data shipped inside the stance package, or None when it lies elsewhere."""
    from stance.home import RESOURCES

    try:
        return Path(path).resolve().relative_to(RESOURCES.resolve()).as_posix()
    except ValueError:
        return None


def _counts(rows: Sequence[dict], key: str) -> dict:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[key]] = counts.get(row[key], 0) + 1
    return dict(sorted(counts.items()))


def save_model(classifier, output: Path, rows, paths, base_meta: dict, metrics: dict, extra: Optional[dict] = None) -> dict:
    """Write weights (a frozen verified encoder: its heads only), tokenizer, the TF-IDF partner (if any),
    metadata and metrics into `output`."""
    from stance.classify.delta import DELTA_FILE
    from stance.classify.digests import sha256_file
    from stance.classify.embedhead import HEADS_FILE, save_heads
    from stance.classify.memory import MEMORY_FILE
    from stance.classify.lexical import ARRAYS_FILE, JSON_FILE

    model, tokenizer, config, labels, lexical = (classifier.model, classifier.tokenizer, classifier.config,
                                                 classifier.labels, classifier.lexical)
    output = Path(output)
    if output.exists() and not output.is_dir():
        raise StanceError(f"{output}: exists and is not a directory; expected a model output directory")
    output.mkdir(parents=True, exist_ok=True)
    delta = _delta_source(config, base_meta)
    for name in (JSON_FILE, ARRAYS_FILE, HEADS_FILE, "model.safetensors", DELTA_FILE, MEMORY_FILE):  # nothing stale
        (output / name).unlink(missing_ok=True)
    if delta is not None:
        packaged = _packaged(delta)
        if packaged:  # shipped with stance: the model names it (digest checked at load) rather than copying it
            base_meta = {**base_meta, "delta": {**base_meta["delta"], "packaged": packaged}}
        else:  # the model directory holds the encoder layers its heads read
            import shutil

            shutil.copyfile(delta, output / DELTA_FILE)
    heads_only = config.method == "embed" and base_meta.get("verified")
    if heads_only:  # the encoder is the base package's, checked by digest at load: keep only what was fitted
        weights = sha256_file(save_heads(model, output))
    else:
        model.save_pretrained(str(output), safe_serialization=True)
        tokenizer.save_pretrained(str(output))
        weights = sha256_file(output / "model.safetensors")
    if lexical is not None:
        lexical.save(output)
    if getattr(classifier, "memory", None) is not None:
        classifier.memory.save(output)
    meta = {
        "format": FORMAT,
        "model_id": f"{output.name}@{weights[:12]}",
        "method": config.method,
        "architecture": "TwoHeadModel (mean-pooled encoder, target head, stance head)",
        "weights": HEADS_FILE if heads_only else "model.safetensors",
        "labels": labels.to_dict(),
        "train_config": config.to_dict(),
        "data_files": [str(p) for p in paths],
        "data_fingerprint": fingerprint(rows),
        "base_model": base_meta,
        "weights_sha256": weights,
        "tfidf": ({"weight": config.tfidf_weight,
                   "sha256": {name: sha256_file(output / name) for name in (JSON_FILE, ARRAYS_FILE)}}
                  if lexical is not None else None),
        **(extra or {}),
    }
    (output / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (output / METRICS_FILE).write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return meta
