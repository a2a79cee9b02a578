"""Engines that run extraction and classification over a streamed corpus.

Both engines cut the corpus into the same chunks of CHUNK articles by
position (less the articles already stored unchanged), extract each article's statements the same way and classify each
chunk's statements in the same PREDICT_BATCH slices, so they store the same
statements with the same labels. Each chunk (articles, statements and
predictions) is committed in one transaction: an interrupted run keeps every
chunk it committed, and the next run skips those articles as unchanged.

- `local` (stance.engine.local): extraction in worker processes of this
  machine, classification in the main process, one writer.
- `ray` (stance.engine.ray_engine): a Ray Data pipeline; optional extra.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Iterable, Iterator, Optional

from stance.records import Article, Prediction, Statement

CHUNK = 64  # articles per unit of work and per store transaction
PREDICT_BATCH = 256  # statements per classifier call
MODEL_BATCH = 32  # statements per forward pass: half the transient memory of 64, no slower end to end on CPU
ENGINES = ("local", "ray")


@dataclass
class RunStats:
    """What an engine did: articles by store status, statements found and labelled, articles left out."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    statements_found: int = 0
    statements_labelled: int = 0
    skipped: list[str] = field(default_factory=list)  # articles left out, each with its reason


class ChunkExtractor:
    """Extracts each article of a chunk within `budget_s` seconds (None or 0: no budget), with a project's
    actor registry file or the one shipped with stance: the one extraction step every engine calls.

    An article over its budget (or one the extractor fails on) is left out of the chunk and its reason
    kept, so one pathological article is listed in the summary instead of hanging the run; it is not
    stored, so the next run tries it again. Use as a context manager, or call `close`.
    """

    def __init__(self, actors: Optional[str] = None, budget_s: Optional[float] = None):
        from stance.extract.timebudget import BudgetedExtractor

        registry = None
        if actors is not None:
            from pathlib import Path

            from stance.extract.speakers import load_registry

            registry = load_registry(Path(actors))
        self._budgeted = BudgetedExtractor(budget_s, registry)

    def __enter__(self) -> "ChunkExtractor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def extract(self, articles: list[Article]) -> tuple[list[Article], list[list[Statement]], list[str]]:
        """(articles extracted, their statements with context and utterance dates, reasons for those left out)."""
        from stance.extract.timebudget import ArticleSkipped

        kept, found, skipped = [], [], []
        for article in articles:
            try:
                statements = self._budgeted.extract(article)
            except ArticleSkipped as exc:
                skipped.append(str(exc))
                continue
            kept.append(article)
            found.append(statements)
        return kept, found, skipped

    def close(self) -> None:
        """Stop the budget's worker process, if one runs."""
        self._budgeted.close()


def _glibc():
    """The C library when it is glibc (malloc_trim and mallopt exist), else None; looked up once."""
    global _LIBC
    if _LIBC is None:
        _LIBC = False
        import sys

        if sys.platform.startswith("linux"):
            import ctypes
            import ctypes.util

            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                libc.malloc_trim, libc.mallopt  # noqa: B018 -- both or neither (musl has neither)
                _LIBC = libc
            except (OSError, AttributeError):
                pass
    return _LIBC or None


_LIBC = None  # the glibc handle once looked up; False where there is none
_HEAP_BOUNDED = False


def bound_heap_growth() -> None:
    """Give every allocation of MMAP_THRESHOLD bytes or more its own mapping, in this process, from now on.

    A batch's tensors change size with its statements' lengths. glibc's default raises its
    mmap threshold to the largest block freed, so these tensors then come from the heap,
    whose holes rarely fit the next batch's sizes: the peak inside each classifier call kept
    rising from chunk to chunk (scripts/bench_memory.py, README "Large corpora"). Mapped blocks go back to the system
    when freed, so the peak stays that of one batch (glibc only; elsewhere nothing).
    """
    global _HEAP_BOUNDED
    libc = _glibc()
    if libc and not _HEAP_BOUNDED:
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        _HEAP_BOUNDED = True


_M_MMAP_THRESHOLD = -3  # mallopt parameter, from glibc's malloc.h
MMAP_THRESHOLD = 4 * 2**20  # measured against 1 and 8 MiB (scripts/bench_memory.py): flat peaks, no end-to-end cost


def release_freed_memory() -> None:
    """Hand memory that has been freed back to the operating system (glibc's malloc_trim; elsewhere nothing).

    One call per chunk costs milliseconds against seconds of classification.
    """
    libc = _glibc()
    if libc:
        libc.malloc_trim(0)


def classify_chunk(classifier, found: list[list[Statement]]) -> list[list[Prediction]]:
    """Predictions for each article's statements; the chunk's statements go to the classifier in
    calls of about PREDICT_BATCH that never split an article (the relevance gate judges a statement
    with the other statements of its article), MODEL_BATCH at a time through the model, with the heap bounded
    (see bound_heap_growth). Freed memory goes back to the system after each chunk."""
    bound_heap_growth()
    out: list[list[Prediction]] = []
    group: list[list[Statement]] = []

    def flush() -> None:
        flat = [statement for statements in group for statement in statements]
        predictions = classifier.predict(flat, MODEL_BATCH) if flat else []
        at = 0
        for statements in group:
            out.append(predictions[at:at + len(statements)])
            at += len(statements)
        group.clear()

    for statements in found:
        if group and sum(map(len, group)) + len(statements) > PREDICT_BATCH:
            flush()
        group.append(statements)
    flush()
    release_freed_memory()
    return out


def chunks(items: Iterable, size: Optional[int] = None) -> Iterator[list]:
    """Consecutive lists of `size` items (default CHUNK, read at call time; the last may be shorter)."""
    size = size or CHUNK
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def work_chunks(articles: Iterable[Article], store, stats: RunStats, tick=None) -> Iterator[list[Article]]:
    """The corpus cut into chunks of CHUNK articles by position, less the articles the store holds
    unchanged (each status counted in `stats`); chunks left empty are dropped.

    Chunks follow corpus positions, not the work left, so a resumed run classifies
    exactly the batches an uninterrupted run would: dynamic int8 quantization
    scales activations per batch, so a statement's probabilities can depend on
    the other statements of its batch, and equal batches give equal stores.
    """
    for chunk in chunks(articles):
        todo = []
        for article, status in zip(chunk, store.statuses(chunk)):
            setattr(stats, status, getattr(stats, status) + 1)
            if status != "unchanged":
                todo.append(article)
        if tick is not None and len(todo) < len(chunk):
            tick(len(chunk) - len(todo), 0, skipped=True)
        if todo:
            yield todo


def default_workers(cpus: Optional[int] = None) -> int:
    """Extraction worker processes by default: one per core beyond the first, at most 4.

    The main process classifies (the dominant cost) while workers extract the next
    chunks; on 2 cores that is one worker, on 1 core none (extraction in-process).
    """
    import os

    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(4, cpus - 1))
