"""Batch writes and paged reads for the statement store (large corpora).

A batch of articles, their statements and the statements' predictions is
written in ONE transaction: a killed run keeps every batch it committed and
never half of one, and the per-commit cost is paid once per batch rather than
once per article. Reads page through the store so memory stays bounded.
Mixed into stance.store.database.Store; standard library only.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterator, Optional, Sequence

from stance.records import Article, Prediction, Statement
from stance.store.sqlite_errors import _guarded


_STATEMENT_COLUMNS = ('s.id, s.article, s.speaker, s.speaker_mention, s.text, s.kind, s."start", s."end", s.context, '
                      "s.date, s.date_precision, s.speaker_confidence")


def _statement(row) -> Statement:
    return Statement(article=row["article"], speaker=row["speaker"], speaker_mention=row["speaker_mention"],
                     text=row["text"], kind=row["kind"], start=row["start"], end=row["end"], context=row["context"],
                     date=row["date"], date_precision=row["date_precision"],
                     speaker_confidence=row["speaker_confidence"])


class BatchWrites:
    """Store methods for the streaming pipeline (see stance.analyze and stance.engine)."""

    @_guarded
    def write_batch(self, model_id: str,
                    items: Sequence[tuple[Article, list[Statement], Optional[list[Prediction]]]]) -> int:
        """Store articles with their statements (replacing stored versions) and, where given,
        the statements' predictions by `model_id` -- all in one transaction.

        Returns how many predictions were stored. On any exception nothing of the batch changes.
        """
        labelled = 0
        with self._write() as db:
            for article, statements, predictions in items:
                ids = self._replace_in(db, article, list(statements))
                if predictions is not None:
                    if len(predictions) != len(ids):
                        from stance.errors import StanceError

                        raise StanceError(f"article {article.id!r}: {len(predictions)} predictions for "
                                          f"{len(ids)} statements; expected one per statement")
                    if ids:
                        labelled += self._predictions_in(db, model_id, zip(ids, predictions))
        return labelled

    @_guarded
    def statuses(self, articles: Sequence[Article]) -> list[str]:
        """article_status for each article, in one read transaction."""
        return [self.article_status(a) for a in articles]

    @_guarded
    def pages_needing_prediction(self, model_id: str, page: int = 1024) -> Iterator[list[tuple[int, Statement]]]:
        """Statements `model_id` has not labelled yet, about `page` at a time, in id order (bounded
        memory); a page never splits an article (the relevance gate judges statements together)."""
        sql = (f"SELECT {_STATEMENT_COLUMNS} FROM statements s WHERE s.id > ? {{}} AND NOT EXISTS "
               "(SELECT 1 FROM predictions p WHERE p.statement = s.id AND p.model_id = ?) ORDER BY s.id {}")
        last = 0
        while True:
            rows = self._db.execute(sql.format("", "LIMIT ?"), (last, model_id, page)).fetchall()
            if not rows:
                return
            if len(rows) == page:  # finish the last article of the page
                rows += self._db.execute(sql.format("AND s.article = ?", ""),
                                         (rows[-1]["id"], rows[-1]["article"], model_id)).fetchall()
            last = rows[-1]["id"]
            yield [(r["id"], _statement(r)) for r in rows]

    @_guarded
    def label_counts(self, model_id: str, none_label: Optional[str] = None) -> dict:
        """What load_labelled(model_id) would give, counted in SQL: total, by target, by stance,
        speaker unknown, off target (target `none_label`: by default the model's, Store.none_label) and
        of those set by the relevance gate (reviewers' labels win; statements marked not a statement are
        left out)."""
        none_label = none_label or self.none_label(model_id)
        sql = ("SELECT COALESCE(r.target, p.target) AS target, COALESCE(r.stance, p.stance) AS stance, "
               "COALESCE(r.speaker, s.speaker) = 'unknown' AS unknown, "
               "r.target IS NULL AND COALESCE(json_extract(p.probabilities, '$.off_target'), 0) AS gated, COUNT(*) AS n "
               "FROM statements s JOIN articles a ON a.id = s.article "
               "JOIN predictions p ON p.statement = s.id AND p.model_id = ? "
               "LEFT JOIN reviews r ON r.statement = s.id "
               "WHERE (r.is_statement IS NULL OR r.is_statement = 1) GROUP BY 1, 2, 3, 4")
        by_target, by_stance = Counter(), Counter()
        unknown = total = off_target = gated = 0
        for row in self._db.execute(sql, (model_id,)):
            by_target[row["target"]] += row["n"]
            by_stance[row["stance"]] += row["n"]
            unknown += row["n"] if row["unknown"] else 0
            off_target += row["n"] if row["target"] == none_label else 0
            gated += row["n"] if row["gated"] else 0
            total += row["n"]
        return {"total": total, "by_target": by_target, "by_stance": by_stance, "unknown_speakers": unknown,
                "off_target": off_target, "off_target_by_gate": gated}
