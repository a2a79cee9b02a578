"""The Ray engine: the corpus as a Ray dataset, extracted and classified with `map_batches`.

The driver streams the corpus (same validation, duplicate checks, chunks and
resume rule as the local engine), puts each chunk of articles that need work
into Ray's object store as a one-row Arrow table (Ray spills them to disk when
memory runs short, so the driver holds only references), and builds one
dataset over them.
`map_batches` runs `ExtractClassify`, a callable class, so each Ray worker
loads the actor registry and the model once, not once per batch. The results
stream back in order to the driver, the single writer, which commits each
chunk in one transaction: SQLite's guarantees hold, and the store is the one
the local engine writes.

Needs the `ray` extra: `pip install "stance[ray]"`. On a cluster (`--ray-address`),
stance and the model directory must be installed/reachable at the same path on
every node.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Iterable, Optional

from stance.engine import RunStats, chunks, classify_chunk, extract_article, work_chunks
from stance.errors import StanceError
from stance.records import Article, Prediction, Statement

SHARD_CHUNKS = 1  # chunks per Arrow table (a block): small blocks let every Ray worker take one


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise StanceError('--engine ray needs Ray Data, which is not installed; install it with '
                          '`pip install "stance[ray]"`, or use --engine local') from None
    return ray


class ExtractClassify:
    """Ray Data callable class: one Extractor and one classifier per worker, reused for every batch.

    Each input row is one chunk of articles (JSON); each is extracted and
    classified on its own, exactly as the local engine does, whatever the batch size.
    """

    def __init__(self, model_path: str, actors: Optional[str] = None):
        from stance.classify import load_classifier
        from stance.engine import make_extractor

        self.extractor = make_extractor(actors)
        self.model_path = model_path
        self.classifier = None  # loaded at the first chunk with statements
        self._load = load_classifier

    def __call__(self, batch):
        import pyarrow as pa

        out = []
        for row in batch.to_pylist():
            articles = [Article(**fields) for fields in json.loads(row["articles"])]
            found = [extract_article(self.extractor, article) for article in articles]
            if any(found) and self.classifier is None:
                self.classifier = self._load(Path(self.model_path))
            predictions = classify_chunk(self.classifier, found) if any(found) else [[] for _ in found]
            done = [[asdict(a), [[asdict(s), asdict(p)] for s, p in zip(st, labels)]]
                    for a, st, labels in zip(articles, found, predictions)]
            out.append({"chunk": row["chunk"], "done": json.dumps(done, ensure_ascii=False)})
        return pa.Table.from_pylist(out)


def _encode(number: int, chunk: list[Article]) -> dict:
    return {"chunk": number, "articles": json.dumps([asdict(a) for a in chunk], ensure_ascii=False)}


def _decode(row: dict) -> list[tuple[Article, list[Statement], list[Prediction]]]:
    return [(Article(**article), [Statement(**s) for s, _ in pairs], [Prediction(**p) for _, p in pairs])
            for article, pairs in json.loads(row["done"])]


def run_ray(articles: Iterable[Article], store, model_path: Path, model_id: str, *, address: Optional[str] = None,
            workers: Optional[int] = None, actors: Optional[Path] = None, tick=None) -> RunStats:
    """Extract, classify and store every article that needs it on Ray Data; returns what was done.

    Starts a local Ray (this machine's cores) unless `address` names a cluster or
    Ray is already initialised; `workers` is the number of ExtractClassify actors
    (default: the cluster's CPUs).
    """
    ray = _import_ray()
    import pyarrow as pa

    stats = RunStats()
    started_here = not ray.is_initialized()
    if started_here:
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
        except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError... for a bad address
            raise StanceError(f"cannot start or reach Ray{f' at {address}' if address else ''} ({exc}); "
                              "expected a running Ray cluster address such as ray://head:10001, or none") from None
    try:
        # One Arrow table (a block) per few chunks, in the object store; the driver keeps only references.
        refs = [ray.put(pa.Table.from_pylist(rows))
                for rows in chunks((_encode(n, chunk) for n, chunk in enumerate(work_chunks(articles, store, stats, tick))),
                                   SHARD_CHUNKS)]
        if not refs:
            return stats
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # the writer stores chunks in corpus order
        context.enable_progress_bars = False  # stance shows its own progress
        size = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        dataset = ray.data.from_arrow_refs(refs).map_batches(
            ExtractClassify, fn_constructor_kwargs={"model_path": str(Path(model_path).resolve()),
                                                   "actors": str(Path(actors).resolve()) if actors else None},
            batch_size=1, batch_format="pyarrow", concurrency=size, num_cpus=1)
        for row in dataset.iter_rows():
            items = _decode(row)
            stats.statements_labelled += store.write_batch(model_id, items)
            count = sum(len(statements) for _, statements, _ in items)
            stats.statements_found += count
            if tick is not None:
                tick(len(items), count)
    finally:
        if started_here:
            ray.shutdown()
    return stats
