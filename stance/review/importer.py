"""Import reviewed labels into the store: all rows valid, or nothing imported.

A row needs the statement's `id` (as in the review queue) and, unless it says
`"statement": false` (not an attributed statement at all), a `target` and a
`stance` from the label config. An optional `speaker` corrects the speaker.
Any other fields (the queue's text, probabilities, ...) are ignored.
"""

from __future__ import annotations

import getpass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from stance.config import LabelSet
from stance.errors import StanceError
from stance.records import read_jsonl
from stance.store import Store
from stance.store import Review


def _annotator(name: Optional[str]) -> str:
    if name and name.strip():
        return name.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment (e.g. a container)
        return "analyst"


def parse_review(row: dict, labels: LabelSet, where: str, annotator: str, when: str) -> Review:
    """One reviewed row as a Review; StanceError naming `where` when it is not valid."""
    statement_id = row.get("id")
    if isinstance(statement_id, bool) or not isinstance(statement_id, int):
        raise StanceError(f"{where}: 'id' is {statement_id!r}; expected the statement's integer id from the review queue")
    is_statement = row.get("statement", True)
    if not isinstance(is_statement, bool):
        raise StanceError(f"{where}: 'statement' is {is_statement!r}; expected true or false")
    speaker = row.get("speaker")
    if speaker is not None and (not isinstance(speaker, str) or not speaker.strip()):
        raise StanceError(f"{where}: 'speaker' is {speaker!r}; expected a non-empty name")
    if not is_statement:
        return Review(statement=statement_id, annotator=annotator, reviewed_at=when, is_statement=False)
    for key in ("target", "stance"):
        if not isinstance(row.get(key), str):
            raise StanceError(f"{where}: '{key}' is {row.get(key)!r}; expected a label name "
                              "(or \"statement\": false for a row that is not a statement)")
    labels.check(row["target"], row["stance"], where)
    return Review(statement=statement_id, annotator=annotator, reviewed_at=when, target=row["target"],
                  stance=row["stance"], speaker=speaker.strip() if speaker else None)


def import_reviews(path: Path, db_path: Path, labels: LabelSet, annotator: Optional[str] = None) -> dict:
    """Validate every row of a reviewed JSONL file, then store them all in one transaction.

    Raises one StanceError listing every bad row (file:line: reason); nothing is stored then.
    """
    who, when = _annotator(annotator), datetime.now(timezone.utc).isoformat(timespec="seconds")
    reviews, errors, lines = [], [], {}
    for number, row in read_jsonl(Path(path)):
        where = f"{path}:{number}"
        try:
            review = parse_review(row, labels, where, who, when)
        except StanceError as exc:
            errors.append((number, str(exc)))
            continue
        if review.statement in lines:
            errors.append((number, f"{where}: statement {review.statement} was already reviewed on line "
                                   f"{lines[review.statement]}; expected each statement once"))
            continue
        lines[review.statement] = number
        reviews.append(review)
    if not reviews and not errors:
        raise StanceError(f"{path}: no rows; expected one reviewed statement per line")
    with Store(db_path, create=False) as store:
        known = store.existing_statement_ids(r.statement for r in reviews)
        errors += [(lines[r.statement], f"{path}:{lines[r.statement]}: statement id {r.statement} is not in {db_path}; "
                    "expected an id from `stance review queue` on this store") for r in reviews if r.statement not in known]
        if errors:
            raise StanceError(f"{len(errors)} bad row(s), nothing imported:\n" + "\n".join(m for _, m in sorted(errors)))
        store.save_reviews(reviews)
    return {"imported": len(reviews), "not_statements": sum(not r.is_statement for r in reviews), "annotator": who}
