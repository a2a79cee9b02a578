"""The SQLite statement store that grows run by run: articles, statements, each model's predictions and
the analyst's reviews. Never imports torch."""

from stance.store.database import DEFAULT_DB, Store
from stance.store.reviews import Review

__all__ = ["DEFAULT_DB", "Review", "Store"]
