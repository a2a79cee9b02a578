"""What training, prediction and cross-validation share around the encoder: quiet setup, threads, tokenized input, batches.

Kept apart from stance.train and stance.classify.predict so neither imports the other
for these (imports torch/transformers only inside functions).
"""

from __future__ import annotations

from typing import Iterator, Sequence

from stance.classify.basemodel import set_offline
from stance.classify.traindata import model_input

META_FILE = "stance_model.json"  # the metadata file of a model directory written by `stance train`


def quiet_transformers() -> None:
    """Silence transformers' own progress bars and info logs (we draw our own)."""
    set_offline()
    import transformers
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    transformers.logging.set_verbosity_error()


def set_threads(threads: int) -> None:
    """Use `threads` CPU threads in torch (0 or None: torch's default)."""
    import torch

    if threads and threads > 0:
        torch.set_num_threads(threads)


def encode(tokenizer, rows: Sequence[dict], config) -> list[dict]:
    """Tokenize rows with the shared model_input(); returns one dict of ids per row."""
    out = []
    use_context = config.use_context and getattr(config, "encoder_context", True)
    for row in rows:
        first, second = model_input(row, config.use_speaker, use_context, config.context_words)
        enc = tokenizer(first, second, truncation=True, max_length=config.max_length)
        out.append({k: enc[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc})
    return out


def length_sorted_batches(tokenizer, features: list[dict], batch_size: int) -> Iterator[tuple[list[int], dict]]:
    """(row indices, padded tensors) for batches of similar length: less padding, so less work per statement."""
    order = sorted(range(len(features)), key=lambda i: len(features[i]["input_ids"]))
    for begin in range(0, len(order), max(1, batch_size)):
        idx = order[begin:begin + batch_size]
        yield idx, tokenizer.pad([features[i] for i in idx], return_tensors="pt")
