"""Typed records passed between the stages and serialised as JSONL."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable, Iterator, Optional

from stance.errors import StanceError

DATE_PRECISIONS = ("day", "month", "year")
STATEMENT_KINDS = ("direct", "indirect", "mixed")


@dataclass
class Article:
    """One cleaned news article."""

    id: str
    text: str
    content_hash: str
    date: Optional[str] = None  # YYYY-MM-DD, YYYY-MM or YYYY; None when unknown
    date_precision: Optional[str] = None  # day|month|year; None when date unknown
    source: Optional[str] = None
    url: Optional[str] = None
    title: Optional[str] = None
    origin: str = ""  # file (and line) the article was read from


@dataclass
class Statement:
    """An attributed statement found in an article."""

    article: str
    speaker: str
    speaker_mention: str
    text: str
    kind: str
    start: int
    end: int
    context: str
    date: Optional[str] = None
    date_precision: Optional[str] = None
    # how sure the extractor is of `speaker` (0-1): a name in the tag is surer than a pronoun, a pronoun
    # surer than a speaker guessed for an untagged quote; statements written before the field read as 1.0
    speaker_confidence: float = 1.0


@dataclass
class Prediction:
    """Target and stance labels for one statement, with their probabilities."""

    target: str
    stance: str
    target_probs: dict = field(default_factory=dict)
    stance_probs: dict = field(default_factory=dict)
    model_id: str = ""
    relevance: Optional[float] = None  # the relevance gate's score (stance.classify.relevance); None without a gate
    off_target: bool = False  # the gate judged the statement about no target (target and stance set to none)
    confidence: Optional[float] = None  # calibrated P(target right) x P(stance right); None for models without it


def labelled_row(row: dict, prediction: Prediction) -> dict:
    """A statement row with its prediction: the one shape in which a statement meets its label.

    The store's labelled rows, `stance predict`'s output, the position and off-topic evaluations
    all build their rows here, so every field the aggregation reads (the relevance gate's
    `off_target` above all: a gated statement is about no target, whatever its probabilities say)
    is the same wherever a statement is labelled.
    """
    return {**row, "target": prediction.target, "stance": prediction.stance,
            "target_probs": dict(prediction.target_probs or {}), "stance_probs": dict(prediction.stance_probs or {}),
            "model_id": prediction.model_id, "relevance": prediction.relevance,
            "off_target": bool(prediction.off_target), "confidence": prediction.confidence}


def read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each non-blank line of a JSONL file.

    Raises StanceError naming the file and line for unreadable or malformed lines.
    """
    path = Path(path)
    if not path.exists():
        raise StanceError(f"{path}: no such file")
    try:
        with path.open(encoding="utf-8") as handle:
            yield from parse_jsonl_lines(handle, path)
    except UnicodeDecodeError:
        raise StanceError(f"{path}: not UTF-8 text") from None


def parse_jsonl_lines(lines: Iterable[str], path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line; a malformed line raises StanceError naming file and line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise StanceError(f"{path}:{number}: not valid JSON ({exc.msg}); expected one JSON object per line") from None
        if not isinstance(obj, dict):
            raise StanceError(f"{path}:{number}: found a JSON {type(obj).__name__}, expected an object")
        yield number, obj


def write_jsonl(rows: Iterable[dict], handle: IO[str]) -> int:
    """Write dicts as JSON lines; returns how many were written."""
    count = 0
    for row in rows:
        handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count
