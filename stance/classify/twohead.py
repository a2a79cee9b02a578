"""One transformer encoder with two classification heads (target, stance).

Imports torch and transformers at module level: import this module only inside
functions that need it (stance.train, stance.classify.predict do so lazily).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedModel
from transformers.utils import ModelOutput


@dataclass
class TwoHeadOutput(ModelOutput):
    loss: Optional[torch.Tensor] = None
    target_logits: Optional[torch.Tensor] = None
    stance_logits: Optional[torch.Tensor] = None


class TwoHeadModel(PreTrainedModel):
    """Mean-pooled encoder -> dropout -> a target head and a stance head.

    The label maps live in the config (`target_label2id`/`target_id2label`,
    `stance_label2id`/`stance_id2label`), so a saved directory describes itself.
    """

    config_class = PretrainedConfig
    base_model_prefix = "encoder"
    supports_gradient_checkpointing = False
    _supports_sdpa = True  # lets the encoder use fused (SDPA) attention instead of the slower eager default

    def __init__(self, config: PretrainedConfig):
        super().__init__(config)
        self.encoder = AutoModel.from_config(config)
        hidden = config.hidden_size
        self.dropout = nn.Dropout(getattr(config, "head_dropout", 0.1))
        self.target_head = nn.Linear(hidden, len(config.target_id2label))
        self.stance_head = nn.Linear(hidden, len(config.stance_id2label))
        self.post_init()

    def _init_weights(self, module):
        if isinstance(module, nn.Linear) and module in (getattr(self, "target_head", None), getattr(self, "stance_head", None)):
            module.weight.data.normal_(mean=0.0, std=getattr(self.config, "initializer_range", 0.02))
            module.bias.data.zero_()

    def pool(self, input_ids, attention_mask, token_type_ids=None) -> torch.Tensor:
        """The encoder's mean-pooled last hidden states (what both heads read)."""
        kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None and getattr(self.config, "type_vocab_size", 0) > 1:
            kwargs["token_type_ids"] = token_type_ids
        hidden = self.encoder(**kwargs).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, target_labels=None, stance_labels=None,
                sample_weight=None, **_):
        pooled = self.dropout(self.pool(input_ids, attention_mask, token_type_ids))
        target_logits = self.target_head(pooled)
        stance_logits = self.stance_head(pooled)
        loss = None
        if target_labels is not None and stance_labels is not None:
            ce = nn.functional.cross_entropy
            if sample_weight is None:
                loss = ce(target_logits, target_labels) + ce(stance_logits, stance_labels)
            else:  # a row of weight w counts as w rows (real news over composed): a weighted mean over the batch
                w = sample_weight.to(target_logits.dtype)
                both = ce(target_logits, target_labels, reduction="none") + ce(stance_logits, stance_labels, reduction="none")
                loss = (both * w).sum() / w.sum().clamp(min=1e-9)
        return TwoHeadOutput(loss=loss, target_logits=target_logits, stance_logits=stance_logits)


def _attention(config) -> str:
    """Fused (SDPA) attention where the encoder's class has it (BERT/MiniLM), else eager (MPNet has none)."""
    from transformers import MODEL_MAPPING

    encoder_class = MODEL_MAPPING.get(type(config), None)
    return "sdpa" if encoder_class is not None and getattr(encoder_class, "_supports_sdpa", False) else "eager"


def build_from_base(base_dir: str, target_names: list[str], stance_names: list[str], layers: int = 0) -> TwoHeadModel:
    """A fresh two-head model whose encoder holds the base model's weights.

    layers > 0 keeps only the encoder's first `layers` transformer layers (fewer
    layers, proportionally faster inference). Call transformers.set_seed() first:
    the heads are initialised randomly here.
    """
    config = AutoConfig.from_pretrained(base_dir, local_files_only=True)
    if layers:
        if layers > config.num_hidden_layers:
            raise ValueError(f"encoder_layers {layers} exceeds the base model's {config.num_hidden_layers} layers")
        config.num_hidden_layers = layers
    config.target_label2id = {name: i for i, name in enumerate(target_names)}
    config.target_id2label = {i: name for i, name in enumerate(target_names)}
    config.stance_label2id = {name: i for i, name in enumerate(stance_names)}
    config.stance_id2label = {i: name for i, name in enumerate(stance_names)}
    config.architectures = ["TwoHeadModel"]
    config._attn_implementation = _attention(config)
    model = TwoHeadModel(config)
    encoder = AutoModel.from_pretrained(base_dir, local_files_only=True)
    missing, _dropped_layers = model.encoder.load_state_dict(encoder.state_dict(), strict=False)
    if [m for m in missing if "pooler" not in m]:
        raise RuntimeError(f"base model weights missing for {missing[:5]}")
    return model


def load_saved(model_dir: str) -> TwoHeadModel:
    """Load a model directory written by `stance train`."""
    config = AutoConfig.from_pretrained(model_dir, local_files_only=True)
    for attr in ("target_id2label", "stance_id2label"):
        setattr(config, attr, {int(k): v for k, v in getattr(config, attr).items()})
    config._attn_implementation = _attention(config)
    return TwoHeadModel.from_pretrained(model_dir, config=config, local_files_only=True)
