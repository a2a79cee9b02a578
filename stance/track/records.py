"""The typed records of tracking: utterances, their evidence, periods, changes, positions, the aggregate.

Each record's `to_json()` gives exactly the mapping the reports have always written (positions.json keeps
its shape, so scripts that read it keep working), and `from_json()` reads one back (the reports' spool
keeps positions and utterances as JSON between aggregating and writing them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

EVIDENCE_SOURCE_KEYS = ("article", "date", "source", "title", "url")
REPORT_SOURCE_KEYS = EVIDENCE_SOURCE_KEYS + ("speaker_mention",)


@dataclass
class Source:
    """One article's report of an utterance."""

    statement_id: Optional[int]
    article: Optional[str]
    date: Optional[str]
    date_precision: Optional[str]
    source: Optional[str]
    title: Optional[str]
    url: Optional[str]
    text: str
    speaker_mention: Optional[str]
    target: Optional[str]
    stance: Optional[str]

    @classmethod
    def of_row(cls, row: dict) -> "Source":
        return cls(statement_id=row.get("statement_id"), article=row.get("article"), date=row.get("date") or None,
                   date_precision=row.get("date_precision") or None, source=row.get("source"),
                   title=row.get("title"), url=row.get("url"), text=row.get("text", ""),
                   speaker_mention=row.get("speaker_mention"), target=row.get("target"), stance=row.get("stance"))

    def to_json(self) -> dict:
        return dict(self.__dict__)

    def brief(self, keys: tuple = EVIDENCE_SOURCE_KEYS) -> dict:
        """The fields a report shows of a source."""
        return {k: getattr(self, k) for k in keys}

    @classmethod
    def from_json(cls, data: dict) -> "Source":
        return cls(**data)


@dataclass
class Utterance:
    """One utterance: the reports of the same words by one speaker, merged, with their voted labels."""

    id: Optional[str]
    speaker: str
    text: str
    kind: Optional[str]
    date: Optional[str]  # its earliest dated source's; None when every source is undated
    date_precision: Optional[str]
    target: str
    stance: str
    confidence: float  # mean probability of the voted stance
    target_confidence: float
    label_confidence: float  # mean statement_confidence of the reports that voted
    speaker_confidence: float  # the best-attributed report's
    target_probs: dict
    stance_probs: dict
    statement_ids: list
    sources: list[Source]  # one per article
    human: bool = False  # a reviewer's label decided the vote

    def to_json(self) -> dict:
        out = dict(self.__dict__)
        out["sources"] = [s.to_json() for s in self.sources]
        return out

    def report_json(self) -> dict:
        """The utterance as positions.json lists it apart (unknown speaker, off target)."""
        return {"utterance": self.id, "date": self.date, "date_precision": self.date_precision, "target": self.target,
                "stance": self.stance, "confidence": self.confidence, "quote": self.text,
                "sources": [s.brief(REPORT_SOURCE_KEYS) for s in self.sources]}

    @classmethod
    def from_json(cls, data: dict) -> "Utterance":
        return cls(**{**data, "sources": [Source.from_json(s) for s in data["sources"]]})


@dataclass
class Evidence:
    """An utterance as the evidence of a position or a change: its quote, stance and sources."""

    utterance: Optional[str]
    date: Optional[str]
    date_precision: Optional[str]
    stance: str
    confidence: float
    quote: str
    sources: list[dict]  # article, date, source, title, url
    human: bool = False

    @classmethod
    def of(cls, u: Utterance) -> "Evidence":
        return cls(utterance=u.id, date=u.date, date_precision=u.date_precision, stance=u.stance,
                   confidence=u.confidence, quote=u.text, sources=[s.brief() for s in u.sources], human=u.human)

    def to_json(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict) -> "Evidence":
        return cls(**data)


@dataclass
class PeriodEntry:
    """One period of a position: how many utterances took each stance, and what that amounts to."""

    period: str
    counts: dict  # stance -> utterances, in display order
    distribution: dict  # stance -> share
    dominant: Optional[str]  # the stance shown; None when no utterance takes a position
    top: list[str]  # the stances other than none said in the most utterances (several when tied)
    mixed: bool
    utterances: list  # utterance ids

    def to_json(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict) -> "PeriodEntry":
        return cls(**data)


@dataclass
class ChangeSide:
    """What stands behind one side of a change."""

    utterances: int
    sources: int  # distinct articles
    confidence: float  # mean label confidence
    evidence_confidence: float  # the same, each times its speaker confidence

    def to_json(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict) -> "ChangeSide":
        return cls(**data)


@dataclass
class Change:
    """A change of position between two periods whose top stances share nothing."""

    actor: str
    target: str
    from_period: str
    from_stance: Optional[str]
    from_top: list[str]
    to_period: str
    to_stance: Optional[str]
    to_top: list[str]
    text: str
    side_from: ChangeSide
    side_to: ChangeSide
    tentative: bool
    evidence_from: list[Evidence]
    evidence_to: list[Evidence]

    @property
    def evidence(self) -> list[Evidence]:
        return self.evidence_from + self.evidence_to

    def to_json(self) -> dict:
        return {"actor": self.actor, "target": self.target, "from_period": self.from_period,
                "from_stance": self.from_stance, "from_top": self.from_top, "to_period": self.to_period,
                "to_stance": self.to_stance, "to_top": self.to_top, "text": self.text,
                "support": {"from": self.side_from.to_json(), "to": self.side_to.to_json()},
                "tentative": self.tentative, "evidence_from": [e.to_json() for e in self.evidence_from],
                "evidence_to": [e.to_json() for e in self.evidence_to]}

    @classmethod
    def from_json(cls, data: dict) -> "Change":
        fields = {k: v for k, v in data.items() if k not in ("support", "evidence_from", "evidence_to")}
        return cls(**fields, side_from=ChangeSide.from_json(data["support"]["from"]),
                   side_to=ChangeSide.from_json(data["support"]["to"]),
                   evidence_from=[Evidence.from_json(e) for e in data["evidence_from"]],
                   evidence_to=[Evidence.from_json(e) for e in data["evidence_to"]])


@dataclass
class Latest:
    """A position's latest stance: the last period with a position (the undated ones when none is dated)."""

    period: str
    stance: str
    mixed: bool
    distribution: dict
    evidence: Evidence  # the last utterance of that period with that stance

    def to_json(self) -> dict:
        return {"period": self.period, "stance": self.stance, "mixed": self.mixed, "distribution": self.distribution,
                "evidence": self.evidence.to_json()}

    @classmethod
    def from_json(cls, data: dict) -> "Latest":
        return cls(**{**data, "evidence": Evidence.from_json(data["evidence"])})


UNDATED = "undated"  # the period name of a position's undated utterances


@dataclass
class Position:
    """One actor's position on one target: periods, latest stance, changes, and every utterance behind it."""

    actor: str
    target: str
    counts: dict
    distribution: dict
    periods: list[PeriodEntry]  # dated, chronological
    undated: Optional[PeriodEntry]
    latest: Optional[Latest]
    changes: list[Change]
    tentative_changes: list[Change]
    timeline: list[Evidence]  # dated utterances in order, then the undated ones

    @property
    def all_periods(self) -> list[PeriodEntry]:
        """The dated periods, then the undated one when there is one."""
        return self.periods + ([self.undated] if self.undated else [])

    def to_json(self) -> dict:
        """The position as positions.json writes it."""
        return {"actor": self.actor, "target": self.target, "periods": [e.to_json() for e in self.all_periods],
                "distribution": self.distribution, "counts": self.counts,
                "latest": self.latest.to_json() if self.latest else None,
                "changes": [c.to_json() for c in self.changes],
                "tentative_changes": [c.to_json() for c in self.tentative_changes],
                "evidence": [e.to_json() for e in self.timeline]}

    @classmethod
    def from_json(cls, data: dict) -> "Position":
        periods = [PeriodEntry.from_json(e) for e in data["periods"]]
        undated = periods.pop() if periods and periods[-1].period == UNDATED else None
        return cls(actor=data["actor"], target=data["target"], counts=data["counts"],
                   distribution=data["distribution"], periods=periods, undated=undated,
                   latest=Latest.from_json(data["latest"]) if data["latest"] else None,
                   changes=[Change.from_json(c) for c in data["changes"]],
                   tentative_changes=[Change.from_json(c) for c in data["tentative_changes"]],
                   timeline=[Evidence.from_json(e) for e in data["evidence"]])


@dataclass
class Filters:
    """What a report was restricted to (as given; None: not restricted)."""

    actor: Optional[str] = None
    target: Optional[str] = None
    since: Optional[str] = None
    until: Optional[str] = None

    def to_json(self) -> dict:
        return dict(self.__dict__)

    def text(self) -> str:
        """'actor X, since Y' or '' when nothing is filtered."""
        return ", ".join(f"{k} {v}" for k, v in self.__dict__.items() if v)


@dataclass
class Stats:
    """How much an aggregate covers."""

    statements: int = 0
    articles: int = 0
    utterances: int = 0
    merged: int = 0  # utterances reported more than once
    positions: int = 0
    changes: int = 0
    tentative_changes: int = 0
    unknown_speaker: int = 0
    no_target: int = 0
    undated: int = 0

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class ReportedStatement:
    """A labelled statement row (the store's shape) and the utterance it is part of."""

    row: dict
    utterance: Utterance


@dataclass
class Aggregate:
    """Everything a report says, held in memory (stance.track.aggregate.aggregate).

    Large stores are reported without one: stance.report streams the store speaker by speaker."""

    period: str
    filters: Filters
    utterances: list[Utterance]  # every kept utterance, merged, chronological
    statements: list[ReportedStatement]  # the rows of kept utterances, in input order
    positions: list[Position]  # one per actor x target, by actor then target
    unknown_speaker: list[Utterance]
    no_target: list[Utterance]  # utterances about none of the targets: never a position
    stats: Stats
    notes: list[str]
    change_rule: dict  # min_utterances, min_confidence of the rule that kept tentative changes apart
    none_label: str = "none"
    db: Optional[str] = None
    model_id: Optional[str] = None
    actors: list[str] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:
        return [c for p in self.positions for c in p.changes]

    @property
    def tentative_changes(self) -> list[Change]:
        return [c for p in self.positions for c in p.tentative_changes]

    def to_json(self) -> dict:
        """positions.json."""
        return {"generated_from": self.db, "model_id": self.model_id, "period": self.period,
                "filters": self.filters.to_json(), "stats": self.stats.to_json(), "notes": self.notes,
                "positions": [p.to_json() for p in self.positions],
                "changes": [c.text for c in self.changes],
                "tentative_changes": [c.text for c in self.tentative_changes],
                "change_rule": self.change_rule,
                "unknown_speaker": [u.report_json() for u in self.unknown_speaker],
                "off_target": [u.report_json() for u in self.no_target]}
