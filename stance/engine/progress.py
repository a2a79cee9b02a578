"""Progress for long runs: articles/s, statements/s and time left, on standard error."""

from __future__ import annotations

import time
from typing import Optional


LOG_EVERY_S = 60.0  # a plain progress line this often when standard error is a log file, not a terminal


class RunProgress:
    """A rich progress bar over the corpus (context manager); `tick` after each stored chunk.

    Rates count only articles that were extracted (not those skipped as unchanged),
    so a resumed run shows the real throughput; the time left is rich's estimate
    from recent progress over the (estimated) corpus size. When standard error is
    not a terminal (a long run under nohup or a scheduler, its output in a log)
    a bar would draw nothing, so a plain line is written every LOG_EVERY_S seconds instead.
    """

    def __init__(self, total: Optional[int], enabled: bool = True, description: str = "Analyzing",
                 log_every_s: float = LOG_EVERY_S):
        self.enabled = enabled
        self.total = total or None
        self.description = description
        self.articles = 0
        self.statements = 0
        self.done = 0  # articles extracted or skipped as unchanged
        self.started = time.monotonic()
        self.log_every_s = log_every_s
        self._logged = self.started
        self._console = None
        self._progress = None
        self._task = None

    def __enter__(self) -> "RunProgress":
        if self.enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            self._console = Console(stderr=True)
            if not self._console.is_terminal:
                return self
            self._progress = Progress(
                TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rates]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=True,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task(self.description, total=self.total, rates="")
        return self

    def __exit__(self, *exc_info) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc_info)

    def rates(self) -> tuple[float, float]:
        """(articles/s, statements/s) since the start, over extracted articles."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        return self.articles / elapsed, self.statements / elapsed

    def tick(self, articles: int, statements: int, skipped: bool = False) -> None:
        """Count `articles` more done (extracted, or `skipped` as unchanged) with `statements` found."""
        self.done += articles
        if not skipped:
            self.articles += articles
            self.statements += statements
        if self._progress is None and self._console is not None:
            now = time.monotonic()
            if now - self._logged >= self.log_every_s:
                self._logged = now
                self._console.print(self.line(), highlight=False, soft_wrap=True)
        if self._progress is not None:
            per_article, per_statement = self.rates()
            self._progress.update(self._task, advance=articles,
                                  rates=f"{per_article:.1f} articles/s {per_statement:.1f} statements/s")

    def line(self) -> str:
        """One plain progress line: articles done of the total, rates, elapsed and time left."""
        per_article, per_statement = self.rates()
        elapsed = time.monotonic() - self.started
        of = f" of ~{self.total:,}" if self.total else ""
        left = ""
        if self.total and per_article > 0 and self.done < self.total:
            left = f", about {_clock((self.total - self.done) / per_article)} left"
        return (f"{self.description}: {self.done:,}{of} articles, {per_article:.1f} articles/s, "
                f"{per_statement:.1f} statements/s, {_clock(elapsed)} elapsed{left}")


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
