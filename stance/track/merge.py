"""Merging reports of the same utterance: text normalisation, dates, and the merge.

Pure functions over plain rows (dicts as from Store.load_labelled). The same
utterance reported by several articles (same speaker, similar normalised text,
nearby dates) becomes one utterance with several sources, labelled by a
probability-weighted vote. stance.track.aggregate builds positions on top of this.
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

PERIODS = ("day", "month", "year")
UNKNOWN_SPEAKER = "unknown"
NONE_LABEL = "none"
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


def _probs(row: dict, kind: str) -> dict:
    probs = row.get(f"{kind}_probs") or {}
    label = row.get(kind) or NONE_LABEL
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


def _vote(members: list[dict], kind: str) -> tuple[str, float, dict]:
    """Probability-weighted vote: (label, mean probability of it, mean distribution)."""
    totals: dict[str, float] = defaultdict(float)
    labels = Counter()
    for row in members:
        for label, p in _probs(row, kind).items():
            totals[label] += p
        labels[row.get(kind) or NONE_LABEL] += 1
    best = max(totals, key=lambda k: (round(totals[k], VOTE_DIGITS), labels[k], k))
    n = len(members)
    return best, totals[best] / n, {k: round(v / n, 4) for k, v in totals.items()}


def _source(row: dict) -> dict:
    return {
        "statement_id": row.get("statement_id"),
        "article": row.get("article"),
        "date": row.get("date") or None,
        "date_precision": row.get("date_precision") or None,
        "source": row.get("source"),
        "title": row.get("title"),
        "url": row.get("url"),
        "text": row.get("text", ""),
        "speaker_mention": row.get("speaker_mention"),
        "target": row.get("target"),
        "stance": row.get("stance"),
    }


def _utterance(members: list[dict], none_label: str) -> dict:
    members = sorted(members, key=lambda r: (_sort_key(date_bounds(r.get("date"))), str(r.get("article")), r.get("start") or 0))
    voters = [r for r in members if r.get("human")] or members  # a reviewer's label outweighs any model's
    target, target_conf, target_dist = _vote(voters, "target")
    stance, stance_conf, stance_dist = _vote(voters, "stance")
    if target == none_label:
        stance, stance_conf = none_label, target_conf
    dated = [r for r in members if date_bounds(r.get("date"))]
    first = dated[0] if dated else None
    ids = [r.get("statement_id") for r in members]
    sources, seen = [], set()
    for row in members:
        if row.get("article") not in seen:
            seen.add(row.get("article"))
            sources.append(_source(row))
    return {
        "id": f"u{min(i for i in ids if i is not None)}" if any(i is not None for i in ids) else None,
        "speaker": members[0].get("speaker") or UNKNOWN_SPEAKER,
        "text": max((r.get("text") or "" for r in members), key=len),
        "kind": members[0].get("kind"),
        "date": first.get("date") if first else None,
        "date_precision": first.get("date_precision") if first else None,
        "target": target,
        "stance": stance,
        "confidence": round(stance_conf, 4),
        "target_confidence": round(target_conf, 4),
        "label_confidence": round(sum(statement_confidence(r) for r in voters) / len(voters), 4),
        # the best-attributed report decides: outlets that name the speaker plainly vouch for the others
        "speaker_confidence": round(max(float(r.get("speaker_confidence", 1.0)) for r in members), 4),
        "target_probs": target_dist,
        "stance_probs": stance_dist,
        "statement_ids": ids,
        "sources": sources,
        "human": any(r.get("human") for r in members),  # a reviewer's label decided the vote
    }


def _index_cluster(index: dict, cluster: dict, token_set: Optional[set] = None) -> None:
    sets = [token_set] if token_set is not None else [item[2] for item in cluster["items"]]
    for tokens in sets:
        for token in tokens:
            postings = index[token]
            if not postings or postings[-1] is not cluster:
                postings.append(cluster)


def _undated_candidates(index: dict, token_set: set, every: list[dict]) -> list[dict]:
    """Clusters sharing a not-too-common word with an undated statement (all of
    them when every word is common), so undated ones are not compared with all."""
    limit = max(COMMON_WORD_MIN, int(len(every) * COMMON_WORD_SHARE))
    rare = [token for token in token_set if len(index.get(token, ())) <= limit]
    if not rare:
        return every
    seen, out = set(), []
    for token in rare:
        for cluster in index.get(token, ()):
            if id(cluster) not in seen:
                seen.add(id(cluster))
                out.append(cluster)
    return out


def merge_utterances(rows: Iterable[dict], *, threshold: float = MERGE_THRESHOLD, max_days: int = MAX_DAYS,
                     none_label: str = NONE_LABEL) -> list[dict]:
    """Merge reports of the same utterance into one utterance with several sources.

    Two statements merge when they have the same speaker (case-insensitive, and
    not "unknown"), their normalised texts are similar (text_similarity >=
    threshold, an excerpt inside a longer quote counts) and their dates are at
    most max_days apart. An undated statement merges with undated ones on the
    same rule, and with a dated one only when the texts match almost exactly
    (STRICT_THRESHOLD); the undated source keeps no date.

    Each utterance: id, speaker, text (the longest report), kind, date and
    date_precision (its earliest dated source; None when all are undated),
    target, stance (probability-weighted vote), confidence (mean probability of
    the stance), target_confidence, label_confidence (mean statement_confidence
    of the reports that voted), target_probs, stance_probs, statement_ids,
    sources (one per article: statement_id, article, date, date_precision,
    source, title, url, text, speaker_mention, target, stance).
    Ordered chronologically, undated last.
    """
    rows = list(rows)
    for index, row in enumerate(rows):
        if row.get("statement_id") is None:
            row = dict(row, statement_id=index + 1)
            rows[index] = row
    prepared = []
    for row in rows:
        tokens = normalise_text(row.get("text", "")).split()
        prepared.append((row, tokens, set(tokens), date_bounds(row.get("date"))))
    prepared.sort(key=lambda p: (_sort_key(p[3]), str(p[0].get("article")), p[0].get("start") or 0))

    clusters: dict[str, list[dict]] = defaultdict(list)  # every cluster of a speaker
    recent: dict[str, list[dict]] = defaultdict(list)  # dated clusters still within max_days
    index: dict[str, dict[str, list[dict]]] = {}  # speaker -> word -> clusters, for undated statements
    singles: list[list[tuple]] = []
    for item in prepared:  # dated first, by date; undated last
        row, tokens, token_set, bounds = item
        speaker = (row.get("speaker") or UNKNOWN_SPEAKER).strip().casefold()
        if speaker == UNKNOWN_SPEAKER or not tokens:
            singles.append([item])
            continue
        if bounds is not None:
            cutoff = bounds[0] - timedelta(days=max_days)
            recent[speaker] = candidates = [c for c in recent[speaker] if c["end"] >= cutoff]
        else:
            if speaker not in index:  # undated come last: index every cluster of the speaker once
                index[speaker] = defaultdict(list)
                for cluster in clusters[speaker]:
                    _index_cluster(index[speaker], cluster)
            candidates = _undated_candidates(index[speaker], token_set, clusters[speaker])
        best, best_score = None, 0.0
        for cluster in candidates:
            for _, m_tokens, m_set, m_bounds in cluster["items"]:
                if bounds is None and m_bounds is None:
                    needed = threshold
                elif bounds is None or m_bounds is None:
                    needed = STRICT_THRESHOLD
                elif _gap_days(bounds, m_bounds) <= max_days:
                    needed = threshold
                else:
                    continue
                if len(token_set & m_set) < MIN_SHARED_WORDS * min(len(token_set), len(m_set)):
                    continue  # too few shared words to be worth the word-order comparison
                score = _similarity(tokens, m_tokens)
                if score >= needed and score > best_score:
                    best, best_score = cluster, score
        if best is None:
            best = {"items": [], "end": None}
            clusters[speaker].append(best)
            if bounds is not None:
                recent[speaker].append(best)
        best["items"].append(item)
        if speaker in index:
            _index_cluster(index[speaker], best, token_set)
        if bounds is not None:
            best["end"] = max(best["end"] or bounds[1], bounds[1])

    groups = [c["items"] for speaker_clusters in clusters.values() for c in speaker_clusters] + singles
    utterances = [_utterance([item[0] for item in group], none_label) for group in groups]
    utterances.sort(key=lambda u: (_sort_key(date_bounds(u["date"])), u["speaker"].casefold(), str(u["id"])))
    return utterances
