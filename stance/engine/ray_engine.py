"""The Ray engine: the corpus as a Ray dataset, extracted and classified with `map_batches`.

The driver gets the chunks `analyze` planned (the same chunks as the local
engine) and puts each into Ray's object store as a one-row Arrow table. It does so a window at a time
(WINDOW_CHUNKS_PER_ACTOR chunks per classifying actor) and runs one dataset per
window: the work starts after the first window is read, not after the whole
corpus, and the object store holds one window of text (Ray spills to disk beyond
its cap), however large the corpus. Each window's dataset has two stages:

- `extract_rows`, a plain function run as Ray tasks: extraction needs no model,
  so the tasks are small processes (the actor registry is loaded once per
  process);
- `Classify`, a callable class run by a fixed pool of `workers` actors: each
  loads the model once and classifies with several torch threads.

Classification is most of the work and the model the largest part of a process's
memory, so by default one classifying actor per two CPUs, each using two threads,
with extraction tasks beside them: on a 2-core machine that is the local engine's
layout (one model, one extraction process). The results stream back in order
to the driver, whose caller is the single writer and commits each chunk in one transaction:
SQLite's guarantees hold, and the store is the one the local engine writes. Statements an
earlier run stored that the current model has not labelled go through the same pool of
classifying actors (`RayEngine.classify`), never through a model in the driver.

Needs the `ray` extra: `pip install "stance[ray]"`. On a cluster (`--ray-address`),
stance and the model directory must be installed/reachable at the same path on
every node.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Iterable, Iterator, Optional

from stance.engine.base import ChunkResult, batched
from stance.engine.memory import classify_chunk
from stance.engine.supervisor import ChunkExtractor
from stance.errors import StanceError
from stance.records import Article, Prediction, Statement

SHARD_CHUNKS = 1  # chunks per Arrow table (a block): small blocks let every Ray worker take one
EXTRACT_CPUS = 0.5  # a Ray CPU share per extraction task: extraction is light, so two share a core
# Chunks per Ray dataset, per classifying actor: on 2 cores (one actor) a window of 4,096 articles (~20 MB
# of news text) read ahead by the driver and held in the object store. Each window starts its actor pool
# afresh (a model load per actor, seconds) and drains before the next, so the window grows with the pool:
# every actor gets about 64 chunks (minutes of work) per start, on one machine or a cluster.
WINDOW_CHUNKS_PER_ACTOR = 64
LOCAL_OBJECT_STORE_BYTES = 512 * 2**20  # a local Ray's object store; beyond it Ray spills chunks to disk

_EXTRACTORS: dict = {}  # one ChunkExtractor per Ray worker process, registry and budget, reused by its tasks


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise StanceError('--engine ray needs Ray Data, which is not installed; install it with '
                          '`pip install "stance[ray]"`, or use --engine local') from None
    return ray


def extract_rows(batch, actors: Optional[str] = None, budget_s: Optional[float] = None):
    """Ray Data task: each row (one chunk of articles, JSON) with its articles' statements, extracted
    exactly as the local engine does, and the reasons for articles left out (over the time budget)."""
    import pyarrow as pa

    key = (actors, budget_s)
    if key not in _EXTRACTORS:
        _EXTRACTORS[key] = ChunkExtractor(actors, budget_s)
    out = []
    for row in batch.to_pylist():
        kept, found, skipped = _EXTRACTORS[key].extract([Article(**fields) for fields in json.loads(row["articles"])])
        pairs = [[asdict(article), [asdict(s) for s in statements]] for article, statements in zip(kept, found)]
        out.append({"chunk": row["chunk"], "found": json.dumps(pairs, ensure_ascii=False),
                    "skipped": json.dumps(skipped, ensure_ascii=False)})
    return pa.Table.from_pylist(out)


class Classify:
    """Ray Data callable class: one classifier per actor, loaded at its first chunk with statements and
    reused for every batch; each chunk is classified on its own, exactly as the local engine does."""

    def __init__(self, model_path: str, threads: int = 1):
        from stance.classify import load_classifier

        self.model_path = model_path
        self.threads = threads
        self.classifier = None
        self._load = load_classifier

    def __call__(self, batch):
        import pyarrow as pa

        out = []
        for row in batch.to_pylist():
            pairs = json.loads(row["found"])
            found = [[Statement(**s) for s in statements] for _, statements in pairs]
            if any(found) and self.classifier is None:
                self.classifier = self._load(Path(self.model_path), threads=self.threads)
            predictions = classify_chunk(self.classifier, found) if any(found) else [[] for _ in found]
            done = [[article, [[s, asdict(p)] for s, p in zip(statements, labels)]]
                    for (article, statements), labels in zip(pairs, predictions)]
            out.append({"chunk": row["chunk"], "done": json.dumps(done, ensure_ascii=False), "skipped": row["skipped"]})
        return pa.Table.from_pylist(out)


def plan_workers(cpus: float, workers: Optional[int] = None) -> tuple[int, int, float]:
    """(classifying actors, torch threads per actor, Ray CPUs reserved per actor) for a cluster of `cpus`.

    Default: one actor per two CPUs. Each actor's reservation leaves EXTRACT_CPUS for extraction
    tasks however many actors are asked for, so extraction is never starved of a CPU share.
    """
    cpus = max(1.0, float(cpus))
    actors = workers or max(1, int(cpus) // 2)
    threads = max(1, int(cpus) // actors)
    reserved = min(1.0, round((cpus - EXTRACT_CPUS) / actors, 3))
    return actors, threads, reserved


def _encode(number: int, chunk: list[Article]) -> dict:
    return {"chunk": number, "articles": json.dumps([asdict(a) for a in chunk], ensure_ascii=False)}


def _decode(row: dict) -> ChunkResult:
    done = json.loads(row["done"])
    return ChunkResult([Article(**article) for article, _ in done], [[Statement(**s) for s, _ in pairs] for _, pairs in done],
                       [[Prediction(**p) for _, p in pairs] for _, pairs in done], json.loads(row["skipped"]))


class RayEngine:
    """Ray Data over this machine's cores (a local Ray, started on entry and stopped on exit, with a
    bounded object store and a reaper) or a cluster at `address`; `workers` classifying actors
    (default: see plan_workers); `budget_s` as in the local engine."""

    def __init__(self, model_path: Path, *, workers: Optional[int] = None, actors: Optional[Path] = None,
                 budget_s: Optional[float] = None, address: Optional[str] = None):
        self.address, self.workers = address, workers
        self._extract_kwargs = {"actors": str(Path(actors).resolve()) if actors else None, "budget_s": budget_s}
        self._model_path = str(Path(model_path).resolve())
        self._ray = self._reaper = None
        self._started_here = False

    def __enter__(self) -> "RayEngine":
        ray = self._ray = _import_ray()
        self._started_here = not ray.is_initialized()
        if self._started_here:
            local = {"object_store_memory": LOCAL_OBJECT_STORE_BYTES} if self.address is None else {}
            if self.address is None:  # this run owns the Ray it starts: its processes must not outlive a kill -9
                from stance.engine.reaper import Reaper

                self._reaper = Reaper()
            try:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False, configure_logging=False,
                         **local)
            except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError... for a bad address
                self.__exit__()
                raise StanceError(f"cannot start or reach Ray{f' at {self.address}' if self.address else ''} ({exc}); "
                                  "expected a running Ray cluster address such as ray://head:10001, or none") from None
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # the writer stores chunks in corpus order
        context.enable_progress_bars = False  # stance shows its own progress
        self.size, threads, self.reserved = plan_workers(ray.cluster_resources().get("CPU", 1), self.workers)
        self._classify_kwargs = {"model_path": self._model_path, "threads": threads}
        return self

    def __exit__(self, *exc) -> None:
        if self._started_here and self._ray is not None and self._ray.is_initialized():
            self._ray.shutdown()
        if self._reaper is not None:
            self._reaper.close()
            self._reaper = None

    def _classify_stage(self, dataset):
        return dataset.map_batches(Classify, fn_constructor_kwargs=self._classify_kwargs, batch_size=1,
                                   batch_format="pyarrow", num_cpus=self.reserved,
                                   compute=self._ray.data.ActorPoolStrategy(size=self.size))

    def _windows(self, rows: Iterable[dict]) -> Iterator:
        """One dataset per window of rows: a window's text goes to the object store and the driver keeps
        only references, so neither holds more than a window however long the corpus."""
        import pyarrow as pa

        for window in batched(rows, WINDOW_CHUNKS_PER_ACTOR * self.size):
            # One Arrow table (a block) per chunk: small blocks let every Ray worker take one.
            refs = [self._ray.put(pa.Table.from_pylist(part)) for part in batched(window, SHARD_CHUNKS)]
            del window
            yield self._ray.data.from_arrow_refs(refs)

    def extract_classify(self, chunks: Iterable[list[Article]]) -> Iterator[ChunkResult]:
        """Each chunk extracted by Ray tasks and classified by the actor pool, in order."""
        rows = (_encode(n, chunk) for n, chunk in enumerate(chunks))
        for dataset in self._windows(rows):
            extracted = dataset.map_batches(extract_rows, fn_kwargs=self._extract_kwargs, batch_size=1,
                                            batch_format="pyarrow", num_cpus=EXTRACT_CPUS)
            for row in self._classify_stage(extracted).iter_rows():
                yield _decode(row)

    def classify(self, groups: Iterable[list[list[Statement]]]) -> Iterator[list[list[Prediction]]]:
        """Each group classified by the actor pool (the driver loads no model), in order."""
        rows = ({"chunk": n, "skipped": "[]",
                 "found": json.dumps([[None, [asdict(s) for s in statements]] for statements in group], ensure_ascii=False)}
                for n, group in enumerate(groups))
        for dataset in self._windows(rows):
            for row in self._classify_stage(dataset).iter_rows():
                yield [[Prediction(**p) for _, p in pairs] for _, pairs in json.loads(row["done"])]
