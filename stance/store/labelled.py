"""Reading labelled statements a speaker at a time, and each model's label set (mixed into Store).

Reports of a large store are built one speaker at a time (stance.report): `labelled_groups` yields the
rows `Store.load_labelled` would give, one group per speaker key, each read by its own short query on the
speaker index. So memory holds one speaker's rows, and the store is never locked for longer than one
speaker's read (an `analyze` writing to the same store waits at most that long). A writer committing
between two groups changes the later groups only: each speaker's rows are one consistent read.

`model_labels` is the label set a model was trained with, none label included, so that aggregation treats
the model's none label as none (a project's may be `no_position`). Standard library only.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Collection, Iterator, Optional

from stance.store.sqlite_errors import _guarded

# The labelled rows of one model: every statement it labelled, a reviewer's labels over its own, and
# none a reviewer marked as not a statement (the first ? is the model id).
LABELLED_COLUMNS = (
    'SELECT s.id AS statement_id, s.article, COALESCE(r.speaker, s.speaker) AS speaker, s.speaker AS model_speaker, '
    's.speaker_mention, s.text, s.kind, s."start", s."end", s.context, '
    "CASE WHEN r.speaker IS NULL THEN s.speaker_confidence ELSE 1.0 END AS speaker_confidence, "
    "CASE WHEN s.date IS NULL THEN a.date ELSE s.date END AS date, "
    "CASE WHEN s.date IS NULL THEN a.date_precision ELSE s.date_precision END AS date_precision, "
    "a.source, a.title, a.url, a.origin, p.model_id, COALESCE(r.target, p.target) AS target, "
    "COALESCE(r.stance, p.stance) AS stance, p.target AS model_target, p.stance AS model_stance, "
    "p.probabilities, r.target IS NOT NULL AS human, r.annotator "
)
LABELLED_FROM = (
    "FROM statements s JOIN articles a ON a.id = s.article "
    "JOIN predictions p ON p.statement = s.id AND p.model_id = ? "
    "LEFT JOIN reviews r ON r.statement = s.id "
)
# The same rows reached from the reviews: statements a reviewer gave to another speaker. CROSS JOIN keeps
# the reviews (few, and with no index on speaker) as the outer loop, so no branch reads every prediction.
_REVIEWED_FROM = (
    "FROM reviews r CROSS JOIN statements s ON s.id = r.statement CROSS JOIN predictions p "
    "ON p.statement = s.id AND p.model_id = ? JOIN articles a ON a.id = s.article "
)
LABELLED_WHERE = "(r.is_statement IS NULL OR r.is_statement = 1)"

MODEL_LABELS_SCHEMA = """
CREATE TABLE IF NOT EXISTS model_labels (
    model_id TEXT PRIMARY KEY,
    none_label TEXT NOT NULL,
    targets TEXT NOT NULL,
    stances TEXT NOT NULL,
    stored_at TEXT NOT NULL
)"""


@dataclass(frozen=True)
class ModelLabels:
    """The label set a model predicts: target and stance names, and which one means none."""

    none_label: str
    targets: tuple[str, ...]
    stances: tuple[str, ...]


def _names(value) -> tuple[str, ...]:
    return tuple(str(name) for name in (value or ()))


class LabelledReads:
    """Store methods for reading labelled rows by speaker; expects `_db`, `_write` and `_labelled` from Store."""

    @_guarded
    def labelled_speakers(self, model_id: str) -> list[str]:
        """Every speaker of the model's labelled rows (a reviewer's correction counted), sorted."""
        sql = f"SELECT DISTINCT COALESCE(r.speaker, s.speaker) {LABELLED_FROM} WHERE {LABELLED_WHERE}"
        return sorted(r[0] for r in self._db.execute(sql, (model_id,)))

    @_guarded
    def labelled_dates(self, model_id: str) -> set[Optional[str]]:
        """Every date value of the model's labelled rows (a statement's own, else its article's)."""
        sql = (f"SELECT DISTINCT CASE WHEN s.date IS NULL THEN a.date ELSE s.date END {LABELLED_FROM} "
               f"WHERE {LABELLED_WHERE}")
        return {r[0] for r in self._db.execute(sql, (model_id,))}

    def labelled_groups(self, model_id: str, key: Callable[[str], str], *, speakers: Optional[Collection[str]] = None,
                        independent: Collection[str] = (), page: int = 2000) -> Iterator[list[dict]]:
        """The model's labelled rows (load_labelled's dicts) one group per `key(speaker)`, keys in sorted
        order, each group in statement id order. `speakers`: only these speakers (exact names; default:
        labelled_speakers). The rows of
        a key in `independent` (rows that belong with no other, such as the unknown speaker's) come in
        groups of at most `page` rows, so no group is larger than the largest speaker."""
        names: dict[str, list[str]] = defaultdict(list)
        for name in sorted(set(speakers if speakers is not None else self.labelled_speakers(model_id))):
            names[key(name)].append(name)
        for group_key in sorted(names):
            limit = page if group_key in independent else None
            last = 0
            while True:
                rows = self._speaker_rows(model_id, names[group_key], after=last, limit=limit)
                if rows:
                    yield rows
                if limit is None or len(rows) < limit:
                    break
                last = rows[-1]["statement_id"]

    @_guarded
    def _speaker_rows(self, model_id: str, speakers: list[str], *, after: int = 0,
                      limit: Optional[int] = None) -> list[dict]:
        """Labelled rows whose speaker (after review) is one of `speakers`, with ids above `after`, by id.
        Two branches, so that each is read through an index: statements by their extracted speaker (the
        speaker index), and statements a reviewer gave to one of these speakers (the reviews)."""
        marks = ", ".join("?" * len(speakers))
        sql = (f"{LABELLED_COLUMNS}{LABELLED_FROM}WHERE {LABELLED_WHERE} AND s.speaker IN ({marks}) "
               f"AND (r.speaker IS NULL OR r.speaker IN ({marks})) AND s.id > ? "
               f"UNION ALL {LABELLED_COLUMNS}{_REVIEWED_FROM}WHERE r.is_statement = 1 AND r.speaker IN ({marks}) "
               f"AND s.speaker NOT IN ({marks}) AND s.id > ? ORDER BY statement_id"
               + (" LIMIT ?" if limit is not None else ""))
        args = [model_id, *speakers, *speakers, after, model_id, *speakers, *speakers, after]
        args += [limit] if limit is not None else []
        return [self._labelled(dict(r)) for r in self._db.execute(sql, args)]

    @_guarded
    def save_model_labels(self, model_id: str, labels: Optional[dict]) -> None:
        """Record the label set `model_id` predicts (a model's metadata "labels": none_label, targets,
        stances); nothing when the metadata has none (models saved before label sets were recorded)."""
        if not labels:
            return
        row = (model_id, str(labels.get("none_label", "none")), json.dumps(list(_names(labels.get("targets")))),
               json.dumps(list(_names(labels.get("stances")))), datetime.now(timezone.utc).isoformat(timespec="seconds"))
        with self._write() as db:
            db.execute(MODEL_LABELS_SCHEMA)  # stores made before the table get it on the first write
            db.execute("INSERT OR REPLACE INTO model_labels (model_id, none_label, targets, stances, stored_at) "
                       "VALUES (?, ?, ?, ?, ?)", row)

    @_guarded
    def model_labels(self, model_id: Optional[str]) -> Optional[ModelLabels]:
        """The label set recorded for `model_id`, None when none was (older stores and runs)."""
        if model_id is None or not self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'model_labels'").fetchone():
            return None
        row = self._db.execute("SELECT none_label, targets, stances FROM model_labels WHERE model_id = ?",
                               (model_id,)).fetchone()
        if row is None:
            return None
        return ModelLabels(row[0], _names(json.loads(row[1])), _names(json.loads(row[2])))

    def none_label(self, model_id: Optional[str], default: str = "none") -> str:
        """The none label of `model_id`'s label set; `default` when none was recorded."""
        labels = self.model_labels(model_id)
        return labels.none_label if labels else default
