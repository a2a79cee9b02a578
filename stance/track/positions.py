"""Positions from merged utterances: per actor x target, periods, the latest stance and the changes.

A period's top stances are the stances other than the none label said in the most
utterances (several when tied); its "dominant" stance, the one shown, is one of
them (the tie broken by summed confidence, then the later utterance). A change
runs between two periods with a position whose top stances share nothing; one
whose side rests on too little (ChangeRule) is tentative and kept apart from the
firm ones. stance.evaluate.positions scores exactly these cells and changes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable, Optional

from stance.errors import StanceError
from stance.track.merge import NONE_LABEL, STANCE_ORDER, UNKNOWN_SPEAKER, date_bounds, period_key
from stance.track.records import UNDATED, Change, ChangeSide, Evidence, Latest, PeriodEntry, Position, Utterance


@dataclass(frozen=True)
class ChangeRule:
    """Which changes are stated, and which only as tentative.

    A side of a change is *weak* when it has fewer than `min_utterances` utterances AND their mean
    confidence is below `min_confidence`; the confidence is the label's, times the speaker's when
    `speaker_confidence` is set (a quote given to the wrong person is as wrong as a wrong label). A change is
    tentative when one side is weak (`tentative_when="either"`) or only when both are (`"both"`).
    With `clear_sides`, a period whose top stances tie (a mixed period) is no side of any change: a change
    runs from the last period with one clear position to the next. Periods need not be adjacent: the
    previous period with a position may lie months or years back. How each choice scores: `stance
    evaluate positions` (rule grid) and `scripts/change_rules.py` (README, "Changes")."""

    min_utterances: int = 2
    # chosen on realnews dev + the seeds together (scripts/change_rules.py; README, "Changes"): skipping mixed
    # periods and C = 0.5 stated one more right change end to end and one fewer wrong one than sides and C = 0.6
    min_confidence: float = 0.5
    tentative_when: str = "either"
    clear_sides: bool = True
    speaker_confidence: bool = False

    def __post_init__(self):
        if self.tentative_when not in ("either", "both"):
            raise StanceError(f"change rule: tentative_when {self.tentative_when!r}; expected 'either' or 'both'")

    def weak(self, side: ChangeSide) -> bool:
        confidence = side.evidence_confidence if self.speaker_confidence else side.confidence
        return side.utterances < self.min_utterances and confidence < self.min_confidence

    def tentative(self, side_from: ChangeSide, side_to: ChangeSide) -> bool:
        weak = (self.weak(side_from), self.weak(side_to))
        return any(weak) if self.tentative_when == "either" else all(weak)

    def anchors(self, entry: PeriodEntry) -> bool:
        """Whether a period can be a side of a change: it has a position, and (with clear_sides) only one."""
        return bool(entry.top) and (not self.clear_sides or len(entry.top) == 1)

    def to_json(self) -> dict:
        """The rule as the reports state it."""
        return {"min_utterances": self.min_utterances, "min_confidence": self.min_confidence,
                "tentative_when": self.tentative_when, "clear_sides": self.clear_sides,
                "speaker_confidence": self.speaker_confidence}


DEFAULT_RULE = ChangeRule()


def stance_sort_key(label: str, none_label: str = NONE_LABEL) -> tuple:
    """Display order: support, conditional, doubt, the none label, then any other stance by name."""
    order = STANCE_ORDER if none_label == NONE_LABEL else (*(s for s in STANCE_ORDER if s != NONE_LABEL), none_label)
    return (order.index(label), "") if label in order else (len(order), label)


def _distribution(utterances: list[Utterance], none_label: str) -> tuple[dict, dict]:
    counts = Counter(u.stance for u in utterances)
    total = sum(counts.values())
    ordered = sorted(counts, key=lambda k: stance_sort_key(k, none_label))
    return ({k: counts[k] for k in ordered}, {k: round(counts[k] / total, 3) for k in ordered} if total else {})


def _dominant(utterances: list[Utterance], none_label: str) -> Optional[str]:
    """The period's position: the most frequent stance other than none (ties go
    to the higher summed confidence, then the later utterance); None when every
    utterance takes no position."""
    scored: dict[str, list] = {}
    for order, u in enumerate(utterances):
        if u.stance == none_label:
            continue
        entry = scored.setdefault(u.stance, [0, 0.0, 0])
        entry[0] += 1
        entry[1] += u.confidence
        entry[2] = order
    if not scored:
        return None
    return max(scored, key=lambda k: (scored[k][0], round(scored[k][1], 6), scored[k][2]))


def top_stances(counts: dict, none_label: str = NONE_LABEL) -> list[str]:
    """The stances other than none said in the most utterances (all of them when
    tied), in display order; empty when every utterance takes no position."""
    positions = {k: v for k, v in counts.items() if k != none_label and v > 0}
    if not positions:
        return []
    best = max(positions.values())
    return sorted((k for k, v in positions.items() if v == best), key=lambda k: stance_sort_key(k, none_label))


def _period_entry(key: str, utterances: list[Utterance], none_label: str) -> PeriodEntry:
    counts, distribution = _distribution(utterances, none_label)
    return PeriodEntry(period=key, counts=counts, distribution=distribution,
                       dominant=_dominant(utterances, none_label), top=top_stances(counts, none_label),
                       mixed=len([k for k in counts if k != none_label]) > 1, utterances=[u.id for u in utterances])


def _side(utterances: list[Utterance], top: list[str]) -> tuple[list[Utterance], ChangeSide]:
    """The utterances behind one side of a change (those with a top stance) and
    what they amount to: how many, from how many articles, how sure the labels are."""
    behind = [u for u in utterances if u.stance in top]
    confidences = [u.label_confidence for u in behind]
    evidence = [c * u.speaker_confidence for c, u in zip(confidences, behind)]
    return behind, ChangeSide(
        utterances=len(behind),
        sources=len({s.article for u in behind for s in u.sources}),
        confidence=round(sum(confidences) / len(confidences), 4) if confidences else 0.0,
        # how sure that these words are this speaker's, with these labels
        evidence_confidence=round(sum(evidence) / len(evidence), 4) if evidence else 0.0,
    )


def _change(actor: str, target: str, before: PeriodEntry, after: PeriodEntry, by_period: dict,
            rule: ChangeRule) -> Change:
    quotes_from, side_from = _side(by_period[before.period], before.top)
    quotes_to, side_to = _side(by_period[after.period], after.top)
    return Change(actor=actor, target=target, from_period=before.period, from_stance=before.dominant,
                  from_top=before.top, to_period=after.period, to_stance=after.dominant, to_top=after.top,
                  text=f"{actor} on {target}: {'/'.join(before.top)} ({before.period}) → "
                       f"{'/'.join(after.top)} ({after.period})",
                  side_from=side_from, side_to=side_to, tentative=rule.tentative(side_from, side_to),
                  evidence_from=[Evidence.of(u) for u in quotes_from], evidence_to=[Evidence.of(u) for u in quotes_to])


def _changes(actor: str, target: str, periods: list[PeriodEntry], by_period: dict, rule: ChangeRule) -> list[Change]:
    """Every change between a period that can be a side and the previous such period, however far back."""
    changes, previous = [], None
    for entry in periods:
        if not rule.anchors(entry):
            continue
        if previous is not None and not set(entry.top) & set(previous.top):
            changes.append(_change(actor, target, previous, entry, by_period, rule))
        previous = entry
    return changes


def _latest(entry: Optional[PeriodEntry], utterances: list[Utterance]) -> Optional[Latest]:
    if entry is None or entry.dominant is None:
        return None
    supporting = [u for u in utterances if u.stance == entry.dominant]
    return Latest(period=entry.period, stance=entry.dominant, mixed=entry.mixed, distribution=entry.distribution,
                  evidence=Evidence.of(supporting[-1]))


def position(actor: str, target: str, utterances: list[Utterance], period: str, none_label: str = NONE_LABEL,
             rule: ChangeRule = DEFAULT_RULE) -> Position:
    """One actor's position on one target from its utterances (in utterance order)."""
    dated = [u for u in utterances if date_bounds(u.date)]
    undated = [u for u in utterances if not date_bounds(u.date)]
    by_period: dict[str, list[Utterance]] = defaultdict(list)
    for u in dated:
        by_period[period_key(u.date, u.date_precision, period)].append(u)
    keys = sorted(by_period, key=lambda k: (date_bounds(k), k))
    periods = [_period_entry(k, by_period[k], none_label) for k in keys]
    undated_entry = _period_entry(UNDATED, undated, none_label) if undated else None
    counts, distribution = _distribution(utterances, none_label)
    changes = _changes(actor, target, periods, by_period, rule)
    with_position = [e for e in periods if e.dominant is not None]
    latest = (_latest(with_position[-1], by_period[with_position[-1].period]) if with_position
              else _latest(undated_entry, undated))
    return Position(actor=actor, target=target, counts=counts, distribution=distribution, periods=periods,
                    undated=undated_entry, latest=latest, changes=[c for c in changes if not c.tentative],
                    tentative_changes=[c for c in changes if c.tentative],
                    timeline=[Evidence.of(u) for u in dated + undated])


def is_unknown(u: Utterance) -> bool:
    return u.speaker.strip().casefold() == UNKNOWN_SPEAKER


def positions_of(utterances: Iterable[Utterance], period: str, none_label: str = NONE_LABEL,
                 rule: ChangeRule = DEFAULT_RULE) -> list[Position]:
    """One Position per actor x target among utterances by known speakers about some target, by actor
    then target (case-insensitive)."""
    groups: dict[tuple[str, str], list[Utterance]] = defaultdict(list)
    for u in utterances:
        if not is_unknown(u) and u.target != none_label:
            groups[(u.speaker, u.target)].append(u)
    return [position(a, t, groups[(a, t)], period, none_label, rule)
            for a, t in sorted(groups, key=lambda k: (k[0].casefold(), k[1].casefold()))]


def support_text(change: Change) -> str:
    """What stands behind each side of a change, in words: how many utterances in how many sources, how sure
    the labels are, and, where the extractor was unsure whose words they are, label and speaker together."""
    parts = []
    for name, side in (("from", change.side_from), ("to", change.side_to)):
        unsure_speaker = side.evidence_confidence < side.confidence - 0.005
        parts.append(f"{name}: {side.utterances} utterance(s) in {side.sources} source(s), "
                     f"label confidence {side.confidence:.2f}"
                     + (f", with the speaker {side.evidence_confidence:.2f}" if unsure_speaker else ""))
    return "; ".join(parts)


def rule_text(change_rule: dict) -> str:
    """The tentative-change rule (ChangeRule.to_json) in words."""
    rule = change_rule or {}
    whose = "label x speaker" if rule.get("speaker_confidence") else "label"
    text = (f"a side with fewer than {rule.get('min_utterances')} utterance(s) whose mean {whose} confidence is "
            f"below {rule.get('min_confidence', 0):.2f}")
    if rule.get("tentative_when") == "both":
        text += "; tentative only when both sides are so"
    if rule.get("clear_sides"):
        text += "; periods with tied stances are no side of a change"
    return text
