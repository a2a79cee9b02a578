"""Merging reports of the same utterance: text normalisation, dates, and the merge.

Pure functions over plain rows (dicts as from Store.load_labelled). The same
utterance reported by several articles (same speaker, similar normalised text,
nearby dates) becomes one Utterance with several sources, labelled by a
probability-weighted vote. Reports of different speakers never merge, so one
speaker's rows can be merged apart from the rest (stance.report streams a store
that way). stance.track.positions builds positions on top of this.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import date, timedelta
from difflib import SequenceMatcher
from typing import Iterable, Optional

from stance.errors import StanceError
from stance.track.records import Source, Utterance

PERIODS = ("day", "month", "year")
UNKNOWN_SPEAKER = "unknown"
NONE_LABEL = "none"  # the none label of the shipped label set; a model's own comes with it (Store.model_labels)
STANCE_ORDER = ("support", "conditional", "doubt", "none")  # display order; other labels follow

# Text similarity needed to merge two dated reports. Outlets re-punctuate, re-quote and trim one line,
# keeping its words and their order; two different sentences of one speaker share topic words at most.
# On the seed articles' cross-article pairs by one speaker, reports of one line scored 0.8-1.0 and
# different sentences 0.0-0.4 (besides two at 0.6-0.8, extraction spans that run past a quote).
MERGE_THRESHOLD = 0.8
# Needed to merge an undated report with a dated one: without a date nothing says it is the same
# occasion, and politicians repeat a line for weeks, so only (near-)verbatim text counts.
STRICT_THRESHOLD = 0.95
# Dated reports merge when their dates are at most this many days apart: one remark is reported over a
# news cycle (the day itself, next-day follow-ups, a weekend in between), while the same line said again
# a week later is a new utterance, so a change of position keeps its date.
MAX_DAYS = 3
# A shorter quote counts as an excerpt of a longer one only from this many words: short fragments
# ("we will see", "not at all") recur in unrelated quotes, five words in order rarely do by chance.
MIN_EXCERPT_TOKENS = 5
# Matching runs shorter than this do not count towards containment: single words and pairs ("of the")
# match anywhere; runs of three or more words carry the quote.
MIN_BLOCK_TOKENS = 3
# Before the costly word-order comparison, a pair must share this share of the shorter one's distinct
# words: quotes seldom repeat words, so a pair below it cannot reach MERGE_THRESHOLD.
MIN_SHARED_WORDS = 0.5
# For undated statements, a word found in more than this share of a speaker's clusters (and in more
# than COMMON_WORD_MIN of them) is too common to narrow the search; only rarer words pick candidates.
# A speed setting: a match is missed only when every word the two share is common, and when all of a
# statement's words are common it is compared with every cluster.
COMMON_WORD_SHARE = 1 / 20
COMMON_WORD_MIN = 50
# Summed probabilities are rounded to this many digits before the vote compares them: sums of the same
# numbers in another order differ in the last bits, and the tie-break, not the input order, should decide.
VOTE_DIGITS = 9

_QUOTE_MAP = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"', "\u2033": '"',
})
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


# -- text --------------------------------------------------------------------


def normalise_text(text: str) -> str:
    """Lowercase, curly and straight quotes unified, apostrophes dropped
    (don't = don’t = dont), other punctuation removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text or "").translate(_QUOTE_MAP).casefold()
    text = text.replace("'", "")
    text = re.sub(r"[^\w\s]|_", " ", text)
    return " ".join(text.split())


def strip_quotes(text: str) -> str:
    """A quote for display: whitespace collapsed, and the quotation marks around
    it removed when they are its only ones (so it can be shown in “...”)."""
    text = " ".join(str(text or "").split())
    marks = '"“”„«»'
    if len(text) >= 2 and text[0] in marks and text[-1] in marks and sum(text.count(m) for m in marks) == 2:
        text = text[1:-1].strip()
    return text


def _similarity(ta: list[str], tb: list[str]) -> float:
    if not ta or not tb:
        return 0.0
    if ta == tb:
        return 1.0
    matcher = SequenceMatcher(None, ta, tb, autojunk=False)
    score = matcher.ratio()
    shorter = min(len(ta), len(tb))
    if shorter >= MIN_EXCERPT_TOKENS:  # a shorter excerpt of the same quote
        matched = sum(block.size for block in matcher.get_matching_blocks() if block.size >= MIN_BLOCK_TOKENS)
        score = max(score, matched / shorter)
    return score


def text_similarity(a: str, b: str) -> float:
    """Similarity of two quotes in [0, 1] on normalised words: the difflib ratio,
    or, when the shorter has at least MIN_EXCERPT_TOKENS words, the share of it
    found in the longer in runs of MIN_BLOCK_TOKENS or more words (so an excerpt
    of a longer quote scores near 1)."""
    return _similarity(normalise_text(a).split(), normalise_text(b).split())


# -- dates ---------------------------------------------------------------------


def date_bounds(value: Optional[str]) -> Optional[tuple[date, date]]:
    """First and last day covered by YYYY, YYYY-MM or YYYY-MM-DD; None when the
    value is empty or not such a date."""
    if not value:
        return None
    match = _DATE_RE.match(str(value).strip())
    if not match:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        return date(year, month, day), date(year, month, day)
    except ValueError:
        return None


def parse_date_filter(value: Optional[str], option: str = "date") -> Optional[tuple[date, date]]:
    """Parse a --since/--until value; StanceError when it is not a date."""
    if value is None or value == "":
        return None
    bounds = date_bounds(value)
    if bounds is None:
        raise StanceError(f"{option}: {value!r} is not a date; expected YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2024-02)")
    return bounds


def check_period(period: str) -> str:
    if period not in PERIODS:
        raise StanceError(f"--period: {period!r} is not a period; expected one of {', '.join(PERIODS)}")
    return period


def period_key(value: str, precision: Optional[str], period: str) -> str:
    """The period a date falls in. A date coarser than the period stays as it is
    (a month-precision date is its own period when grouping by day)."""
    value = str(value).strip()
    length = {"day": 10, "month": 7, "year": 4}[period]
    return value[:length]


def _gap_days(a: tuple[date, date], b: tuple[date, date]) -> int:
    """Days between two date intervals; 0 or negative when they overlap."""
    return (max(a[0], b[0]) - min(a[1], b[1])).days


def _sort_key(bounds: Optional[tuple[date, date]]) -> tuple:
    return (0, bounds[0], bounds[1]) if bounds else (1, date.max, date.max)


# -- merging -------------------------------------------------------------------


def speaker_key(speaker: Optional[str]) -> str:
    """The speaker as the merge compares speakers: reports whose keys differ never merge, and
    UNKNOWN_SPEAKER's reports merge with nothing."""
    return (speaker or UNKNOWN_SPEAKER).strip().casefold()


def _probs(row: dict, kind: str, none_label: str) -> dict:
    probs = row.get(f"{kind}_probs") or {}
    label = row.get(kind) or none_label
    if not probs or (kind == "target" and row.get("off_target")):  # the relevance gate's none is not a vote
        return {label: 1.0}
    return {str(k): float(v) for k, v in probs.items()}


def statement_confidence(row: dict) -> float:
    """How sure the classifier is of one statement's labels, in [0, 1].

    The one place a statement's confidence is defined, so a calibrated value
    plugs in here: a row's own "confidence" when it has one, else the lower of
    its highest target and highest stance probability (a wrong target puts the
    statement in the wrong position as surely as a wrong stance). Rows without
    probabilities (gold labels) count as certain.
    """
    if row.get("confidence") is not None:
        return float(row["confidence"])
    tops = [max(float(v) for v in probs.values()) for probs in (row.get("target_probs"), row.get("stance_probs")) if probs]
    return min(tops) if tops else 1.0


def _vote(members: list[dict], kind: str, none_label: str) -> tuple[str, float, dict]:
    """Probability-weighted vote: (label, mean probability of it, mean distribution)."""
    totals: dict[str, float] = defaultdict(float)
    labels = Counter()
    for row in members:
        for label, p in _probs(row, kind, none_label).items():
            totals[label] += p
        labels[row.get(kind) or none_label] += 1
    best = max(totals, key=lambda k: (round(totals[k], VOTE_DIGITS), labels[k], k))
    n = len(members)
    return best, totals[best] / n, {k: round(v / n, 4) for k, v in totals.items()}


def _utterance(members: list[dict], none_label: str) -> Utterance:
    members = sorted(members, key=lambda r: (_sort_key(date_bounds(r.get("date"))), str(r.get("article")), r.get("start") or 0))
    voters = [r for r in members if r.get("human")] or members  # a reviewer's label outweighs any model's
    target, target_conf, target_dist = _vote(voters, "target", none_label)
    stance, stance_conf, stance_dist = _vote(voters, "stance", none_label)
    if target == none_label:
        stance, stance_conf = none_label, target_conf
    first = next((r for r in members if date_bounds(r.get("date"))), None)
    ids = [r.get("statement_id") for r in members]
    sources, seen = [], set()
    for row in members:
        if row.get("article") not in seen:
            seen.add(row.get("article"))
            sources.append(Source.of_row(row))
    return Utterance(
        id=f"u{min(i for i in ids if i is not None)}" if any(i is not None for i in ids) else None,
        speaker=members[0].get("speaker") or UNKNOWN_SPEAKER,
        text=max((r.get("text") or "" for r in members), key=len),
        kind=members[0].get("kind"),
        date=first.get("date") if first else None,
        date_precision=first.get("date_precision") if first else None,
        target=target, stance=stance, confidence=round(stance_conf, 4), target_confidence=round(target_conf, 4),
        label_confidence=round(sum(statement_confidence(r) for r in voters) / len(voters), 4),
        # the best-attributed report decides: outlets that name the speaker plainly vouch for the others
        speaker_confidence=round(max(float(r.get("speaker_confidence", 1.0)) for r in members), 4),
        target_probs=target_dist, stance_probs=stance_dist, statement_ids=ids, sources=sources,
        human=any(r.get("human") for r in members),
    )


class _Report:
    """A statement row prepared for merging: its words in order, as a set, and its date range."""

    __slots__ = ("row", "tokens", "words", "bounds")

    def __init__(self, row: dict):
        self.row = row
        self.tokens = normalise_text(row.get("text", "")).split()
        self.words = set(self.tokens)
        self.bounds = date_bounds(row.get("date"))

    def order(self) -> tuple:
        return _sort_key(self.bounds), str(self.row.get("article")), self.row.get("start") or 0


class _Cluster:
    """The reports of one utterance, and the last day they cover."""

    __slots__ = ("reports", "end")

    def __init__(self):
        self.reports: list[_Report] = []
        self.end: Optional[date] = None


def _needed(report: _Report, member: _Report, threshold: float, max_days: int) -> Optional[float]:
    """The similarity two reports need to merge, or None when their dates are too far apart."""
    if report.bounds is None and member.bounds is None:
        return threshold
    if report.bounds is None or member.bounds is None:
        return STRICT_THRESHOLD
    return threshold if _gap_days(report.bounds, member.bounds) <= max_days else None


class _SpeakerClusters:
    """One speaker's clusters while merging: all of them, the dated ones still within reach of the next
    dated report, and (once the undated reports come, last) a word index to find candidates for them."""

    def __init__(self, max_days: int):
        self.max_days = max_days
        self.every: list[_Cluster] = []
        self.recent: list[_Cluster] = []
        self.index: Optional[dict[str, list[_Cluster]]] = None

    def candidates(self, report: _Report) -> list[_Cluster]:
        if report.bounds is not None:
            cutoff = report.bounds[0] - timedelta(days=self.max_days)
            self.recent = [c for c in self.recent if c.end >= cutoff]
            return self.recent
        if self.index is None:  # undated come last: index every cluster of the speaker once
            self.index = defaultdict(list)
            for cluster in self.every:
                self._index(cluster, [r.words for r in cluster.reports])
        return self._undated_candidates(report.words)

    def _index(self, cluster: _Cluster, word_sets: Iterable[set]) -> None:
        for words in word_sets:
            for word in words:
                postings = self.index[word]
                if not postings or postings[-1] is not cluster:
                    postings.append(cluster)

    def _undated_candidates(self, words: set) -> list[_Cluster]:
        """Clusters sharing a not-too-common word with an undated statement (all of
        them when every word is common), so undated ones are not compared with all."""
        limit = max(COMMON_WORD_MIN, int(len(self.every) * COMMON_WORD_SHARE))
        rare = [word for word in words if len(self.index.get(word, ())) <= limit]
        if not rare:
            return self.every
        seen, out = set(), []
        for word in rare:
            for cluster in self.index.get(word, ()):
                if id(cluster) not in seen:
                    seen.add(id(cluster))
                    out.append(cluster)
        return out

    def add(self, report: _Report, threshold: float) -> None:
        """Put the report into the most similar cluster it may join, else into a new one."""
        best, best_score = None, 0.0
        for cluster in self.candidates(report):
            for member in cluster.reports:
                needed = _needed(report, member, threshold, self.max_days)
                if needed is None:
                    continue
                if len(report.words & member.words) < MIN_SHARED_WORDS * min(len(report.words), len(member.words)):
                    continue  # too few shared words to be worth the word-order comparison
                score = _similarity(report.tokens, member.tokens)
                if score >= needed and score > best_score:
                    best, best_score = cluster, score
        if best is None:
            best = _Cluster()
            self.every.append(best)
            if report.bounds is not None:
                self.recent.append(best)
        best.reports.append(report)
        if self.index is not None:
            self._index(best, [report.words])
        if report.bounds is not None:
            best.end = max(best.end or report.bounds[1], report.bounds[1])


def utterance_order(u: Utterance) -> tuple:
    """Chronological, undated last; then speaker and id: the order utterances are listed in."""
    return _sort_key(date_bounds(u.date)), u.speaker.casefold(), str(u.id)


def merge_utterances(rows: Iterable[dict], *, threshold: float = MERGE_THRESHOLD, max_days: int = MAX_DAYS,
                     none_label: str = NONE_LABEL) -> list[Utterance]:
    """Merge reports of the same utterance into one utterance with several sources.

    Two statements merge when they have the same speaker (speaker_key: case-insensitive,
    and not "unknown"), their normalised texts are similar (text_similarity >=
    threshold, an excerpt inside a longer quote counts) and their dates are at
    most max_days apart. An undated statement merges with undated ones on the
    same rule, and with a dated one only when the texts match almost exactly
    (STRICT_THRESHOLD); the undated source keeps no date.

    Each Utterance: date and date_precision of its earliest dated source (None when
    all are undated), target and stance by a probability-weighted vote of its
    reports (a reviewer's outweighs any model's), the longest report's text, and
    one Source per article. Ordered by utterance_order (chronological, undated last).
    Rows without a statement_id are numbered by their position (from 1).
    """
    reports = [_Report(row if row.get("statement_id") is not None else dict(row, statement_id=index + 1))
               for index, row in enumerate(rows)]
    reports.sort(key=_Report.order)
    speakers: dict[str, _SpeakerClusters] = {}
    singles: list[list[_Report]] = []
    for report in reports:  # dated first, by date; undated last
        key = speaker_key(report.row.get("speaker"))
        if key == UNKNOWN_SPEAKER or not report.tokens:
            singles.append([report])
            continue
        speakers.setdefault(key, _SpeakerClusters(max_days)).add(report, threshold)
    groups = [c.reports for clusters in speakers.values() for c in clusters.every] + singles
    utterances = [_utterance([r.row for r in group], none_label) for group in groups]
    utterances.sort(key=utterance_order)
    return utterances
