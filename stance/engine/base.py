"""What every engine shares: the result of a chunk, the interface `analyze` relies on, batching."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Iterable, Iterator, Protocol

from stance.records import Article, Prediction, Statement


@dataclass
class ChunkResult:
    """One chunk done: the articles extracted, each with its statements and their predictions, and the
    reasons for the articles left out (over the time budget, or failed)."""

    articles: list[Article]
    statements: list[list[Statement]]
    predictions: list[list[Prediction]]
    skipped: list[str] = field(default_factory=list)

    def items(self) -> list[tuple[Article, list[Statement], list[Prediction]]]:
        """(article, statements, predictions) triples, as the store writes them."""
        return list(zip(self.articles, self.statements, self.predictions))


class Engine(Protocol):
    """What `analyze` asks of an engine (a context manager that stops its processes on exit)."""

    def extract_classify(self, chunks: Iterable[list[Article]]) -> Iterator[ChunkResult]:
        """Each chunk's articles extracted and classified, in the order the chunks came."""

    def classify(self, groups: Iterable[list[list[Statement]]]) -> Iterator[list[list[Prediction]]]:
        """Predictions for each group (statements by article; no article split across groups), in order."""

    def __enter__(self) -> "Engine": ...

    def __exit__(self, *exc) -> None: ...


def batched(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of `size` items (the last may be shorter)."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
