"""From labelled statements to positions: pure functions over plain rows.

A row is a dict as returned by Store.load_labelled (statement_id, article,
speaker, text, date, date_precision, source, title, url, target, stance,
target_probs, stance_probs, ...). Nothing here touches a file or a model.

1. merge_utterances (stance.track.merge): the same utterance reported by several
   articles (same speaker, similar normalised text, nearby dates) becomes one
   Utterance with several sources, labelled by a probability-weighted vote.
2. positions_of (stance.track.positions): per actor x target, a chronological
   timeline, the stance distribution per period (day, month or year), the latest
   position and the changes between periods whose top stances share nothing.

`aggregate` does both over rows held in memory and returns an Aggregate.
`aggregate_speaker` does the same for the rows of one speaker (as merge_utterances
compares speakers: speaker_key): merging never joins two speakers, so a store can
be aggregated one speaker at a time, in memory bounded by the largest speaker
(stance.report does so).

Undated statements stay undated (never given a date); speaker "unknown" is
listed apart; statements whose target is the none label (the model's: pass
`none_label`) are kept (for statements.csv) but not aggregated into positions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Optional

from stance.errors import StanceError
from stance.track.merge import (  # noqa: F401  (re-exported: the public API lives here too)
    MAX_DAYS, MERGE_THRESHOLD, NONE_LABEL, PERIODS, STANCE_ORDER, STRICT_THRESHOLD, UNKNOWN_SPEAKER,
    check_period, date_bounds, merge_utterances, normalise_text, parse_date_filter, period_key, speaker_key,
    statement_confidence, strip_quotes, text_similarity, utterance_order,
)
from stance.track.positions import (  # noqa: F401  (re-exported)
    DEFAULT_RULE, ChangeRule, is_unknown, position, positions_of, rule_text, stance_sort_key, support_text,
    top_stances,
)
from stance.track.records import Aggregate, Filters, Position, ReportedStatement, Stats, Utterance


# -- filtering -----------------------------------------------------------------


def actor_order(name: str) -> tuple:
    """How actors are listed: by name, case-insensitive (names equal but for case in a fixed order)."""
    return name.casefold(), name


def match_names(wanted: str, names: Iterable[str], what: str, option: str) -> set[str]:
    """The names a filter means: those equal to `wanted` (case-insensitive), else those containing it;
    a StanceError naming what there is when none does."""
    names = sorted(set(names), key=actor_order)
    exact = {n for n in names if n.casefold() == wanted.strip().casefold()}
    if exact:
        return exact
    partial = {n for n in names if wanted.strip().casefold() in n.casefold()}
    if partial:
        return partial
    shown = ", ".join(names[:15]) + (f", ... ({len(names)} in all)" if len(names) > 15 else "")
    raise StanceError(f"{option}: no {what} matches {wanted!r}; {what}s in the store: {shown or 'none'}")


@dataclass(frozen=True)
class DateFilter:
    """--since / --until: an utterance is kept when any of its sources' dates overlaps the range."""

    since: Optional[str]
    until: Optional[str]
    since_bounds: Optional[tuple[date, date]]
    until_bounds: Optional[tuple[date, date]]

    @classmethod
    def parse(cls, since: Optional[str], until: Optional[str]) -> Optional["DateFilter"]:
        """The filter, None without one; StanceError for a value that is not a date or an empty range."""
        since_b, until_b = parse_date_filter(since, "--since"), parse_date_filter(until, "--until")
        if since_b and until_b and since_b[0] > until_b[1]:
            raise StanceError(f"--since {since} is after --until {until}; expected since <= until")
        return cls(since, until, since_b, until_b) if since_b or until_b else None

    def keeps(self, utterance: Utterance) -> bool:
        for source in utterance.sources:
            bounds = date_bounds(source.date)
            if bounds is None:
                continue
            if ((self.since_bounds is None or bounds[1] >= self.since_bounds[0])
                    and (self.until_bounds is None or bounds[0] <= self.until_bounds[1])):
                return True
        return False

    def nothing_left(self) -> StanceError:
        return StanceError(f"no dated statements between {self.since or 'the start'} and {self.until or 'the end'}")


def bad_dates_note(dates: Iterable[Optional[str]]) -> Optional[str]:
    """The note on date values that cannot be read (shown as undated), None when every one can."""
    bad = sorted({d for d in dates if d and not date_bounds(d)})
    if not bad:
        return None
    return f"{len(bad)} date value(s) could not be read and are shown as undated: {', '.join(map(str, bad[:5]))}"


def undated_note(count: int) -> str:
    return f"{count} undated utterance(s) left out by the date filter"


def no_target_note(count: int, none_label: str) -> str:
    return (f"{count} utterance(s) with target '{none_label}' are listed in statements.csv "
            "but not aggregated into positions")


# -- aggregating -----------------------------------------------------------------


def reported_statements(rows: list[dict], utterances: Iterable[Utterance]) -> list[ReportedStatement]:
    """The rows of the given utterances, in the rows' order, each with its utterance (rows without a
    statement_id are numbered by their position, as merge_utterances numbers them)."""
    kept = {statement_id: u for u in utterances for statement_id in u.statement_ids}
    out = []
    for index, row in enumerate(rows):
        statement_id = row.get("statement_id") if row.get("statement_id") is not None else index + 1
        if statement_id in kept:
            out.append(ReportedStatement(dict(row, statement_id=statement_id), kept[statement_id]))
    return out


def aggregate(rows: Iterable[dict], *, period: str = "month", actor: Optional[str] = None,
              target: Optional[str] = None, since: Optional[str] = None, until: Optional[str] = None,
              none_label: str = NONE_LABEL, threshold: float = MERGE_THRESHOLD, max_days: int = MAX_DAYS,
              rule: ChangeRule = DEFAULT_RULE) -> Aggregate:
    """Merge, filter and aggregate labelled rows into positions, all in memory.

    Filters: actor (case-insensitive; a part of the name matches when no name
    matches whole), target (same), since/until (YYYY, YYYY-MM or YYYY-MM-DD; an
    utterance is kept when any source's date range overlaps; undated ones are
    left out when a date filter is given). A filter that matches nothing is a
    StanceError naming what is there. Changes `rule` finds resting on too little
    are the positions' tentative_changes, apart from the firm ones.
    """
    check_period(period)
    dates = DateFilter.parse(since, until)
    rows = list(rows)
    utterances = merge_utterances(rows, threshold=threshold, max_days=max_days, none_label=none_label)
    notes = [note for note in [bad_dates_note(r.get("date") for r in rows)] if note]
    if actor:
        wanted = match_names(actor, (u.speaker for u in utterances), "speaker", "--actor")
        utterances = [u for u in utterances if u.speaker in wanted]
    if target:
        wanted = match_names(target, (u.target for u in utterances), "target", "--target")
        utterances = [u for u in utterances if u.target in wanted]
    if dates:
        undated = sum(1 for u in utterances if not u.date)
        utterances = [u for u in utterances if dates.keeps(u)]
        if undated:
            notes.append(undated_note(undated))
        if not utterances:
            raise dates.nothing_left()
    unknown = [u for u in utterances if is_unknown(u)]
    no_target = [u for u in utterances if not is_unknown(u) and u.target == none_label]
    positions = positions_of(utterances, period, none_label, rule)
    if no_target:
        notes.append(no_target_note(len(no_target), none_label))
    statements = reported_statements(rows, utterances)
    stats = Stats(statements=len(statements), articles=len({s.row.get("article") for s in statements}),
                  utterances=len(utterances), merged=sum(1 for u in utterances if len(u.statement_ids) > 1),
                  positions=len(positions), changes=sum(len(p.changes) for p in positions),
                  tentative_changes=sum(len(p.tentative_changes) for p in positions), unknown_speaker=len(unknown),
                  no_target=len(no_target), undated=sum(1 for u in utterances if not u.date))
    return Aggregate(period=period, filters=Filters(actor, target, since, until), utterances=utterances,
                     statements=statements, positions=positions, unknown_speaker=unknown, no_target=no_target,
                     stats=stats, notes=notes, change_rule=rule.to_json(), none_label=none_label,
                     actors=sorted({p.actor for p in positions}, key=actor_order))


@dataclass
class SpeakerPart:
    """One speaker's share of an aggregate: what `aggregate` would keep of that speaker's rows
    (the --target filter aside: its names are known only once every speaker is merged)."""

    utterances: list[Utterance]  # kept by the date filter, in utterance order
    statements: list[ReportedStatement]
    positions: list[Position]
    targets: set[str] = field(default_factory=set)  # of every utterance, before the date filter
    undated_dropped: Counter = field(default_factory=Counter)  # target -> undated utterances the date filter left out


def aggregate_speaker(rows: list[dict], *, period: str = "month", dates: Optional[DateFilter] = None,
                      none_label: str = NONE_LABEL, rule: ChangeRule = DEFAULT_RULE,
                      threshold: float = MERGE_THRESHOLD, max_days: int = MAX_DAYS) -> SpeakerPart:
    """Merge and aggregate the rows of one speaker (rows with one speaker_key; the unknown speaker's
    rows, which never merge, in any slices) after the date filter; the rows must carry statement_ids."""
    utterances = merge_utterances(rows, threshold=threshold, max_days=max_days, none_label=none_label)
    part = SpeakerPart(utterances=utterances, statements=[], positions=[], targets={u.target for u in utterances})
    if dates:
        part.undated_dropped.update(u.target for u in utterances if not u.date)
        part.utterances = [u for u in utterances if dates.keeps(u)]
    part.positions = positions_of(part.utterances, period, none_label, rule)
    part.statements = reported_statements(rows, part.utterances)
    return part


def summary_line(stats: Stats, actors: int) -> str:
    """One line for the terminal and the reports: what an aggregate covers."""
    s = stats
    return (f"{s.statements} statement(s) from {s.articles} article(s) → {s.utterances} utterance(s) "
            f"({s.merged} reported more than once); {actors} actor(s), "
            f"{s.positions} actor × target position(s), {s.changes} change(s)"
            + (f" and {s.tentative_changes} tentative change(s)" if s.tentative_changes else ""))
