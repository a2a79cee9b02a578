"""The intermediate records of extraction: a quotation's marks, a statement found with what its speaker
resolution needs, and span trimming shared by the extractor's steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from stance.records import Statement


@dataclass
class Quote:
    """A top-level quotation of an article."""

    open: int  # position of the opening mark
    close: int  # position of the closing mark (or paragraph end when unclosed)

    @property
    def inner(self) -> tuple[int, int]:
        return self.open + 1, self.close


@dataclass
class Found:
    """A statement found, with what its speaker resolution needs."""

    statement: Statement
    tag_end: int  # where the statement's attribution ends, for continuation checks
    mention: str = ""
    nearby: Optional[str] = None  # a person named earlier in the sentence, for "he"/"she"
    same_as: Optional["Found"] = None  # shares the speaker of this statement
    mention_start: int = -1  # where the mention sits in the article (-1: not located)
    construction: str = ""  # the rule that found the statement (a feature of the speaker step)


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span past surrounding spaces and separating punctuation."""
    while start < end and text[start] in " \n\t,;:—–-":
        start += 1
    while end > start and text[end - 1] in " \n\t,;:—–-":
        end -= 1
    return start, end


def trim_clause(text: str, start: int, end: int) -> tuple[int, int]:
    """A reported clause without its sentence-final full stop."""
    start, end = trim(text, start, end)
    while end > start and text[end - 1] in ".!":
        end -= 1
    return trim(text, start, end)
