"""The local engine: extraction in worker processes, batched classification, one writer.

The main process reads the corpus, skips articles the store holds unchanged,
hands chunks of articles to a pool of extraction workers (a few chunks ahead,
so memory stays bounded) and, while they extract the next chunks, classifies
the finished chunk and commits it. Chunks are consumed in submission order, so
the store is the same, statement for statement, whatever the worker count.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Callable, Iterable, Optional

from stance.engine import ChunkExtractor, RunStats, classify_chunk, work_chunks
from stance.records import Article, Statement

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


def run_local(articles: Iterable[Article], store, classifier_factory: Callable, model_id: str, *,
              workers: int = 0, actors: Optional[Path] = None, budget_s: Optional[float] = None, tick=None) -> RunStats:
    """Extract, classify and store every article that needs it; returns what was done.

    `workers` = 0 extracts in this process; n > 0 uses n worker processes.
    `actors` is a project's actor registry file (None: the one shipped with stance).
    `budget_s`: seconds allowed to extract one article (None: no limit); one over it is left out
    and its reason added to the returned stats' `skipped`.
    `classifier_factory()` is called once, at the first chunk with statements.
    `tick(articles, statements)` is called after each committed chunk.
    """
    global _EXTRACTOR
    stats = RunStats()
    classifier = None
    todo = work_chunks(articles, store, stats, tick)

    def commit(extracted: tuple[list[Article], list[list[Statement]], list[str]]) -> None:
        nonlocal classifier
        chunk, found, skipped = extracted
        stats.skipped.extend(skipped)
        if classifier is None and any(found):
            classifier = classifier_factory()
        predictions = classify_chunk(classifier, found) if any(found) else [[] for _ in found]
        stats.statements_labelled += store.write_batch(model_id, list(zip(chunk, found, predictions)))
        count = sum(map(len, found))
        stats.statements_found += count
        if tick is not None:
            if skipped:
                tick(len(skipped), 0, skipped=True)
            tick(len(chunk), count)

    actors_arg = str(actors) if actors is not None else None
    if workers <= 0:
        _init_worker(actors_arg, budget_s)
        try:
            for chunk in todo:
                commit(_extract_chunk(chunk))
        finally:
            _EXTRACTOR.close()
            _EXTRACTOR = None
        return stats

    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the main process holds torch threads, which a forked child must not inherit.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_start_worker, initargs=(os.getpid(), actors_arg, budget_s)) as pool:
        pending: deque = deque()
        ahead = 2 * workers  # chunks in flight: keeps workers busy while bounding memory
        try:
            for chunk in todo:
                pending.append(pool.submit(_extract_chunk, chunk))
                if len(pending) > ahead:
                    commit(pending.popleft().result())
            while pending:
                commit(pending.popleft().result())
        except BaseException:  # a bad row or Ctrl-C: drop the chunks not started rather than extract them
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return stats
