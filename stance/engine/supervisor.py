"""Extraction under a time budget per article: the step every engine's extraction runs."""

from __future__ import annotations

from typing import Optional

from stance.records import Article, Statement


class ChunkExtractor:
    """Extracts each article of a chunk within `budget_s` seconds (None or 0: no budget), with a project's
    actor registry file or the one shipped with stance: the one extraction step every engine calls.

    An article over its budget (or one the extractor fails on) is left out of the chunk and its reason
    kept, so one pathological article is listed in the summary instead of hanging the run; it is not
    stored, so the next run tries it again. Use as a context manager, or call `close`.
    """

    def __init__(self, actors: Optional[str] = None, budget_s: Optional[float] = None):
        from stance.engine.timebudget import BudgetedExtractor

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
        from stance.engine.timebudget import ArticleSkipped

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


