"""`stance train`: fine-tune one encoder with a target head and a stance head.

The saved directory describes itself: weights (safetensors via save_pretrained),
tokenizer, label maps (in config.json and stance_model.json), the training
config, a fingerprint of the training data, the base model's digests and the
training metrics. Training is deterministic for a given seed on the same machine.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Optional, Sequence

from stance.classify.basemodel import resolve_base_model
from stance.config import PROJECT_ROOT, LabelSet, TrainConfig, load_labels
from stance.errors import StanceError
from stance.classify.modelinput import META_FILE, encode, quiet_transformers, set_threads
from stance.classify.traindata import check_trainable, fingerprint, joined_inputs, load_labelled

METRICS_FILE = "metrics.json"
FORMAT = 1


def label_order(rows: Sequence[dict], labels: LabelSet) -> tuple[list[str], list[str]]:
    """All labels of the config, in config order (a model can predict any of them)."""
    return labels.target_names, labels.stance_names


class _RichProgress:
    """A transformers TrainerCallback drawing a rich progress bar with the running loss."""

    def __new__(cls, enabled: bool, description: str):
        from transformers import TrainerCallback

        class Callback(TrainerCallback):
            def __init__(self):
                self.progress = None
                self.task = None

            def on_train_begin(self, args, state, control, **kw):
                if not enabled:
                    return
                from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

                self.progress = Progress(
                    TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} steps"),
                    TextColumn("loss {task.fields[loss]}"), TimeElapsedColumn(), TimeRemainingColumn(), transient=False,
                )
                self.progress.start()
                self.task = self.progress.add_task(description, total=state.max_steps, loss="-")

            def on_step_end(self, args, state, control, **kw):
                if self.progress is not None:
                    self.progress.update(self.task, completed=state.global_step)

            def on_log(self, args, state, control, logs=None, **kw):
                if self.progress is not None and logs and "loss" in logs:
                    self.progress.update(self.task, loss=f"{logs['loss']:.3f}")

            def on_train_end(self, args, state, control, **kw):
                if self.progress is not None:
                    self.progress.stop()

        return Callback()


def fit_finetune(rows: Sequence[dict], config: TrainConfig, labels: LabelSet, progress: bool = False, description: str = "training"):
    """Fine-tune the base encoder with two heads on rows; returns (model, tokenizer, info)."""
    if not rows:
        raise StanceError("no labelled statements to train on")
    quiet_transformers()
    set_threads(config.threads)
    import torch
    from datasets import Dataset
    from transformers import AutoTokenizer, DataCollatorWithPadding, PrinterCallback, Trainer, TrainingArguments, set_seed

    from stance.classify.twohead import build_from_base

    from stance.classify.device import choose_device

    device = choose_device(config.device)
    base_dir, base_meta = resolve_base_model(config.base_model, PROJECT_ROOT)
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir), local_files_only=True)
    targets, stances = label_order(rows, labels)
    t2i = {n: i for i, n in enumerate(targets)}
    s2i = {n: i for i, n in enumerate(stances)}
    features = encode(tokenizer, rows, config)
    for feat, row in zip(features, rows):
        feat["target_labels"] = t2i[row["target"]]
        feat["stance_labels"] = s2i[row["stance"]]
    dataset = Dataset.from_list(features)

    set_seed(config.seed)
    try:
        model = build_from_base(str(base_dir), targets, stances, config.encoder_layers)
    except ValueError as exc:
        raise StanceError(f"config: {exc}") from None
    if config.freeze_embeddings:
        model.encoder.get_input_embeddings().weight.requires_grad_(False)
    with tempfile.TemporaryDirectory(prefix="stance-train-") as tmp:
        args = TrainingArguments(
            output_dir=tmp, use_cpu=device.name == "cpu", bf16=device.dtype == "bfloat16", seed=config.seed, data_seed=config.seed,
            num_train_epochs=config.epochs, learning_rate=config.learning_rate,
            per_device_train_batch_size=config.batch_size, weight_decay=config.weight_decay,
            warmup_steps=config.warmup_ratio, lr_scheduler_type="linear",
            save_strategy="no", eval_strategy="no", report_to=[], disable_tqdm=True,
            logging_strategy="steps", logging_steps=5, label_names=["target_labels", "stance_labels"],
            dataloader_num_workers=0,
        )
        trainer = Trainer(
            model=model, args=args, train_dataset=dataset,
            data_collator=DataCollatorWithPadding(tokenizer), callbacks=[_RichProgress(progress, description)],
        )
        trainer.remove_callback(PrinterCallback)
        started = time.perf_counter()
        result = trainer.train()
        seconds = time.perf_counter() - started
    model = model.to("cpu").float().eval()  # saved and checked on the CPU in float32: loads anywhere
    torch.set_grad_enabled(True)
    info = {"device": device.name, "dtype": device.dtype, "train_loss": round(float(result.training_loss), 4), "train_seconds": round(seconds, 1),
            "steps": int(result.global_step), "examples": len(rows), "base_model": base_meta}
    return model, tokenizer, info


def fit_tfidf(rows: Sequence[dict], config: TrainConfig):
    """The TF-IDF + LR partner of the fine-tune, on the same model input; None when config.tfidf_weight is 0."""
    if not config.tfidf_weight:
        return None
    from stance.classify.lexical import fit_lexical

    return fit_lexical(joined_inputs(rows, config), {"target": [r["target"] for r in rows], "stance": [r["stance"] for r in rows]})


def train(config: TrainConfig, output: Path, data: Optional[Sequence[Path]] = None, progress: bool = True,
          add_data: Optional[Sequence[Path]] = None, add_db: Optional[Path] = None) -> dict:
    """Train the configured model on the labelled files and save it to `output`; returns its metadata.

    `add_data` (reviewed JSONL files) and `add_db` (a store's reviews) add human labels to the data,
    each counting `config.human_weight` times.
    """
    if config.method not in ("finetune", "embed"):
        raise StanceError(f"config: method {config.method!r} can be compared with `stance evaluate classifier`, "
                          "but `stance train` saves only methods 'finetune' and 'embed'")
    labels = load_labels(config.resolve(config.labels))
    paths = [Path(p) for p in data] if data else [config.resolve(p) for p in config.data]
    rows = load_labelled(paths, labels)
    from stance.review.training import reviewed_rows, with_human_weight

    added = reviewed_rows(add_data, add_db, labels)
    rows = with_human_weight(rows, added, config.human_weight)
    check_trainable(rows, labels, config.labels)
    calibration = None
    if config.method == "embed":
        from stance.classify.embedhead import calibrate, fit_embed

        model, tokenizer, info, x = fit_embed(rows, config, labels)
        if config.calibrate:
            calibration = calibrate(x, rows, labels, config)
    else:
        model, tokenizer, info = fit_finetune(rows, config, labels, progress=progress)
    from stance.classify import Classifier

    temperature = {t: calibration[t]["temperature"] for t in ("target", "stance")} if calibration else None
    from stance.classify.embedhead import prior_factors

    prior = prior_factors(rows, labels, config)
    classifier = Classifier(model, tokenizer, config, labels, model_id="", lexical=fit_tfidf(rows, config),
                            temperature=temperature, prior=prior)
    train_preds = classifier.predict(rows)
    correct_t = sum(p.target == r["target"] for p, r in zip(train_preds, rows))
    correct_s = sum(p.stance == r["stance"] for p, r in zip(train_preds, rows))
    int8 = int8_agreement(classifier, rows, train_preds)
    metrics = {
        "int8_argmax_agreement": int8, "calibration": calibration,
        "train_loss": info["train_loss"], "train_seconds": info["train_seconds"], "steps": info["steps"],
        "train_target_accuracy": round(correct_t / len(rows), 4), "train_stance_accuracy": round(correct_s / len(rows), 4),
        "label_counts": {"target": _counts(rows, "target"), "stance": _counts(rows, "stance")},
    }
    meta = save_model(model, tokenizer, output, config, labels, rows, paths, info["base_model"], metrics,
                      extra={"int8_equal": int8 == 1.0, "temperature": temperature, "prior": prior,
                             "trained_on": {"device": info["device"], "dtype": info["dtype"]}, "human_labels": len(added),
                             "human_weight": config.human_weight if added else 0,
                             "added_from": [str(p) for p in add_data or []] + ([str(add_db)] if add_db else [])},
                      lexical=classifier.lexical)
    return meta


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


def _counts(rows: Sequence[dict], key: str) -> dict:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[key]] = counts.get(row[key], 0) + 1
    return dict(sorted(counts.items()))


def save_model(model, tokenizer, output: Path, config: TrainConfig, labels: LabelSet, rows, paths, base_meta: dict,
               metrics: dict, extra: Optional[dict] = None, lexical=None) -> dict:
    """Write weights, tokenizer, the TF-IDF partner (if any), metadata and metrics into `output`."""
    from stance.classify.basemodel import sha256_file
    from stance.classify.lexical import ARRAYS_FILE, JSON_FILE

    output = Path(output)
    if output.exists() and not output.is_dir():
        raise StanceError(f"{output}: exists and is not a directory; expected a model output directory")
    output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(output), safe_serialization=True)
    tokenizer.save_pretrained(str(output))
    weights = sha256_file(output / "model.safetensors")
    for name in (JSON_FILE, ARRAYS_FILE):  # a model retrained without the partner must not keep a stale one
        (output / name).unlink(missing_ok=True)
    if lexical is not None:
        lexical.save(output)
    meta = {
        "format": FORMAT,
        "model_id": f"{output.name}@{weights[:12]}",
        "method": config.method,
        "architecture": "TwoHeadModel (mean-pooled encoder, target head, stance head)",
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
