"""The local engine: extraction in worker processes, classification in this process.

Chunks go to a pool of extraction workers a few ahead (so memory stays bounded); while they extract
the next chunks, this process classifies the finished one and hands it back to the caller, which
writes it. Chunks come back in the order they were given, so the store is the same, statement for
statement, whatever the worker count.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Iterable, Iterator, Optional

from stance.engine.base import ChunkResult
from stance.engine.memory import classify_chunk
from stance.engine.supervisor import ChunkExtractor
from stance.records import Article, Prediction, Statement

_EXTRACTOR: Optional[ChunkExtractor] = None  # one per worker process (its actor registry is loaded once)


def _init_worker(actors: Optional[str] = None, budget_s: Optional[float] = None) -> None:
    global _EXTRACTOR
    _EXTRACTOR = ChunkExtractor(actors, budget_s)


def _start_worker(parent_pid: int, actors: Optional[str] = None, budget_s: Optional[float] = None) -> None:
    """A pool worker's start: end with the run (even a kill -9 of it), then load the extractor."""
    from stance.lifeline import exit_with_parent

    exit_with_parent(parent_pid)
    _init_worker(actors, budget_s)


def _extract_chunk(articles: list[Article]) -> tuple[list[Article], list[list[Statement]], list[str]]:
    return _EXTRACTOR.extract(articles)


class LocalEngine:
    """`workers` = 0 extracts in this process; n > 0 in n worker processes. The model (on `device`) is
    loaded at the first chunk with statements."""

    def __init__(self, model_path: Path, *, workers: int = 0, actors: Optional[Path] = None,
                 budget_s: Optional[float] = None, device: str = "cpu"):
        self.model_path, self.workers, self.budget_s, self.device = Path(model_path), workers, budget_s, device
        self.actors = str(actors) if actors is not None else None
        self._classifier = None

    def __enter__(self) -> "LocalEngine":
        return self

    def __exit__(self, *exc) -> None:
        self._classifier = None

    def classifier(self):
        """The model, loaded once."""
        if self._classifier is None:
            from stance.classify import load_classifier

            self._classifier = load_classifier(self.model_path, device=self.device)
        return self._classifier

    def _classified(self, extracted: tuple[list[Article], list[list[Statement]], list[str]]) -> ChunkResult:
        articles, found, skipped = extracted
        predictions = classify_chunk(self.classifier(), found) if any(found) else [[] for _ in found]
        return ChunkResult(articles, found, predictions, skipped)

    def extract_classify(self, chunks: Iterable[list[Article]]) -> Iterator[ChunkResult]:
        """Each chunk extracted (here or in the workers) and classified here, in order."""
        if self.workers <= 0:
            global _EXTRACTOR
            _init_worker(self.actors, self.budget_s)
            try:
                for chunk in chunks:
                    yield self._classified(_extract_chunk(chunk))
            finally:
                _EXTRACTOR.close()
                _EXTRACTOR = None
            return
        yield from self._with_workers(chunks)

    def _with_workers(self, chunks: Iterable[list[Article]]) -> Iterator[ChunkResult]:
        import multiprocessing
        import os
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: this process holds torch threads, which a forked child must not inherit.
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_start_worker, initargs=(os.getpid(), self.actors, self.budget_s)) as pool:
            pending: deque = deque()
            ahead = 2 * self.workers  # chunks in flight: keeps workers busy while bounding memory
            try:
                for chunk in chunks:
                    pending.append(pool.submit(_extract_chunk, chunk))
                    if len(pending) > ahead:
                        yield self._classified(pending.popleft().result())
                while pending:
                    yield self._classified(pending.popleft().result())
            except BaseException:  # a bad row, Ctrl-C, or the caller stopping: drop the chunks not started
                pool.shutdown(wait=True, cancel_futures=True)
                raise

    def classify(self, groups: Iterable[list[list[Statement]]]) -> Iterator[list[list[Prediction]]]:
        """Each group's predictions, classified here."""
        for found in groups:
            yield classify_chunk(self.classifier(), found)
