"""The cells of report.html's actor x target matrix: what each position's latest stance rests on.

Computed from a position when it reaches the spool, so the matrix (the first thing on the page) is written
from these small cells without holding any position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from stance.track.records import Evidence, Position

# A position is marked as weak when every utterance behind its latest stance is below this confidence: with four
# stances a label at 0.5 or less is close to a coin toss between the top two.
LOW_CONFIDENCE = 0.5


def latest_support(position: Position) -> list[Evidence]:
    """The evidence of the latest period that carries the latest stance."""
    latest = position.latest
    if not latest:
        return []
    entry = next((e for e in position.all_periods if e.period == latest.period), None)
    ids = set(entry.utterances) if entry else set()
    return [e for e in position.timeline if e.utterance in ids and e.stance == latest.stance]


@dataclass
class MatrixCell:
    """One actor x target cell: the latest stance, how sure, how much stands behind it, how much a person read."""

    stance: str
    period: str
    mixed: bool
    confidence: float  # the most confident label behind the latest stance
    utterances: int  # behind the whole position
    reviewed: int  # of those, labelled by a person
    weak: bool  # every label behind the latest stance is a model's, below LOW_CONFIDENCE

    @classmethod
    def of(cls, position: Position) -> Optional["MatrixCell"]:
        """The cell of a position; None when it has no latest stance (an empty cell)."""
        if not position.latest:
            return None
        support = latest_support(position)
        return cls(stance=position.latest.stance, period=position.latest.period, mixed=position.latest.mixed,
                   confidence=max((e.confidence for e in support), default=0.0),
                   utterances=len(position.timeline), reviewed=sum(1 for e in position.timeline if e.human),
                   weak=all(e.confidence < LOW_CONFIDENCE and not e.human for e in support))

    def to_json(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: Optional[dict]) -> Optional["MatrixCell"]:
        return cls(**data) if data else None
