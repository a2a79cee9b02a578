"""Tracking: one utterance reported by several outlets merged into one, then positions per actor and
target over time, mixed positions and changes, each backed by quotes, as typed records
(stance.track.records). Never imports torch."""

from stance.track.aggregate import aggregate, aggregate_speaker, summary_line
from stance.track.merge import NONE_LABEL, check_period, speaker_key

__all__ = ["NONE_LABEL", "aggregate", "aggregate_speaker", "check_period", "speaker_key", "summary_line"]
