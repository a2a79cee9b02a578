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

from stance.engine import RunStats, classify_chunk, extract_article, work_chunks
from stance.records import Article, Statement

_EXTRACTOR = None  # one Extractor per worker process (its actor registry is loaded once)


def _init_worker(actors: Optional[str] = None) -> None:
    global _EXTRACTOR
    from stance.engine import make_extractor

    _EXTRACTOR = make_extractor(actors)


def _extract_chunk(articles: list[Article]) -> list[list[Statement]]:
    return [extract_article(_EXTRACTOR, article) for article in articles]


def run_local(articles: Iterable[Article], store, classifier_factory: Callable, model_id: str, *,
              workers: int = 0, actors: Optional[Path] = None, tick=None) -> RunStats:
    """Extract, classify and store every article that needs it; returns what was done.

    `workers` = 0 extracts in this process; n > 0 uses n worker processes.
    `actors` is a project's actor registry file (None: the one shipped with stance).
    `classifier_factory()` is called once, at the first chunk with statements.
    `tick(articles, statements)` is called after each committed chunk.
    """
    stats = RunStats()
    classifier = None
    todo = work_chunks(articles, store, stats, tick)

    def commit(chunk: list[Article], found: list[list[Statement]]) -> None:
        nonlocal classifier
        if classifier is None and any(found):
            classifier = classifier_factory()
        predictions = classify_chunk(classifier, found) if any(found) else [[] for _ in found]
        stats.statements_labelled += store.write_batch(model_id, list(zip(chunk, found, predictions)))
        count = sum(map(len, found))
        stats.statements_found += count
        if tick is not None:
            tick(len(chunk), count)

    actors_arg = str(actors) if actors is not None else None
    if workers <= 0:
        _init_worker(actors_arg)
        for chunk in todo:
            commit(chunk, _extract_chunk(chunk))
        return stats

    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the main process holds torch threads, which a forked child must not inherit.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_init_worker, initargs=(actors_arg,)) as pool:
        pending: deque = deque()
        ahead = 2 * workers  # chunks in flight: keeps workers busy while bounding memory
        try:
            for chunk in todo:
                pending.append((chunk, pool.submit(_extract_chunk, chunk)))
                if len(pending) > ahead:
                    done_chunk, future = pending.popleft()
                    commit(done_chunk, future.result())
            while pending:
                done_chunk, future = pending.popleft()
                commit(done_chunk, future.result())
        except BaseException:  # a bad row or Ctrl-C: drop the chunks not started rather than extract them
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return stats
