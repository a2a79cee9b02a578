"""Tracking: one utterance reported by several outlets merged into one, then positions per actor and
target over time, mixed positions and changes, each backed by quotes. Never imports torch."""

from stance.track.aggregate import aggregate, summary_line
from stance.track.merge import NONE_LABEL, check_period

__all__ = ["NONE_LABEL", "aggregate", "check_period", "summary_line"]
