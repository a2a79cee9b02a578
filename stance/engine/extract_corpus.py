"""Extraction of a corpus into a JSONL file: each article within its time budget, the file written
atomically."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path
from typing import Optional

from stance.extract.speakers import ActorRegistry
from stance.engine.timebudget import extract_within_budget
from stance.outputs import atomic_write
from stance.records import Article


def extract_articles(articles: list[Article], out=None, progress: bool = False,
                     registry: Optional[ActorRegistry] = None, budget_s: Optional[float] = None,
                     skipped: Optional[list[str]] = None) -> int:
    """Extract statements from articles into a JSONL file (written atomically) or stdout.

    With `budget_s`, an article over that many seconds is skipped and its reason added to `skipped`.
    """
    from rich.progress import track

    items = track(articles, description="Extracting", transient=True) if progress else articles
    with (atomic_write(Path(out)) if out else nullcontext(sys.stdout)) as handle:  # no half-written file, ever
        count = 0
        for article, statements in extract_within_budget(items, skipped if skipped is not None else [], budget_s, registry):
            for statement in statements:
                handle.write(json.dumps(asdict(statement), ensure_ascii=False) + "\n")
                count += 1
    return count
