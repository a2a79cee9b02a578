"""Method `finetune`: fine-tune the base encoder with a target head and a stance head (transformers.Trainer).

Imports torch and transformers only inside functions.
"""

from __future__ import annotations

import tempfile
import time
from typing import Sequence

from stance.classify.basemodel import resolve_base_model
from stance.classify.modelinput import encode, quiet_transformers, set_threads
from stance.config import PROJECT_ROOT, LabelSet, TrainConfig
from stance.errors import StanceError


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
    targets, stances = labels.target_names, labels.stance_names  # every label of the config, in its order
    t2i = {n: i for i, n in enumerate(targets)}
    s2i = {n: i for i, n in enumerate(stances)}
    features = encode(tokenizer, rows, config)
    weighted = config.real_weight != 1.0
    for feat, row in zip(features, rows):
        feat["target_labels"] = t2i[row["target"]]
        feat["stance_labels"] = s2i[row["stance"]]
        if weighted:
            feat["sample_weight"] = 1.0 if row.get("composed") else float(config.real_weight)
    dataset = Dataset.from_list(features)

    set_seed(config.seed)
    try:
        model = build_from_base(str(base_dir), targets, stances, config.encoder_layers)
    except ValueError as exc:
        raise StanceError(f"config: {exc}") from None
    if config.freeze_embeddings:
        model.encoder.get_input_embeddings().weight.requires_grad_(False)
    from stance.classify.delta import freeze_below

    freeze_below(model, config.train_layers)
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
