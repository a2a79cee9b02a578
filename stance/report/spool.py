"""The reports' spool: what aggregation found, held on disk until the reports are written.

Aggregation hands over one speaker at a time (or a whole in-memory Aggregate); the spool writes its
positions, changes, utterances and statements.csv lines into a private temporary SQLite file (removed
when closed) and keeps only sets and counters in memory. The writers then read it back in report order,
one position at a time: positions by actor and target, listed utterances chronologically, statements.csv
by statement id (the store's order), whatever order the speakers came in. So a report's memory is that of
its largest speaker, not of the store.

The --target filter is applied here, at the end: it matches the utterances' voted targets, which are
known only once every speaker is merged (an utterance's target can be one none of its statements has).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Iterator, Optional

from stance.report.cells import MatrixCell
from stance.track.aggregate import (DateFilter, SpeakerPart, actor_order, is_unknown, match_names,
                                    no_target_note, stance_sort_key, undated_note, utterance_order)
from stance.track.records import Aggregate, Change, Filters, Position, ReportedStatement, Stats, Utterance

CSV_COLUMNS = (
    "statement_id", "utterance_id", "article", "date", "date_precision", "source", "title", "url",
    "speaker", "speaker_mention", "kind", "text", "target", "stance", "target_confidence", "stance_confidence",
    "utterance_target", "utterance_stance", "utterance_confidence", "utterance_sources", "utterance_articles",
    "model_id", "start", "end", "human", "model_target", "model_stance", "annotator",
)

POSITION_KIND, UNKNOWN_KIND, NO_TARGET_KIND = 0, 1, 2

_SCHEMA = """
CREATE TABLE positions (seq INTEGER PRIMARY KEY, actor_key TEXT, actor TEXT, target_key TEXT, target TEXT,
                        cell TEXT, json TEXT);
CREATE TABLE changes (position INTEGER, tentative INTEGER, target TEXT, json TEXT);
CREATE TABLE utterances (seq INTEGER PRIMARY KEY, kind INTEGER, target TEXT, stance TEXT, merged INTEGER,
                         undated INTEGER, o_undated INTEGER, o_start TEXT, o_end TEXT, o_speaker TEXT, o_id TEXT,
                         o_date TEXT, json TEXT);
CREATE TABLE statements (ord INTEGER PRIMARY KEY, article TEXT, target TEXT, line TEXT)
"""


def _fmt(value) -> str:
    return "" if value is None else f"{float(value):.3f}"


def csv_line(statement: ReportedStatement) -> str:
    """One statements.csv line (CRLF-terminated, as csv writes it)."""
    row, u = statement.row, statement.utterance
    stance_probs, target_probs = row.get("stance_probs") or {}, row.get("target_probs") or {}
    values = {
        "statement_id": row.get("statement_id"), "utterance_id": u.id, "article": row.get("article"),
        "date": row.get("date") or "undated", "date_precision": row.get("date_precision") or "",
        "source": row.get("source") or "", "title": row.get("title") or "", "url": row.get("url") or "",
        "speaker": row.get("speaker"), "speaker_mention": row.get("speaker_mention") or "",
        "kind": row.get("kind") or "", "text": row.get("text"), "target": row.get("target"),
        "stance": row.get("stance"), "target_confidence": _fmt(target_probs.get(row.get("target"))),
        "stance_confidence": _fmt(stance_probs.get(row.get("stance"))), "utterance_target": u.target,
        "utterance_stance": u.stance, "utterance_confidence": _fmt(u.confidence),
        "utterance_sources": len(u.sources), "utterance_articles": ";".join(str(s.article) for s in u.sources),
        "model_id": row.get("model_id") or "", "start": row.get("start", ""), "end": row.get("end", ""),
        "human": "yes" if row.get("human") else "", "model_target": row.get("model_target") or "",
        "model_stance": row.get("model_stance") or "", "annotator": row.get("annotator") or "",
    }
    buffer = io.StringIO()
    csv.DictWriter(buffer, fieldnames=CSV_COLUMNS).writerow(values)
    return buffer.getvalue()


def csv_header() -> str:
    buffer = io.StringIO()
    csv.DictWriter(buffer, fieldnames=CSV_COLUMNS).writeheader()
    return buffer.getvalue()


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _cell_json(position: Position) -> Optional[dict]:
    cell = MatrixCell.of(position)
    return cell.to_json() if cell else None


class ReportSpool:
    """Positions, utterances and statements on their way to the reports; use as a context manager."""

    def __init__(self, none_label: str = "none"):
        self.none_label = none_label
        self._db = sqlite3.connect("")  # a private temporary file, deleted on close
        self._db.executescript(_SCHEMA)
        self.targets: set[str] = set()  # every utterance's target, before the date filter
        self.undated_dropped: Counter = Counter()  # target -> undated utterances the date filter left out

    def __enter__(self) -> "ReportSpool":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # -- filling -----------------------------------------------------------------

    def add_part(self, part: SpeakerPart) -> None:
        """One speaker's share (stance.track.aggregate_speaker); statements.csv keeps statement id order."""
        self.targets |= part.targets
        self.undated_dropped.update(part.undated_dropped)
        self._add(part.utterances, part.positions, [(s.row["statement_id"], s) for s in part.statements])

    def add_aggregate(self, result: Aggregate) -> None:
        """A whole in-memory aggregate; statements.csv keeps its order."""
        self._add(result.utterances, result.positions, list(enumerate(result.statements)))

    def _add(self, utterances: list[Utterance], positions: list[Position],
             statements: list[tuple[int, ReportedStatement]]) -> None:
        with self._db:
            self._db.executemany("INSERT INTO utterances VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 [self._utterance_row(u) for u in utterances])
            for p in positions:
                seq = self._db.execute("INSERT INTO positions VALUES (NULL, ?, ?, ?, ?, ?, ?)", (
                    actor_order(p.actor)[0], p.actor, p.target.casefold(), p.target,
                    _dumps(_cell_json(p)), _dumps(p.to_json()))).lastrowid
                self._db.executemany("INSERT INTO changes VALUES (?, ?, ?, ?)",
                                     [(seq, int(c.tentative), c.target, _dumps(c.to_json()))
                                      for c in p.changes + p.tentative_changes])
            self._db.executemany("INSERT INTO statements VALUES (?, ?, ?, ?)",
                                 [(order, s.row.get("article"), s.utterance.target, csv_line(s))
                                  for order, s in statements])

    def _utterance_row(self, u: Utterance) -> tuple:
        kind = UNKNOWN_KIND if is_unknown(u) else NO_TARGET_KIND if u.target == self.none_label else POSITION_KIND
        (undated, start, end), speaker, uid = utterance_order(u)
        return (kind, u.target, u.stance, int(len(u.statement_ids) > 1), int(not u.date), undated,
                start.isoformat(), end.isoformat(), speaker, uid, u.date or "9999", _dumps(u.to_json()))

    # -- reading back ----------------------------------------------------------------

    def view(self, *, period: str, filters: Filters, change_rule: dict, target: Optional[str] = None,
             dates: Optional[DateFilter] = None, notes: list[str] = (), db: Optional[str] = None,
             model_id: Optional[str] = None, label_stances: Optional[tuple] = None) -> "SpoolView":
        """What the spool holds, as the writers read it, with the --target filter applied (StanceError when
        it matches no target, or when the filters leave nothing); `notes` come first."""
        view = SpoolView(self, period=period, filters=filters, change_rule=change_rule, db=db, model_id=model_id,
                         none_label=self.none_label, label_stances=label_stances)
        notes = list(notes)
        if target:
            view.wanted = sorted(match_names(target, self.targets, "target", "--target"))
        if dates:
            undated = sum(self.undated_dropped[t] for t in self.targets if view.wanted is None or t in view.wanted)
            if undated:
                notes.append(undated_note(undated))
            if not view.count("utterances"):
                raise dates.nothing_left()
        view.stats = view.computed_stats()
        if view.stats.no_target:
            notes.append(no_target_note(view.stats.no_target, self.none_label))
        view.notes = notes
        return view

    def view_of(self, result: Aggregate, label_stances: Optional[tuple] = None) -> "SpoolView":
        """The view of an aggregate added whole: its own stats and notes."""
        view = SpoolView(self, period=result.period, filters=result.filters, change_rule=result.change_rule,
                         db=result.db, model_id=result.model_id, none_label=result.none_label,
                         label_stances=label_stances)
        view.stats, view.notes = result.stats, list(result.notes)
        return view


@dataclass
class SpoolView:
    """The report as the writers read it: header facts in memory, positions and lists streamed from the spool."""

    spool: ReportSpool
    period: str
    filters: Filters
    change_rule: dict
    db: Optional[str]
    model_id: Optional[str]
    none_label: str
    label_stances: Optional[tuple] = None  # the model's stance names, when the store recorded them
    wanted: Optional[list[str]] = None  # the targets --target matched; None: every target
    stats: Optional[Stats] = None
    notes: Optional[list[str]] = None

    def _where(self, column: str = "target") -> tuple[str, tuple]:
        if self.wanted is None:
            return "1", ()
        return f"{column} IN (SELECT value FROM json_each(?))", (json.dumps(self.wanted),)

    def _rows(self, sql: str, *args) -> Iterator[tuple]:
        where, where_args = self._where()
        return self.spool._db.execute(sql.format(where=where), (*where_args, *args))

    def count(self, table: str, extra: str = "1") -> int:
        return next(self._rows(f"SELECT COUNT(*) FROM {table} WHERE {{where}} AND {extra}"))[0]

    def computed_stats(self) -> Stats:
        statements, articles = next(self._rows("SELECT COUNT(*), COUNT(DISTINCT article) FROM statements WHERE {where}"))
        utterances, merged, unknown, no_target, undated = next(self._rows(
            f"SELECT COUNT(*), TOTAL(merged), TOTAL(kind = {UNKNOWN_KIND}), TOTAL(kind = {NO_TARGET_KIND}), "
            "TOTAL(undated) FROM utterances WHERE {where}"))
        return Stats(statements=statements, articles=articles, utterances=utterances, merged=int(merged),
                     positions=self.count("positions"), changes=self.count("changes", "tentative = 0"),
                     tentative_changes=self.count("changes", "tentative = 1"), unknown_speaker=int(unknown),
                     no_target=int(no_target), undated=int(undated))

    @property
    def actors(self) -> list[str]:
        names = {r[0] for r in self._rows("SELECT DISTINCT actor FROM positions WHERE {where}")}
        return sorted(names, key=actor_order)

    @property
    def targets(self) -> list[str]:
        """The targets of the positions, the matrix's columns."""
        names = {r[0] for r in self._rows("SELECT DISTINCT target FROM positions WHERE {where}")}
        return sorted(names, key=lambda t: (t.casefold(), t))

    @property
    def stances(self) -> list[str]:
        """Every stance of the utterances, with the label set's positions (for the legend and the lanes)."""
        base = ({s for s in self.label_stances if s != self.none_label} if self.label_stances
                else {"support", "conditional", "doubt"})
        seen = {r[0] for r in self._rows("SELECT DISTINCT stance FROM utterances WHERE {where}")}
        return sorted(seen | base, key=lambda s: stance_sort_key(s, self.none_label))

    def changes(self, tentative: bool = False) -> list[Change]:
        """The firm (or tentative) changes, in position order: the change list is kept in memory."""
        sql = ("SELECT c.json FROM changes c JOIN positions p ON p.seq = c.position "
               "WHERE c.tentative = ? AND {where} ORDER BY p.actor_key, p.target_key, p.seq, c.rowid")
        where, args = self._where("c.target")
        return [Change.from_json(json.loads(r[0])) for r in
                self.spool._db.execute(sql.format(where=where), (int(tentative), *args))]

    def positions(self) -> Iterator[Position]:
        """Every position, by actor then target (positions.json's order)."""
        for r in self._rows("SELECT json FROM positions WHERE {where} ORDER BY actor_key, target_key, seq"):
            yield Position.from_json(json.loads(r[0]))

    def actor_sections(self) -> Iterator[tuple[str, list[Position]]]:
        """(actor, that actor's positions by target), actors in order: one actor in memory at a time."""
        actor, positions = None, []
        for r in self._rows("SELECT actor, json FROM positions WHERE {where} ORDER BY actor_key, actor, target_key, seq"):
            if positions and r[0] != actor:
                yield actor, positions
                positions = []
            actor = r[0]
            positions.append(Position.from_json(json.loads(r[1])))
        if positions:
            yield actor, positions

    def matrix_rows(self) -> Iterator[tuple[str, dict[str, MatrixCell]]]:
        """(actor, target -> that position's matrix cell), actors in order."""
        actor, cells = None, {}
        for r in self._rows("SELECT actor, target, cell FROM positions WHERE {where} ORDER BY actor_key, actor, target_key, seq"):
            if cells and r[0] != actor:
                yield actor, cells
                cells = {}
            actor = r[0]
            cells[r[1]] = MatrixCell.from_json(json.loads(r[2]))
        if cells:
            yield actor, cells

    def listed(self, kind: int, limit: Optional[int] = None) -> Iterator[Utterance]:
        """The utterances of the unknown speaker (UNKNOWN_KIND) or about no target (NO_TARGET_KIND),
        chronologically (undated last)."""
        sql = ("SELECT json FROM utterances WHERE {where} AND kind = ? "
               "ORDER BY o_undated, o_start, o_end, o_speaker, o_id" + (" LIMIT ?" if limit is not None else ""))
        for r in self._rows(sql, kind, *([limit] if limit is not None else [])):
            yield Utterance.from_json(json.loads(r[0]))

    def position_utterances(self) -> Iterator[Utterance]:
        """The utterances behind the positions (known speaker, some target) by date as written (undated
        last), speaker, target and id: the order of stance export's statement table."""
        sql = (f"SELECT json FROM utterances WHERE {{where}} AND kind = {POSITION_KIND} "
               "ORDER BY o_date, o_speaker, target, o_id")
        for r in self._rows(sql):
            yield Utterance.from_json(json.loads(r[0]))

    def statement_lines(self) -> Iterator[str]:
        """statements.csv's lines, in order."""
        for r in self._rows("SELECT line FROM statements WHERE {where} ORDER BY ord"):
            yield r[0]
