"""Engines: extraction and classification over chunks of articles, behind one interface.

An engine never touches the store. `analyze` plans the chunks (the articles the store does not hold
unchanged), hands them to `engine.extract_classify`, writes each result as it comes back, then sends
the statements an earlier run stored but the current model has not labelled through `engine.classify`,
on the same processes. Both engines cut the same chunks of CHUNK articles, extract each article the
same way and classify each chunk's statements in the same PREDICT_BATCH slices, so they store the same
statements with the same labels.

- `local` (stance.engine.local): extraction in worker processes of this machine, classification here.
- `ray` (stance.engine.ray_engine): a Ray Data pipeline, extraction as tasks and classification in a pool
  of model-holding actors; the optional `ray` extra.

`make_engine(name, model_path, ...)` builds either; use it as a context manager. Every engine extracts
through `supervisor.ChunkExtractor`, which runs each article under a time budget in a supervised worker
process (`timebudget`); `extract_articles` (`extract_corpus`) is the same for `stance extract`, which writes
statements without classifying them.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Iterable, Iterator, Optional

from stance.engine.base import ChunkResult, Engine, batched
from stance.engine.extract_corpus import extract_articles
from stance.engine.memory import MMAP_THRESHOLD, MODEL_BATCH, PREDICT_BATCH
from stance.engine.timebudget import DEFAULT_BUDGET_S

__all__ = ["CHUNK", "DEFAULT_BUDGET_S", "MMAP_THRESHOLD", "MODEL_BATCH", "PREDICT_BATCH", "ChunkResult", "Engine", "EngineName", "chunks",
           "default_workers", "extract_articles", "make_engine"]

CHUNK = 64  # articles per unit of work and per store transaction


class EngineName(str, enum.Enum):
    """Where the work runs: `--engine`."""

    local = "local"
    ray = "ray"


ENGINES = tuple(e.value for e in EngineName)


def make_engine(name: str, model_path: Path, *, workers: Optional[int] = None, actors: Optional[Path] = None,
                budget_s: Optional[float] = None, device: str = "cpu", address: Optional[str] = None) -> Engine:
    """The engine `name` (local or ray) for the model at `model_path`.

    `workers`: extraction processes (local; default default_workers()) or classifying actors (ray; default
    one per two CPUs). `actors`: a project's actor registry file (None: the one shipped with stance).
    `budget_s`: seconds allowed to extract one article (None: no limit). `device` runs the local engine's
    model; `address` is the Ray cluster (None: a local Ray started here and stopped at the end).
    """
    from stance.errors import StanceError

    try:
        name = EngineName(name).value
    except ValueError:
        raise StanceError(f"unknown engine {name!r}; expected one of {', '.join(ENGINES)}") from None
    if workers is not None and workers < 0:
        raise StanceError(f"--workers {workers}: expected 0 (extract in-process) or more")
    if name == EngineName.ray.value:
        from stance.engine.ray_engine import RayEngine

        return RayEngine(model_path, workers=workers, actors=actors, budget_s=budget_s, address=address)
    from stance.engine.local import LocalEngine

    return LocalEngine(model_path, workers=default_workers() if workers is None else workers, actors=actors,
                       budget_s=budget_s, device=device)


def chunks(items: Iterable, size: Optional[int] = None) -> Iterator[list]:
    """Consecutive lists of `size` items (default CHUNK, read at call time; the last may be shorter)."""
    return batched(items, size or CHUNK)


def default_workers(cpus: Optional[int] = None) -> int:
    """Extraction worker processes by default: one per core beyond the first, at most 4.

    The main process classifies (the dominant cost) while workers extract the next
    chunks; on 2 cores that is one worker, on 1 core none (extraction in-process).
    """
    import os

    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(4, cpus - 1))
