"""The memory of the process that classifies: a bounded heap, and freed memory handed back.

Both engines classify through `classify_chunk`, so the classifying process (the local engine's main
process, each Ray actor) bounds its heap the same way (README, "Large corpora").
"""

from __future__ import annotations

from stance.records import Prediction, Statement

PREDICT_BATCH = 256  # statements per classifier call
MODEL_BATCH = 32  # statements per forward pass: half the transient memory of 64, no slower end to end on CPU


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
    """Predictions for each article's statements (Classifier.predict_articles: calls of about PREDICT_BATCH
    that never split an article, MODEL_BATCH at a time through the model), with the heap bounded (see
    bound_heap_growth). Freed memory goes back to the system after each chunk."""
    bound_heap_growth()
    out = classifier.predict_articles(found, PREDICT_BATCH, MODEL_BATCH)
    release_freed_memory()
    return out
