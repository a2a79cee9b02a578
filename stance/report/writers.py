"""Position reports: report.md, positions.json, statements.csv and report.html.

Built from the store alone (no model), so `stance report` starts instantly. `write_store_reports`
aggregates the store one speaker at a time into the spool (stance.report.spool) and writes the four
files from it, so memory is bounded by the largest speaker, not by the store; `--actor` reads only
that speaker's rows (SQL), `--target` and `--since`/`--until` apply to merged utterances (an
utterance's voted target, its sources' dates), so they filter after merging. `write_reports` writes
an Aggregate (or rows) held in memory through the same writers.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional, TextIO, Union

from stance.errors import StanceError
from stance.outputs import atomic_write
from stance.report.html import write_html
from stance.report.jsonout import write_positions_json
from stance.report.markdown import write_markdown
from stance.report.spool import ReportSpool, SpoolView, csv_header
from stance.store import DEFAULT_DB, Store
from stance.track.aggregate import (DEFAULT_RULE, ChangeRule, DateFilter, aggregate, aggregate_speaker,
                                    bad_dates_note, check_period, match_names, speaker_key, summary_line)
from stance.track.merge import UNKNOWN_SPEAKER
from stance.track.records import Aggregate, Filters, Stats

DEFAULT_OUT = Path("reports")
REPORT_FILES = ("report.md", "positions.json", "statements.csv", "report.html")
UNKNOWN_PAGE = 2000  # the unknown speaker's statements (which never merge) are aggregated this many at a time


@dataclass
class ReportSummary:
    """What a written report says, for the terminal: its files, figures, notes and changes."""

    paths: list[Path]
    stats: Stats
    actors: int
    notes: list[str]
    changes: list[str] = field(default_factory=list)
    tentative_changes: list[str] = field(default_factory=list)

    def summary_line(self) -> str:
        return summary_line(self.stats, self.actors)


def _write_csv(view: SpoolView, handle: TextIO, firm, tentative) -> None:
    handle.write(csv_header())
    for line in view.statement_lines():
        handle.write(line)


_WRITERS: dict[str, Callable] = {"report.md": write_markdown, "positions.json": write_positions_json,
                                 "statements.csv": _write_csv, "report.html": write_html}


def _out_dir(out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise StanceError(f"{out_dir}: is a file; expected a folder for the reports")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StanceError(f"{out_dir}: cannot create the reports folder ({exc.strerror})") from None
    return out_dir


def write_view(view: SpoolView, out_dir: Path) -> ReportSummary:
    """Write the four report files from a spool's view, each to a .tmp file renamed when complete."""
    out_dir = _out_dir(out_dir)
    firm, tentative = view.changes(), view.changes(tentative=True)
    paths = []
    for name in REPORT_FILES:
        path = out_dir / name
        try:
            # csv writes its own line ends (CRLF); the other files are text; never a half-written report
            with atomic_write(path, newline="" if name.endswith(".csv") else None) as handle:
                _WRITERS[name](view, handle, firm, tentative)
        except OSError as exc:
            raise StanceError(f"{path}: cannot write the report ({exc.strerror})") from None
        paths.append(path)
    return ReportSummary(paths, view.stats, len(view.actors), list(view.notes),
                         [c.text for c in firm], [c.text for c in tentative])


def write_reports(rows_or_aggregate: Union[list, Aggregate], out_dir: Path = DEFAULT_OUT, *, period: str = "month",
                  **filters) -> list[Path]:
    """Write report.md, positions.json, statements.csv and report.html into out_dir.

    Takes an Aggregate (stance.track.aggregate.aggregate, or load_aggregate), or the
    labelled rows themselves (then aggregated with `period` and `filters`:
    actor, target, since, until). Returns the paths written.
    """
    if isinstance(rows_or_aggregate, Aggregate):
        result = rows_or_aggregate
    else:
        result = aggregate(list(rows_or_aggregate), period=period, **filters)
    with ReportSpool(result.none_label) as spool:
        spool.add_aggregate(result)
        return write_view(spool.view_of(result), out_dir).paths


# -- from the store ----------------------------------------------------------------


@dataclass
class _StoreFacts:
    """What a report needs to know of the store before aggregating: model, label set, counts, speakers."""

    model_id: str
    none_label: str
    stances: Optional[tuple]
    unlabelled: int
    speakers: list[str]  # every speaker of the labelled rows, or those --actor names
    notes: list[str]


def _store_facts(store: Store, db_path: Path, model_id: Optional[str], actor: Optional[str]) -> _StoreFacts:
    """The model to report (latest by default), its none label, the speakers --actor names; StanceError for a
    store with nothing labelled or a model not in it."""
    counts = store.counts(model_id)
    if model_id and model_id not in store.model_ids():
        known = ", ".join(store.model_ids()) or "none"
        raise StanceError(f"{db_path}: no predictions from model {model_id!r}; models in the store: {known}")
    speakers = store.labelled_speakers(counts["model_id"]) if counts["model_id"] else []
    if not speakers:
        if counts["statements"]:
            raise StanceError(f"{db_path}: {counts['statements']} statement(s) but none labelled yet; "
                              "run `stance analyze` to label them")
        raise StanceError(f"{db_path}: the store holds no statements ({counts['articles']} article(s)); "
                          "run `stance analyze PATH...` first")
    model_id = counts["model_id"]
    labels = store.model_labels(model_id)
    if actor:
        speakers = sorted(match_names(actor, speakers, "speaker", "--actor"))
    note = bad_dates_note(store.labelled_dates(model_id))
    return _StoreFacts(model_id, labels.none_label if labels else "none", labels.stances if labels else None,
                       counts["statements"] - counts["labelled"], speakers, [note] if note else [])


def _unlabelled_note(facts: _StoreFacts) -> list[str]:
    if facts.unlabelled <= 0:
        return []
    return [f"{facts.unlabelled} stored statement(s) have no prediction from model {facts.model_id} and are left "
            "out; run `stance analyze` to label them"]


@contextmanager
def spooled_store(db_path: Path = DEFAULT_DB, *, actor: Optional[str] = None, target: Optional[str] = None,
                  since: Optional[str] = None, until: Optional[str] = None, period: str = "month",
                  model_id: Optional[str] = None, rule: ChangeRule = DEFAULT_RULE) -> Iterator[SpoolView]:
    """The store aggregated one speaker at a time into a spool, as the view the writers read (the
    spool is removed on leaving). The unknown speaker's statements, which never merge, are read in
    slices. An empty store (or one whose statements are not labelled yet) is a StanceError saying to
    run `stance analyze` first."""
    check_period(period)
    dates = DateFilter.parse(since, until)
    with Store(db_path, create=False) as store:
        facts = _store_facts(store, db_path, model_id, actor)
        with ReportSpool(facts.none_label) as spool:
            for rows in store.labelled_groups(facts.model_id, speaker_key, speakers=facts.speakers,
                                              independent={UNKNOWN_SPEAKER}, page=UNKNOWN_PAGE):
                spool.add_part(aggregate_speaker(rows, period=period, dates=dates, none_label=facts.none_label,
                                                 rule=rule))
            view = spool.view(period=period, filters=Filters(actor, target, since, until), change_rule=rule.to_json(),
                              target=target, dates=dates, notes=facts.notes, db=str(db_path),
                              model_id=facts.model_id, label_stances=facts.stances)
            view.notes += _unlabelled_note(facts)
            yield view


def write_store_reports(db_path: Path = DEFAULT_DB, out_dir: Path = DEFAULT_OUT, *, actor: Optional[str] = None,
                        target: Optional[str] = None, since: Optional[str] = None, until: Optional[str] = None,
                        period: str = "month", model_id: Optional[str] = None,
                        rule: ChangeRule = DEFAULT_RULE) -> ReportSummary:
    """Rebuild every report from the store, one speaker at a time (spooled_store): the files say what
    write_reports(load_aggregate(...)) says, in memory bounded by the largest speaker."""
    with spooled_store(db_path, actor=actor, target=target, since=since, until=until, period=period,
                       model_id=model_id, rule=rule) as view:
        return write_view(view, out_dir)


def load_aggregate(db_path: Path = DEFAULT_DB, *, actor: Optional[str] = None, target: Optional[str] = None,
                   since: Optional[str] = None, until: Optional[str] = None, period: str = "month",
                   model_id: Optional[str] = None) -> Aggregate:
    """Read the labelled statements from the store and aggregate them in memory (small stores, the
    Python API; the reports stream instead: write_store_reports).

    An empty store (or one whose statements are not labelled yet) is a
    StanceError saying to run `stance analyze` first.
    """
    check_period(period)
    DateFilter.parse(since, until)
    with Store(db_path, create=False) as store:
        facts = _store_facts(store, db_path, model_id, None)
        rows = store.load_labelled(facts.model_id)
    result = aggregate(rows, period=period, actor=actor, target=target, since=since, until=until,
                       none_label=facts.none_label)
    result.db, result.model_id = str(db_path), facts.model_id
    result.notes += _unlabelled_note(facts)
    return result
