"""Human review labels in the statement store (mixed into stance.store.database.Store).

A review belongs to one stored statement: the reviewer's target and stance, a
corrected speaker, or the verdict that it is not a statement at all, with the
annotator and time. Reviews win over every model's predictions when the store
is read (Store.load_labelled), and survive re-analysis: when a changed article
is stored again, each review moves to the new statement with the same text.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Iterable, Optional

REVIEWS_SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (
    statement INTEGER PRIMARY KEY REFERENCES statements(id) ON DELETE CASCADE,
    is_statement INTEGER NOT NULL DEFAULT 1,
    speaker TEXT,
    target TEXT,
    stance TEXT,
    annotator TEXT NOT NULL,
    reviewed_at TEXT NOT NULL
)"""


@dataclass
class Review:
    """One human judgement of a stored statement."""

    statement: int
    annotator: str
    reviewed_at: str
    target: Optional[str] = None
    stance: Optional[str] = None
    speaker: Optional[str] = None
    is_statement: bool = True


def _text_key(text: str) -> str:
    return " ".join(text.split())


class ReviewTables:
    """Store methods for reviews; expects `_db`, `_write` and `path` from Store."""

    def save_reviews(self, reviews: Iterable[Review]) -> int:
        """Store reviews in ONE transaction (a later review of a statement replaces the earlier one)."""
        count = 0
        with self._write() as db:
            for r in reviews:
                db.execute(
                    "INSERT OR REPLACE INTO reviews (statement, is_statement, speaker, target, stance, annotator, reviewed_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (r.statement, int(r.is_statement), r.speaker, r.target, r.stance, r.annotator, r.reviewed_at))
                count += 1
        return count

    def reviewed_ids(self) -> set[int]:
        """Ids of the statements a human has reviewed."""
        return {r[0] for r in self._db.execute("SELECT statement FROM reviews")}

    def existing_statement_ids(self, ids: Iterable[int]) -> set[int]:
        """The given ids that are statements in the store."""
        wanted = sorted(set(ids))
        found: set[int] = set()
        for begin in range(0, len(wanted), 500):  # SQLite's bound-parameter limit
            chunk = wanted[begin:begin + 500]
            found |= {r[0] for r in self._db.execute(
                f"SELECT id FROM statements WHERE id IN ({','.join('?' * len(chunk))})", chunk)}
        return found

    def delete_review(self, statement_id: int) -> bool:
        """Forget the review of one statement (undo); True when there was one."""
        with self._write() as db:
            return db.execute("DELETE FROM reviews WHERE statement = ?", (statement_id,)).rowcount > 0

    def reviews(self) -> dict[int, Review]:
        """Every review, by statement id."""
        return {r["statement"]: Review(statement=r["statement"], annotator=r["annotator"], reviewed_at=r["reviewed_at"],
                                       target=r["target"], stance=r["stance"], speaker=r["speaker"],
                                       is_statement=bool(r["is_statement"]))
                for r in self._db.execute("SELECT * FROM reviews")}

    def paragraph_of(self, statement_id: int) -> Optional[tuple[str, int, int]]:
        """(paragraph, quote start, quote end) of a statement in its stored article text; None without the text."""
        row = self._db.execute('SELECT a.text, s."start", s."end" FROM statements s JOIN articles a ON a.id = s.article '
                               "WHERE s.id = ?", (statement_id,)).fetchone()
        if row is None or not row[0] or not (0 <= row[1] <= row[2] <= len(row[0])):
            return None
        text, start, end = row
        first = text.rfind("\n", 0, start) + 1
        last = text.find("\n", end)
        last = len(text) if last < 0 else last
        return text[first:last], start - first, end - first

    def reviewed_rows(self) -> list[dict]:
        """Reviewed statements with a target and stance, as labelled training rows."""
        rows = self._db.execute(
            "SELECT s.id, s.article, COALESCE(r.speaker, s.speaker) AS speaker, s.text, s.context, r.target, r.stance "
            "FROM reviews r JOIN statements s ON s.id = r.statement "
            "WHERE r.is_statement = 1 AND r.target IS NOT NULL ORDER BY s.id").fetchall()
        return [{"text": r["text"], "context": r["context"], "speaker": r["speaker"], "article": r["article"],
                 "target": r["target"], "stance": r["stance"], "where": f"{self.path}: statement {r['id']}",
                 "composed": False, "human": True} for r in rows]

    def review_counts(self) -> dict:
        one = lambda sql: self._db.execute(sql).fetchone()[0]  # noqa: E731
        return {"reviewed": one("SELECT COUNT(*) FROM reviews"),
                "not_statements": one("SELECT COUNT(*) FROM reviews WHERE is_statement = 0")}

    @staticmethod
    def _reviews_of_article(db: sqlite3.Connection, article: str) -> dict[str, tuple]:
        rows = db.execute(
            "SELECT s.text, r.is_statement, r.speaker, r.target, r.stance, r.annotator, r.reviewed_at "
            "FROM reviews r JOIN statements s ON s.id = r.statement WHERE s.article = ?", (article,)).fetchall()
        return {_text_key(row[0]): tuple(row[1:]) for row in rows}

    @staticmethod
    def _restore_reviews(db: sqlite3.Connection, saved: dict[str, tuple], new: list[tuple[int, str]]) -> None:
        for statement_id, text in new:
            values = saved.pop(_text_key(text), None)
            if values is not None:
                db.execute("INSERT INTO reviews (statement, is_statement, speaker, target, stance, annotator, reviewed_at) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)", (statement_id, *values))
