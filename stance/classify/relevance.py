"""The relevance gate: is a statement about a configured target at all?

Most statements in ordinary political news are about none of the targets, and a
classifier's softmax always picks some class. The gate decides before the target
and stance are kept, from the label config only (nothing here knows a target's
name):

- every target lists anchor terms in configs/labels.yaml (`anchors:`); a
  statement whose own words or sentence contain one is *anchored* and keeps the
  model's labels;
- a statement without an anchor of its own keeps them only when a statement of the
  same article within `relevance.window_chars` characters is anchored (the article
  is talking about a target there: "If they don't pay, I won't defend them" after
  a sentence about the alliance) AND the model gives some target at least
  `relevance.min_probability`;
- everything else gets the none label for target and stance.

Anchor syntax: words separated by spaces (matching any run of spaces or hyphens),
case-insensitive, whole words; a `*` at the end of a word matches any ending
(`defen*` = defend, defence, defense, ...); `A + B` needs both parts somewhere in
the statement and its sentence. No torch here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

from stance.config import DEFAULT_LABELS, check_anchor, load_labels
from stance.errors import StanceError

__all__ = ["Judgement", "RelevanceGate", "check_anchor", "compile_anchor", "with_default_gate"]


def compile_anchor(anchor: str) -> list[re.Pattern]:
    """One regular expression per ` + ` part of an anchor term."""
    patterns = []
    for part in anchor.split("+"):
        words = []
        for word in part.split():
            star = word.endswith("*")
            body = re.escape(word.rstrip("*")).replace(r"\-", r"[\s-]+")
            words.append(body + (r"\w*" if star else ""))
        patterns.append(re.compile(r"(?<!\w)" + r"[\s-]+".join(words) + r"(?!\w)", re.IGNORECASE))
    return patterns


@dataclass(frozen=True)
class Judgement:
    """The gate's verdict on one statement.

    score: 1.0 when anchored; the model's highest target probability (none
    excluded) when only a nearby statement is anchored; 0.0 otherwise.
    """

    relevant: bool
    score: float
    anchored: tuple = ()  # targets whose anchors occur in the statement or its sentence
    near: bool = False  # an anchored statement of the same article is within the window


class RelevanceGate:
    """Anchor terms and thresholds of a LabelSet, applied to statements with their model probabilities."""

    def __init__(self, labels) -> None:
        if labels.relevance is None:
            raise StanceError("the label set has no 'relevance' section; expected anchors per target and relevance settings")
        self.none_label = labels.none_label
        self.settings = labels.relevance
        self.patterns = {name: [compile_anchor(a) for a in terms] for name, terms in labels.anchors.items()}

    def anchored(self, row: dict) -> tuple:
        """The targets whose anchor terms occur in the statement's text or context."""
        text = f"{row.get('text') or ''} \n {row.get('context') or ''}"
        return tuple(name for name, anchors in self.patterns.items()
                     if any(all(p.search(text) for p in parts) for parts in anchors))

    def judge(self, rows: Sequence[dict], target_probs, target_names: Sequence[str]) -> list[Judgement]:
        """One Judgement per row; `target_probs` rows are the model's probabilities in `target_names` order.

        Statements of one article are judged together: pass all of an article's
        statements in one call so that nearby anchors are seen.
        """
        anchored = [self.anchored(r) for r in rows]
        by_article: dict[str, list[Optional[int]]] = {}
        for row, found in zip(rows, anchored):
            if found and row.get("article") is not None:
                by_article.setdefault(str(row["article"]), []).append(_start(row))
        keep = [j for j, n in enumerate(target_names) if n != self.none_label]
        out = []
        for i, row in enumerate(rows):
            if anchored[i]:
                out.append(Judgement(True, 1.0, anchored[i]))
                continue
            near = self._near(row, by_article)
            score = float(max(target_probs[i][j] for j in keep)) if near and keep else 0.0
            out.append(Judgement(near and score >= self.settings.min_probability, round(score, 4), (), near))
        return out

    def _near(self, row: dict, by_article: dict) -> bool:
        starts = by_article.get(str(row.get("article"))) if row.get("article") is not None else None
        if not starts:
            return False
        start = _start(row)
        if start is None or any(s is None for s in starts):  # no offsets: the same article is near enough
            return True
        return any(abs(start - s) <= self.settings.window_chars for s in starts)


def _start(row: dict) -> Optional[int]:
    value = row.get("start")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def with_default_gate(labels):
    """`labels` with the anchors and relevance settings of configs/labels.yaml, when it has the same targets.

    For models saved before the gate existed: they then predict with the gate the
    project's label config defines; a model with other targets is left as it is.
    """
    from dataclasses import replace

    current = load_labels(DEFAULT_LABELS)
    if current.relevance is None or set(current.targets) != set(labels.targets) or current.none_label != labels.none_label:
        return labels
    return replace(labels, anchors=current.anchors, relevance=current.relevance)


def predict_articles(predict, articles: list[list], call_size: int, batch_size: int) -> list[list]:
    """Predictions for each article's statements, with `predict(statements, batch_size)` called on
    about `call_size` statements at a time, never splitting an article: the gate judges a statement
    with the other statements of its article, so every call must hold whole articles."""
    out: list[list] = []
    group: list[list] = []

    def flush() -> None:
        flat = [statement for statements in group for statement in statements]
        predictions = predict(flat, batch_size) if flat else []
        at = 0
        for statements in group:
            out.append(predictions[at:at + len(statements)])
            at += len(statements)
        group.clear()

    for statements in articles:
        if group and sum(map(len, group)) + len(statements) > call_size:
            flush()
        group.append(statements)
    flush()
    return out
