"""Load a trained model directory and label statements with target and stance.

`load_classifier(model_dir).predict(statements)` is what the analyze pipeline
calls; `predict_file` backs `stance predict`. Batches are length-sorted and run
under torch.inference_mode; dynamic int8 is used only when training measured
that it keeps every argmax equal on the training data.
"""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import IO, Iterable, Optional, Sequence, Union

from stance.config import LabelSet, labels_from_dict, train_config_from_dict
from stance.errors import StanceError
from stance.classify.modelinput import META_FILE, encode, length_sorted_batches, quiet_transformers
from stance.classify.traindata import model_input
from stance.records import Prediction, Statement, labelled_row
from stance.classify.relevance import RelevanceGate, with_default_gate

WEIGHT_FILES = ("model.safetensors", "heads.safetensors")  # a whole model, or a frozen encoder's heads


def _as_row(item: Union[dict, Statement]) -> dict:
    if is_dataclass(item):
        return asdict(item)
    if isinstance(item, dict):
        return item
    raise StanceError(f"cannot classify a {type(item).__name__}; expected a Statement or a dict with 'text'")


class Classifier:
    """A two-head model with its tokenizer, config and label set, ready to predict.

    With a `lexical` model (TF-IDF + LR, see stance.classify.lexical) and config.tfidf_weight > 0,
    the probabilities are the weighted average of the two models'. `temperature`
    ({"target": T, "stance": T}, fitted on held-out predictions at training) turns
    that average p into p^(1/T), renormalised, so confidences mean what they say; `prior`
    (label factors, see calibration.prior_factors) first moves the training data's class
    shares to those expected in news.
    """

    def __init__(self, model, tokenizer, config, labels: LabelSet, model_id: str = "", threads: Optional[int] = None,
                 lexical=None, temperature: Optional[dict] = None, prior: Optional[dict] = None, memory=None):
        self.model = model
        self.memory = memory  # reviewed statements as a nearest-neighbour memory (stance.classify.memory)
        self.temperature = dict(temperature) if temperature else None
        self.prior = dict(prior) if prior else None  # task -> label -> factor, see calibration.prior_factors
        self.lexical = lexical
        self.tokenizer = tokenizer
        self.config = config
        self.labels = labels
        self.model_id = model_id
        self.targets = [model.config.target_id2label[i] for i in range(len(model.config.target_id2label))]
        self.stances = [model.config.stance_id2label[i] for i in range(len(model.config.stance_id2label))]
        self.gate = RelevanceGate(labels) if labels.relevance is not None else None  # off-topic statements -> none
        if threads:
            import torch

            torch.set_num_threads(threads)

    def probabilities(self, statements: Sequence[Union[dict, Statement]], batch_size: int = 64):
        """(target probabilities, stance probabilities) as numpy arrays, in input order."""
        import numpy as np
        import torch

        rows = [_as_row(s) for s in statements]
        # the encoder reads each distinct input once: the same quote reported by several outlets costs one pass
        inputs = [model_input(r, self.config.use_speaker, self.config.use_context and self.config.encoder_context,
                              self.config.context_words) for r in rows]
        first = {key: i for i, key in reversed(list(enumerate(inputs)))}
        distinct = list(first)
        features = encode(self.tokenizer, [rows[first[key]] for key in distinct], self.config)
        tprobs = np.zeros((len(distinct), len(self.targets)), dtype=np.float32)
        sprobs = np.zeros((len(distinct), len(self.stances)), dtype=np.float32)
        pooled = np.zeros((len(distinct), self.model.config.hidden_size), dtype=np.float32) if self.memory else None
        self.model.eval()
        with torch.inference_mode():
            device = next(self.model.parameters(), torch.empty(0)).device
            for idx, batch in length_sorted_batches(self.tokenizer, features, batch_size):
                batch = {k: v.to(device) for k, v in batch.items()}
                if pooled is not None:  # the memory compares embeddings: the heads read the same pooled vector
                    vector = self.model.pool(**batch)
                    pooled[idx] = vector.float().cpu().numpy()
                    target_logits, stance_logits = self.model.target_head(vector), self.model.stance_head(vector)
                else:
                    out = self.model(**batch)
                    target_logits, stance_logits = out.target_logits, out.stance_logits
                tprobs[idx] = torch.softmax(target_logits.float(), -1).cpu().numpy()
                sprobs[idx] = torch.softmax(stance_logits.float(), -1).cpu().numpy()
        where = {key: j for j, key in enumerate(distinct)}
        back = [where[key] for key in inputs]
        tprobs, sprobs = tprobs[back], sprobs[back]
        weight = self.config.tfidf_weight if self.lexical is not None else 0.0
        if weight:
            from stance.classify.traindata import joined_inputs

            texts = joined_inputs(rows, self.config)
            tprobs = (1 - weight) * tprobs + weight * self.lexical.probabilities(texts, "target", self.targets)
            sprobs = (1 - weight) * sprobs + weight * self.lexical.probabilities(texts, "stance", self.stances)
        if self.prior:
            from stance.classify.calibration import apply_prior

            tprobs = apply_prior(tprobs, self.prior.get("target"), self.targets)
            sprobs = apply_prior(sprobs, self.prior.get("stance"), self.stances)
        if self.temperature:
            from stance.classify.calibration import apply_temperature

            tprobs = apply_temperature(tprobs, self.temperature.get("target"))
            sprobs = apply_temperature(sprobs, self.temperature.get("stance"))
        if pooled is not None:
            tprobs, sprobs, _ = self.memory.apply(pooled[back], tprobs, sprobs)
        return tprobs, sprobs

    def predict_articles(self, articles: list[list[Statement]], call_size: int = 256,
                         batch_size: int = 64) -> list[list[Prediction]]:
        """Predictions for each article's statements, in calls of about `call_size` statements that never
        split an article (the relevance gate judges a statement with the rest of its article)."""
        from stance.classify.relevance import predict_articles

        return predict_articles(self.predict, articles, call_size, batch_size)

    def predict(self, statements: Sequence[Union[dict, Statement]], batch_size: int = 64) -> list[Prediction]:
        """One Prediction per statement (same order). A `none` target forces stance `none`."""
        if not statements:
            return []
        tprobs, sprobs = self.probabilities(statements, batch_size)
        none = self.labels.none_label
        judged = self.gate.judge([_as_row(s) for s in statements], tprobs, self.targets) if self.gate else None
        out = []
        for i, (tp, sp) in enumerate(zip(tprobs, sprobs)):
            target = self.targets[int(tp.argmax())]
            stance = self.stances[int(sp.argmax())]
            off_target = bool(judged and not judged[i].relevant and target != none)
            if off_target:
                target = none
            if target == none and none in self.stances:
                stance = none
            # chance that both labels are right (a none target decides the stance alone; the gate's verdict has none)
            p_target = float(tp[self.targets.index(target)])
            confidence = p_target if target == none else p_target * float(sp[self.stances.index(stance)])
            out.append(Prediction(
                target=target, stance=stance,
                target_probs={n: round(float(p), 4) for n, p in zip(self.targets, tp)},
                stance_probs={n: round(float(p), 4) for n, p in zip(self.stances, sp)},
                model_id=self.model_id, relevance=judged[i].score if judged else None, off_target=off_target,
                confidence=None if off_target else round(confidence, 4),
            ))
        return out


def quantize(model):
    """A copy of the model whose encoder's Linear layers run in dynamic int8 (CPU inference).

    The heads stay float32: a frozen encoder's fitted heads carry the standardisation folded into
    their weights, whose range int8 would not keep.
    """
    import copy
    import warnings

    import torch

    quantized = copy.deepcopy(model)
    with warnings.catch_warnings():  # torch.ao dynamic quantization warns about its future move to torchao
        warnings.simplefilter("ignore")
        quantized.encoder = torch.ao.quantization.quantize_dynamic(quantized.encoder, {torch.nn.Linear}, dtype=torch.qint8)
    return quantized


def is_model_dir(model_dir: Path) -> bool:
    """True when `model_dir` holds a model written by `stance train` (metadata and weights or heads)."""
    model_dir = Path(model_dir)
    return (model_dir / META_FILE).is_file() and any((model_dir / name).is_file() for name in WEIGHT_FILES)


def read_meta(model_dir: Path) -> dict:
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise StanceError(f"{model_dir}: model directory not found; train one with `stance train --output {model_dir}` or pass --model DIR")
    meta_path = model_dir / META_FILE
    if not is_model_dir(model_dir):
        raise StanceError(f"{model_dir}: not a stance model directory (expected {META_FILE} and model.safetensors "
                          "or heads.safetensors written by `stance train`)")
    try:
        return json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StanceError(f"{meta_path}: unreadable model metadata ({exc}); expected the JSON written by `stance train`") from None


def load_classifier(model_dir: Union[str, Path, None] = None, int8: Optional[bool] = None, threads: Optional[int] = None,
                    device: str = "cpu") -> Classifier:
    """Load a directory written by `stance train`. int8=None: use int8 when training found it argmax-equal (CPU only).

    `device`: cpu, cuda, mps or auto (see stance.classify.device); the saved weights are float32 whatever they were trained on.
    """
    if not model_dir:
        from stance.home import home_model_dir

        model_dir = home_model_dir()
    model_dir = Path(model_dir)
    meta = read_meta(model_dir)
    quiet_transformers()
    settings = meta.get("train_config")
    if isinstance(settings, dict):  # models saved before these settings existed: whole context, no TF-IDF partner
        settings = {"context_words": 0, "tfidf_weight": 0.0, **settings}
    config = train_config_from_dict(settings, f"{model_dir / META_FILE} train_config")
    labels = labels_from_dict(meta.get("labels"), f"{model_dir / META_FILE} labels")
    if labels.relevance is None:  # saved before the relevance gate: take the gate of the label config
        labels = with_default_gate(labels)
    model, tokenizer = _load_weights(model_dir, meta, config, labels)
    from stance.classify.device import choose_device, place

    chosen = choose_device(device)
    use_int8 = meta.get("int8_equal", False) if int8 is None else int8
    if chosen.name != "cpu":
        model = place(model, chosen)  # int8 dynamic quantization is a CPU-only path
    elif use_int8:
        model = quantize(model)
    lexical = None
    if config.tfidf_weight:
        from stance.classify.lexical import ARRAYS_FILE, JSON_FILE, load_lexical

        if not (model_dir / JSON_FILE).is_file() or not (model_dir / ARRAYS_FILE).is_file():
            raise StanceError(f"{model_dir}: tfidf_weight is {config.tfidf_weight} but {JSON_FILE} or {ARRAYS_FILE} is missing; "
                              "expected the TF-IDF model written by `stance train`")
        lexical = load_lexical(model_dir)
    from stance.classify.memory import load_memory

    return Classifier(model, tokenizer, config, labels, model_id=meta.get("model_id", model_dir.name),
                      threads=threads or config.threads, lexical=lexical, temperature=meta.get("temperature"),
                      prior=meta.get("prior"), memory=load_memory(model_dir))


def _load_weights(model_dir: Path, meta: dict, config, labels: LabelSet):
    """(model, tokenizer) of a model directory: a whole saved model, or the verified base encoder with saved heads."""
    from transformers import AutoTokenizer

    if (model_dir / "model.safetensors").is_file():
        from stance.classify.twohead import load_saved

        return load_saved(str(model_dir)).eval(), AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    from stance.classify.embedhead import frozen_encoder, load_heads

    from stance.classify.delta import DELTA_FILE

    saved_delta = (meta.get("base_model") or {}).get("delta")
    delta_path = None
    if saved_delta:
        from stance.home import RESOURCES

        # the model's own copy, or the one shipped inside the package that the model names
        delta_path = model_dir / DELTA_FILE if not saved_delta.get("packaged") else RESOURCES / saved_delta["packaged"]
        if not delta_path.is_file():
            raise StanceError(f"{model_dir}: its heads read an encoder with tuned layers, but {delta_path} is missing; "
                              "expected the delta written by `stance train` (or shipped with stance)")
    model, tokenizer, base = frozen_encoder(config, labels, delta=delta_path)
    if saved_delta and base["delta"]["sha256"] != saved_delta.get("sha256"):
        raise StanceError(f"{delta_path}: sha256 {base['delta']['sha256'][:12]}… is not the "
                          f"{str(saved_delta.get('sha256'))[:12]}… its heads were fitted on; expected the model's own delta")
    expected = (meta.get("base_model") or {}).get("sha256", {}).get("model.safetensors")
    found = base.get("sha256", {}).get("model.safetensors")
    if expected and found != expected:
        raise StanceError(f"{model_dir}: its heads were fitted on base encoder weights {expected[:12]}…, but "
                          f"{config.base_model!r} resolves to weights {str(found)[:12]}…; expected the same base model package")
    load_heads(model, model_dir)
    return model.float().eval(), tokenizer


def predict_rows(rows: list[dict], classifier: Classifier, batch_size: int = 64) -> Iterable[dict]:
    """The input rows plus target, stance, their probabilities and model_id."""
    for row, pred in zip(rows, classifier.predict(rows, batch_size)):
        yield labelled_row(row, pred)


def predict_file(input_path: Path, model_dir: Optional[Path], handle: IO[str], batch_size: int = 64, device: str = "cpu") -> int:
    """Classify every statement of a JSONL file; write the labelled rows to handle."""
    from stance.records import write_jsonl
    from stance.classify.traindata import read_statements

    rows = read_statements(Path(input_path))
    classifier = load_classifier(model_dir, device=device)
    return write_jsonl(predict_rows(rows, classifier, batch_size), handle)
