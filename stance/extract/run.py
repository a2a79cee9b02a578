"""Extraction of a corpus into a JSONL file: each article within its time budget, the file written
atomically."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Optional

from stance.extract.speakers import ActorRegistry
from stance.extract.timebudget import extract_within_budget
from stance.records import Article


def extract_articles(articles: list[Article], out=None, progress: bool = False,
                     registry: Optional[ActorRegistry] = None, budget_s: Optional[float] = None,
                     skipped: Optional[list[str]] = None) -> int:
    """Extract statements from articles into a JSONL file (written atomically) or stdout.

    With `budget_s`, an article over that many seconds is skipped and its reason added to `skipped`.
    """
    from rich.progress import track

    items = track(articles, description="Extracting", transient=True) if progress else articles
    target = Path(out).with_name(Path(out).name + ".part") if out else None
    if target:
        target.parent.mkdir(parents=True, exist_ok=True)
    handle = target.open("w", encoding="utf-8") if target else sys.stdout
    count = 0
    try:
        for article, statements in extract_within_budget(items, skipped if skipped is not None else [], budget_s, registry):
            for statement in statements:
                handle.write(json.dumps(asdict(statement), ensure_ascii=False) + "\n")
                count += 1
    except BaseException:  # an error or Ctrl-C leaves no half-written file behind
        if target:
            handle.close()
            target.unlink(missing_ok=True)
        raise
    if target:
        handle.close()
        target.replace(out)
    return count
