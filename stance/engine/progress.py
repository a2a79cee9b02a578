"""Progress for long runs: articles/s, statements/s and time left, on standard error."""

from __future__ import annotations

import time
from typing import Optional


class RunProgress:
    """A rich progress bar over the corpus (context manager); `tick` after each stored chunk.

    Rates count only articles that were extracted (not those skipped as unchanged),
    so a resumed run shows the real throughput; the time left is rich's estimate
    from recent progress over the (estimated) corpus size.
    """

    def __init__(self, total: Optional[int], enabled: bool = True, description: str = "Analyzing"):
        self.enabled = enabled
        self.total = total or None
        self.description = description
        self.articles = 0
        self.statements = 0
        self.started = time.monotonic()
        self._progress = None
        self._task = None

    def __enter__(self) -> "RunProgress":
        if self.enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

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
        if not skipped:
            self.articles += articles
            self.statements += statements
        if self._progress is not None:
            per_article, per_statement = self.rates()
            self._progress.update(self._task, advance=articles,
                                  rates=f"{per_article:.1f} articles/s {per_statement:.1f} statements/s")
