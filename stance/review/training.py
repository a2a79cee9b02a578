"""Reviewed labels as training data: added to the configured data, not replacing it.

Each reviewed row counts `human_weight` times (the config's setting). Its default, 1, is measured
(`scripts/review_loop_eval.py`, README "Analyst loop"): counting 25 reviewed statements ten times helped no
more than once when the unseen news told the same stories, and hurt stance when it told others.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from stance.config import LabelSet
from stance.errors import StanceError
from stance.classify.traindata import load_labelled


def reviewed_rows(add_data: Optional[Sequence[Path]], db_path: Optional[Path], labels: LabelSet) -> list[dict]:
    """Labelled rows from reviewed JSONL files (e.g. a filled-in review queue) and/or a store's reviews."""
    rows = load_labelled([Path(p) for p in add_data or []], labels) if add_data else []
    for row in rows:
        row["human"] = True
    if db_path is not None:
        from stance.store import Store

        with Store(Path(db_path), create=False) as store:
            stored = store.reviewed_rows()
        if not stored:
            raise StanceError(f"{db_path}: no reviewed statements in the store; review some with `stance review serve` "
                              "or `stance review import` first")
        for row in stored:
            labels.check(row["target"], row["stance"], row["where"])
        rows += stored
    return rows


def with_human_weight(rows: list[dict], added: list[dict], weight: int) -> list[dict]:
    """The configured rows followed by each added row `weight` times."""
    return list(rows) + [row for row in added for _ in range(weight)]
