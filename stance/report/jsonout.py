"""positions.json written piece by piece, byte for byte what json.dumps(..., ensure_ascii=False, indent=2) gives."""

from __future__ import annotations

import json
from typing import Iterable, Iterator, TextIO

from stance.report.spool import NO_TARGET_KIND, UNKNOWN_KIND, SpoolView
from stance.track.records import Change


class Stream:
    """A list value written one item at a time (never held whole)."""

    def __init__(self, items: Iterable):
        self.items = items


def _dumps(value, depth: int) -> str:
    """`value` as json.dumps(indent=2) writes it `depth` levels down."""
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * depth)


def _stream(handle: TextIO, items: Iterable, depth: int) -> None:
    inner = "  " * (depth + 1)
    first = True
    for item in items:
        handle.write(("[\n" if first else ",\n") + inner + _dumps(item, depth + 1))
        first = False
    handle.write("[]" if first else "\n" + "  " * depth + "]")


def write_json_object(handle: TextIO, items: Iterable[tuple[str, object]]) -> None:
    """Write {key: value, ...} as json.dumps(obj, ensure_ascii=False, indent=2) + "\\n" would, a Stream
    value one item at a time."""
    first = True
    for key, value in items:
        handle.write(("{\n" if first else ",\n") + "  " + json.dumps(key, ensure_ascii=False) + ": ")
        first = False
        if isinstance(value, Stream):
            _stream(handle, value.items, 1)
        else:
            handle.write(_dumps(value, 1))
    handle.write("{}\n" if first else "\n}\n")


def positions_items(view: SpoolView, firm: list[Change], tentative: list[Change]) -> Iterator[tuple[str, object]]:
    """positions.json's keys and values, in order (the shape of Aggregate.to_json)."""
    yield from [("generated_from", view.db), ("model_id", view.model_id), ("period", view.period),
                ("filters", view.filters.to_json()), ("stats", view.stats.to_json()), ("notes", view.notes)]
    yield "positions", Stream(p.to_json() for p in view.positions())
    yield "changes", [c.text for c in firm]
    yield "tentative_changes", [c.text for c in tentative]
    yield "change_rule", view.change_rule
    yield "unknown_speaker", Stream(u.report_json() for u in view.listed(UNKNOWN_KIND))
    yield "off_target", Stream(u.report_json() for u in view.listed(NO_TARGET_KIND))  # about no target: never a position


def write_positions_json(view: SpoolView, handle: TextIO, firm: list[Change], tentative: list[Change]) -> None:
    write_json_object(handle, positions_items(view, firm, tentative))
