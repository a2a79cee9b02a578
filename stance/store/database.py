"""The statement store: articles, statements and predictions in one SQLite file.

Incremental by design: an article already stored and unchanged adds nothing,
a changed article's statements (and their predictions) are replaced, and a new
model version labels every statement it has not labelled yet. Every write is
one transaction, so an interrupted run keeps everything it had committed and
never leaves a half-written article.

Only the standard library (sqlite3, json) is used here: no model code, so
`stance report` starts instantly. Any SQLite problem (a locked, corrupt or
foreign file) becomes a StanceError naming the file.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Optional

from stance.errors import StanceError
from stance.records import Article, Prediction, Statement, labelled_row
from stance.store.batch import BatchWrites
from stance.store.labelled import LABELLED_COLUMNS, LABELLED_FROM, LABELLED_WHERE, MODEL_LABELS_SCHEMA, LabelledReads
from stance.store.sqlite_errors import _guarded, _stance_error
from stance.store.reviews import REVIEWS_SCHEMA, ReviewTables

DEFAULT_DB = Path("stance.db")
SCHEMA_VERSION = 3  # 2: reviews (human labels) and article text; 3: each statement's speaker_confidence;
# an older file is upgraded on open
DEFAULT_TIMEOUT = 3.0  # seconds to wait for another process's lock

# Article fields whose change makes a stored article "changed" (origin is not one:
# moving a file does not change what it says).
_ARTICLE_KEYS = ("content_hash", "date", "date_precision", "source", "title", "url")

_SCHEMA = """
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    date TEXT,
    date_precision TEXT,
    source TEXT,
    title TEXT,
    url TEXT,
    text TEXT,
    origin TEXT NOT NULL DEFAULT '',
    stored_at TEXT NOT NULL
);
CREATE TABLE statements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    speaker TEXT NOT NULL,
    speaker_mention TEXT NOT NULL,
    text TEXT NOT NULL,
    kind TEXT NOT NULL,
    "start" INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    context TEXT NOT NULL,
    date TEXT,
    date_precision TEXT,
    speaker_confidence REAL NOT NULL DEFAULT 1.0
);
CREATE INDEX statements_article ON statements(article);
CREATE INDEX statements_speaker ON statements(speaker);
CREATE TABLE models (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    last_used TEXT NOT NULL
);
CREATE TABLE predictions (
    statement INTEGER NOT NULL REFERENCES statements(id) ON DELETE CASCADE,
    model_id TEXT NOT NULL,
    target TEXT NOT NULL,
    stance TEXT NOT NULL,
    probabilities TEXT NOT NULL,
    PRIMARY KEY (statement, model_id)
);
CREATE INDEX predictions_model ON predictions(model_id);
""" + ";\n" + REVIEWS_SCHEMA + ";\n" + MODEL_LABELS_SCHEMA


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store(ReviewTables, BatchWrites, LabelledReads):
    """A statement store in one SQLite file; use as a context manager.

    `create=False` refuses to create a missing file (for read-only commands such
    as `stance report`, where a missing file is almost always a wrong path).
    """

    def __init__(self, path: Path = DEFAULT_DB, *, create: bool = True, timeout: float = DEFAULT_TIMEOUT):
        self.path = Path(path)
        self.timeout = timeout
        if self.path.is_dir():
            raise StanceError(f"{self.path}: is a directory; expected a database file path")
        if not self.path.exists():
            if not create:
                raise StanceError(f"{self.path}: no such database; run `stance analyze PATH... --db {self.path}` first")
            if not self.path.parent.exists():
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StanceError(f"{self.path.parent}: cannot create the folder for the database ({exc.strerror})") from None
        try:
            self._db = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise _stance_error(self.path, exc, timeout) from None
        try:
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA foreign_keys = ON")
            self._init_schema()
        except sqlite3.Error as exc:
            self._db.close()
            raise _stance_error(self.path, exc, timeout) from None
        except StanceError:
            self._db.close()
            raise

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def _init_schema(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise StanceError(
                f"{self.path}: database schema version {version} is newer than this stance supports "
                f"({SCHEMA_VERSION}); upgrade stance or use another --db file"
            )
        if version == 0:
            tables = [r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            if tables:
                raise StanceError(
                    f"{self.path}: an SQLite database with other tables ({', '.join(sorted(tables)[:5])}), "
                    "not a stance database; pass another --db file"
                )
            with self._write() as db:
                # Another process may have created the schema while we waited for the lock.
                if db.execute("PRAGMA user_version").fetchone()[0] == 0:
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return
        if version in (1, 2):
            with self._write() as db:
                if version == 1:
                    db.execute(REVIEWS_SCHEMA)
                    db.execute("ALTER TABLE articles ADD COLUMN text TEXT")  # shown to reviewers around each quote
                # statements stored before the field read as 1.0, as Statement records written before it do
                db.execute("ALTER TABLE statements ADD COLUMN speaker_confidence REAL NOT NULL DEFAULT 1.0")
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return
        raise StanceError(f"{self.path}: database schema version {version} is not supported; expected {SCHEMA_VERSION}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on any exception
        (KeyboardInterrupt included)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    # -- articles and statements --------------------------------------------

    @_guarded
    def article_status(self, article: Article) -> str:
        """"new" (not stored), "unchanged" (same content and metadata) or "changed"."""
        row = self._db.execute(
            "SELECT content_hash, date, date_precision, source, title, url FROM articles WHERE id = ?", (article.id,)
        ).fetchone()
        if row is None:
            return "new"
        same = all(row[key] == getattr(article, key) for key in _ARTICLE_KEYS)
        return "unchanged" if same else "changed"

    @_guarded
    def replace_article(self, article: Article, statements: Iterable[Statement]) -> list[int]:
        """Store an article and its statements in ONE transaction, replacing any
        stored version of it (its old statements and their predictions go too).

        Returns the new statements' ids, in order. On any exception nothing of
        this article changes.
        """
        statements = list(statements)
        with self._write() as db:
            return self._replace_in(db, article, statements)

    def _replace_in(self, db: sqlite3.Connection, article: Article, statements: list[Statement]) -> list[int]:
        """replace_article's work inside an open transaction (shared with the batch writer)."""
        ids: list[int] = []
        reviewed = self._reviews_of_article(db, article.id)
        db.execute("DELETE FROM articles WHERE id = ?", (article.id,))  # cascades to statements, predictions
        db.execute(
            "INSERT INTO articles (id, content_hash, date, date_precision, source, title, url, text, origin, stored_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (article.id, article.content_hash, article.date, article.date_precision, article.source,
             article.title, article.url, article.text, article.origin or "", _now()),
        )
        for statement in statements:
            if statement.article != article.id:
                raise StanceError(
                    f"statement {statement.text[:40]!r} belongs to article {statement.article!r}, "
                    f"expected {article.id!r}"
                )
            cursor = db.execute(
                'INSERT INTO statements (article, speaker, speaker_mention, text, kind, "start", "end", context, '
                "date, date_precision, speaker_confidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (statement.article, statement.speaker, statement.speaker_mention, statement.text, statement.kind,
                 statement.start, statement.end, statement.context, statement.date, statement.date_precision,
                 float(statement.speaker_confidence)),
            )
            ids.append(cursor.lastrowid)
        if reviewed:
            self._restore_reviews(db, reviewed, [(i, st.text) for i, st in zip(ids, statements)])
        return ids

    @_guarded
    def article_ids(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT id FROM articles ORDER BY id")]

    @_guarded
    def add_predictions(self, model_id: str, predictions: Iterable[tuple[int, Prediction]]) -> int:
        """Store one model's predictions in one transaction (replacing that model's
        earlier ones for the same statements); the model becomes the latest one.
        Returns how many were stored."""
        if not model_id:
            raise StanceError("add_predictions: empty model id; expected the model's id")
        with self._write() as db:
            return self._predictions_in(db, model_id, predictions)

    def _predictions_in(self, db: sqlite3.Connection, model_id: str, predictions: Iterable[tuple[int, Prediction]]) -> int:
        """add_predictions' work inside an open transaction (shared with the batch writer)."""
        count = 0
        seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM models").fetchone()[0]
        db.execute(
            "INSERT INTO models (id, seq, last_used) VALUES (?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, last_used = excluded.last_used",
            (model_id, seq, _now()),
        )
        for statement_id, prediction in predictions:
            probabilities = json.dumps(
                {"target": prediction.target_probs or {}, "stance": prediction.stance_probs or {},
                 "relevance": prediction.relevance, "off_target": prediction.off_target,
                 "confidence": prediction.confidence},
                ensure_ascii=False,
            )
            try:
                db.execute(
                    "INSERT OR REPLACE INTO predictions (statement, model_id, target, stance, probabilities) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (statement_id, model_id, prediction.target, prediction.stance, probabilities),
                )
            except sqlite3.IntegrityError:
                raise StanceError(
                    f"{self.path}: statement id {statement_id} is not in the store; "
                    "expected ids of stored statements (pages_needing_prediction)"
                ) from None
            count += 1
        return count

    @_guarded
    def latest_model_id(self) -> Optional[str]:
        """The model that stored predictions most recently, or None."""
        row = self._db.execute("SELECT id FROM models ORDER BY seq DESC LIMIT 1").fetchone()
        return row[0] if row else None

    @_guarded
    def model_ids(self) -> list[str]:
        """Every model that has labelled statements here, latest first."""
        return [r[0] for r in self._db.execute("SELECT id FROM models ORDER BY seq DESC")]

    @_guarded
    def counts(self, model_id: Optional[str] = None) -> dict:
        """Numbers of articles, statements, and statements labelled by the model
        (the latest one by default)."""
        model_id = model_id or self.latest_model_id()
        one = lambda sql, *args: self._db.execute(sql, args).fetchone()[0]  # noqa: E731
        return {
            "articles": one("SELECT COUNT(*) FROM articles"),
            "statements": one("SELECT COUNT(*) FROM statements"),
            "labelled": one("SELECT COUNT(*) FROM predictions WHERE model_id = ?", model_id) if model_id else 0,
            "model_id": model_id,
        }

    @_guarded
    def load_labelled(self, model_id: Optional[str] = None, *, actor: Optional[str] = None,
                      target: Optional[str] = None, article: Optional[str] = None) -> list[dict]:
        """Labelled statements as plain dicts, the rows stance.track.aggregate works on.

        Uses the latest model's predictions unless `model_id` is given; statements
        that model has not labelled are left out. `actor` and `target` filter
        exactly (case-insensitive); fuzzy name matching and date filters are done
        by stance.track.aggregate. A statement without its own date takes its article's.

        Keys: statement_id, article, speaker, speaker_mention, text, kind, start,
        end, context, date, date_precision, source, title, url, origin, model_id,
        target, stance, target_probs, stance_probs, human (a reviewer's labels
        stand in target, stance and speaker; the model's in model_target,
        model_stance, model_speaker), annotator. Statements a reviewer marked as
        not statements are left out.
        """
        model_id = model_id or self.latest_model_id()
        if model_id is None:
            return []
        sql = LABELLED_COLUMNS + LABELLED_FROM
        where, args = [LABELLED_WHERE], [model_id]
        if actor is not None:
            where.append("COALESCE(r.speaker, s.speaker) = ? COLLATE NOCASE")
            args.append(actor)
        if target is not None:
            where.append("COALESCE(r.target, p.target) = ? COLLATE NOCASE")
            args.append(target)
        if article is not None:
            where.append("s.article = ?")
            args.append(article)
        sql += "WHERE " + " AND ".join(where) + " "
        sql += "ORDER BY s.id"
        return [self._labelled(dict(r)) for r in self._db.execute(sql, args)]

    @staticmethod
    def _labelled(row: dict) -> dict:
        """A stored statement and its stored prediction as records.labelled_row builds it, then a reviewer's
        labels over the model's (the model's kept as model_target, model_stance and their probabilities)."""
        try:
            stored = json.loads(row.pop("probabilities") or "{}")
        except json.JSONDecodeError:
            stored = {}
        human, target, stance = bool(row.pop("human")), row.pop("target"), row.pop("stance")
        prediction = Prediction(target=row["model_target"], stance=row["model_stance"],
                                target_probs=stored.get("target") or {}, stance_probs=stored.get("stance") or {},
                                model_id=row.pop("model_id"), relevance=stored.get("relevance"),
                                off_target=bool(stored.get("off_target")), confidence=stored.get("confidence"))
        row = labelled_row(row, prediction)
        row["human"] = human
        if human:  # a reviewer's label is certain: the evidence weighs it as such, and the gate has no say
            row["model_target_probs"], row["model_stance_probs"] = row["target_probs"], row["stance_probs"]
            row.update(target=target, stance=stance, target_probs={target: 1.0}, stance_probs={stance: 1.0},
                       off_target=False, confidence=None)
        return row
