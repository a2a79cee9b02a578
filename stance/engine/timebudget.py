"""A per-article time budget for extraction: one slow article is skipped, never hangs the run.

Extraction runs in a worker process that is killed when an article takes longer
than the budget, then replaced for the next article. A process rather than a
signal: `re` matching does check for signals, but SIGALRM works only in the main
thread of a Unix process and cannot stop C code that never checks (a long
`str` operation, a C extension); a process can always be stopped, and the
parent loses nothing but that article. The worker keeps one Extractor for all
articles, so the cost on normal articles is one pickled article and its
statements through a pipe.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Iterable, Iterator, Optional

from stance.errors import StanceError
from stance.extract.dates import finish
from stance.extract.extractor import Extractor
from stance.records import Article, Statement

DEFAULT_BUDGET_S = 10.0
_START_TIMEOUT_S = 120.0  # loading the registry in a fresh process; not part of any article's budget


class ArticleSkipped(StanceError):
    """An article whose extraction ran over its time budget or failed; the run goes on without it."""


def _context():
    # fork starts the worker in milliseconds and shares what the parent already loaded
    # (and a monkeypatched extractor in tests); spawn where fork does not exist.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _serve(conn, registry, parent_pid: int, parent_end=None) -> None:
    """Worker loop: extract each article received and send back its finished statements.

    A forked worker inherits the parent's end of the pipe (`parent_end`) and closes it first: otherwise its
    own copy keeps the pipe open, so if the parent is killed (kill -9) the worker never reads end-of-file
    and sleeps on as an orphan, holding its memory. End-of-file is not enough while an article is being
    extracted (a hostile one may take long, and only the dead parent would have stopped it), so the worker
    also ends with its parent (stance.lifeline).
    """
    from stance.lifeline import exit_with_parent

    exit_with_parent(parent_pid)
    if parent_end is not None:
        parent_end.close()
    try:
        _serve_until_closed(conn, registry)
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: the parent stops the run, quietly
        try:
            conn.send(("interrupted", None))
        except (BrokenPipeError, OSError):
            pass
    except (BrokenPipeError, OSError):  # the parent is gone (killed) while this article was extracted
        pass


def _serve_until_closed(conn, registry) -> None:
    try:
        extractor = Extractor(registry)
    except Exception as exc:  # e.g. an invalid actor registry: the parent raises it
        conn.send(("error", str(exc)))
        return
    conn.send(("ready", None))
    while True:
        try:
            article = conn.recv()
        except EOFError:
            return
        if article is None:
            return
        try:
            conn.send(("ok", finish(extractor.extract(article), article)))
        except Exception as exc:  # a bug on one article must not end the run: reported, article skipped
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


def describe(article: Article) -> str:
    """How an article is named in the run summary: its id and where it was read from."""
    return f"{article.origin}: article {article.id!r}" if article.origin else f"article {article.id!r}"


class BudgetedExtractor:
    """Extracts articles one at a time, each within `budget_s` seconds (None or 0: no budget, in-process).

    `extract` returns the finished statements (context and dates filled) or
    raises ArticleSkipped with a one-line reason. Use as a context manager, or
    call `close`, to stop the worker.
    """

    def __init__(self, budget_s: Optional[float] = DEFAULT_BUDGET_S, registry=None):
        if budget_s is not None and budget_s < 0:
            raise StanceError(f"time budget {budget_s} s; expected a positive number of seconds, or 0 for none")
        self.budget_s = budget_s or None
        self.registry = registry
        self._process = None
        self._conn = None
        self._local = None

    def __enter__(self) -> "BudgetedExtractor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def extract(self, article: Article) -> list[Statement]:
        """The statements of one article, or ArticleSkipped when it runs over budget or fails."""
        if self.budget_s is None:
            return self._extract_here(article)
        if self._process is None:
            self._start()
        self._conn.send(article)
        if not self._conn.poll(self.budget_s):
            self._stop(kill=True)
            raise ArticleSkipped(f"{describe(article)}: extraction ran over the time budget of {self.budget_s:g} s")
        try:
            status, value = self._conn.recv()
        except (EOFError, OSError):
            self._stop(kill=True)
            raise ArticleSkipped(f"{describe(article)}: the extraction worker died on it") from None
        if status == "interrupted":
            self._stop(kill=True)
            raise KeyboardInterrupt
        if status == "error":
            raise ArticleSkipped(f"{describe(article)}: extraction failed ({value})")
        return value

    def _extract_here(self, article: Article) -> list[Statement]:
        if self._local is None:
            self._local = Extractor(self.registry)
        return finish(self._local.extract(article), article)

    def _start(self) -> None:
        context = _context()
        parent, child = context.Pipe()
        inherited = parent if context.get_start_method() == "fork" else None  # spawn passes only the args
        process = context.Process(target=_serve, args=(child, self.registry, os.getpid(), inherited), daemon=True)
        process.start()
        child.close()
        self._process, self._conn = process, parent
        if not parent.poll(_START_TIMEOUT_S):
            self._stop(kill=True)
            raise StanceError(f"the extraction worker did not start within {_START_TIMEOUT_S:g} s")
        try:
            status, value = parent.recv()
        except EOFError:
            status, value = "error", "the extraction worker died while loading the actor registry"
        if status != "ready":
            self._stop(kill=True)
            if status == "interrupted":
                raise KeyboardInterrupt
            raise StanceError(value)

    def _stop(self, kill: bool) -> None:
        if self._process is None:
            return
        if kill:
            self._process.kill()
        else:
            try:
                self._conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._conn.close()
        self._process = self._conn = None

    def close(self) -> None:
        """Stop the worker process, if one is running."""
        self._stop(kill=False)


def extract_within_budget(articles: Iterable[Article], skipped: list[str], budget_s: Optional[float] = DEFAULT_BUDGET_S,
                          registry=None) -> Iterator[tuple[Article, list[Statement]]]:
    """Yield (article, statements) for each article done within budget; add a reason to `skipped` for the others."""
    with BudgetedExtractor(budget_s, registry) as extractor:
        for article in articles:
            try:
                yield article, extractor.extract(article)
            except ArticleSkipped as exc:
                skipped.append(str(exc))
