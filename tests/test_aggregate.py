"""Merging repeated reports into utterances, and positions per actor x target."""

from __future__ import annotations

import subprocess
import sys

import pytest

from stance.track.aggregate import (aggregate, date_bounds, merge_utterances, normalise_text, parse_date_filter,
                              strip_quotes, text_similarity)
from stance.errors import StanceError

TRUMP = "Donald Trump"
# One utterance, reported three times: curly quotes and apostrophes, straight ones, and a shorter excerpt.
FULL_CURLY = "“If they don’t pay, we won’t protect them. No, we won’t protect them,” the president said."
FULL_STRAIGHT = "If they don't pay, we won't protect them. No, we won't protect them."
EXCERPT = "If they don't pay, we won't protect them"


def row(i, text, date="2025-03-07", *, speaker=TRUMP, target="Article 5", stance="conditional", p=0.8,
        article=None, precision=None):
    others = {"support": 0.0, "conditional": 0.0, "doubt": 0.0, "none": 0.0}
    others[stance] = p
    rest = [k for k in others if k != stance]
    for k in rest:
        others[k] = round((1 - p) / len(rest), 4)
    return {
        "statement_id": i, "article": article or f"art{i}", "speaker": speaker, "speaker_mention": speaker,
        "text": text, "kind": "direct", "start": 0, "end": len(text), "context": "", "date": date,
        "date_precision": precision or ({10: "day", 7: "month", 4: "year"}[len(date)] if date else None),
        "source": None, "title": None, "url": None, "model_id": "m1", "target": target, "stance": stance,
        "target_probs": {target: 0.9}, "stance_probs": others,
    }


def test_normalise_unifies_quotes_and_punctuation():
    assert normalise_text("“It’s  common sense, RIGHT?”") == normalise_text('"It\'s common sense, right,"') == "its common sense right"
    assert text_similarity(FULL_CURLY, FULL_STRAIGHT) > 0.9
    assert text_similarity(EXCERPT, FULL_CURLY) == 1.0  # an excerpt counts as contained
    assert text_similarity("No.", "No, we won't.") < 0.8  # too short to count as an excerpt
    assert strip_quotes("“If they don’t pay,\n we won’t.”") == "If they don’t pay, we won’t."
    assert strip_quotes('NATO is "obsolete"') == 'NATO is "obsolete"'  # inner quotes are kept
    assert text_similarity("We will always defend our allies.", "If they don't pay, we won't protect them.") < 0.5


def test_thrice_reported_quote_is_one_utterance_with_three_sources():
    rows = [
        row(1, FULL_CURLY, "2025-03-07"),
        row(2, FULL_STRAIGHT, "2025-03-07", p=0.6),
        row(3, EXCERPT, "2025-03-09", stance="doubt", p=0.55),
        row(4, "NATO is a great alliance and we are with it.", "2025-03-07", target="NATO", stance="support"),
    ]
    utterances = merge_utterances(rows)
    assert len(utterances) == 2
    merged = next(u for u in utterances if len(u.sources) > 1)
    assert [s.article for s in merged.sources] == ["art1", "art2", "art3"]
    assert [s.date for s in merged.sources] == ["2025-03-07", "2025-03-07", "2025-03-09"]
    assert merged.statement_ids == [1, 2, 3]
    assert merged.text == FULL_CURLY  # the fullest report is the quote shown
    assert merged.date == "2025-03-07"
    assert merged.stance == "conditional"  # 0.8 + 0.6 + 0.15 beats 0.05 + 0.1 + 0.55
    assert 0 < merged.confidence < 1


def _groups(utterances) -> list[list[int]]:
    return sorted(sorted(u.statement_ids) for u in utterances)


def test_no_merge_for_other_speaker_far_dates_or_unknown_speaker():
    rows = [
        row(1, FULL_STRAIGHT, "2025-03-07"),
        row(2, FULL_STRAIGHT, "2025-03-07", speaker="Mark Rutte"),
        row(3, FULL_STRAIGHT, "2024-02-10"),  # the same line, said a year earlier
        row(4, FULL_STRAIGHT, "2025-03-07", speaker="unknown"),
        row(5, FULL_STRAIGHT, "2025-03-07", speaker="unknown"),
        row(6, FULL_STRAIGHT, "2025-03-08", speaker="donald trump"),  # the control: this one does merge with 1
    ]
    assert _groups(merge_utterances(rows)) == [[1, 6], [2], [3], [4], [5]]


def test_merge_day_boundary():
    from stance.track.merge import MAX_DAYS

    def groups(first, second):
        return _groups(merge_utterances([row(1, FULL_STRAIGHT, first), row(2, FULL_CURLY, second)]))

    assert MAX_DAYS == 3
    assert groups("2025-03-07", "2025-03-10") == [[1, 2]]  # exactly MAX_DAYS apart: the same report cycle
    assert groups("2025-03-07", "2025-03-11") == [[1], [2]]  # one day more: said again
    assert groups("2025-02-27", "2025-03-02") == [[1, 2]]  # across a month end
    assert groups("2025-03", "2025-03-30") == [[1, 2]]  # a month-precision date covers the whole month
    assert groups("2025-03", "2025-04-04") == [[1], [2]]  # ...and ends on its last day (4 days before)
    assert groups("2025-03", "2025-04-03") == [[1, 2]]


def test_merge_ties_and_order_independence():
    import random

    # An excerpt contained in two different quotes (equally similar to both) joins the earlier one,
    # whatever the input order.
    other = "If they don't pay, we won't protect them. And we will never pay for them, ever, at all."
    rows = [row(1, FULL_STRAIGHT, "2025-03-07"), row(2, other, "2025-03-08"), row(3, EXCERPT, "2025-03-09"),
            row(4, "We will always defend our allies, always.", "2025-03-07")]
    assert text_similarity(EXCERPT, FULL_STRAIGHT) == text_similarity(EXCERPT, other) == 1.0
    expected = _groups(merge_utterances(rows))
    assert expected == [[1, 3], [2], [4]]
    for seed in range(5):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        assert _groups(merge_utterances(shuffled)) == expected
    # The vote: equal summed probabilities go to the label more reports gave, then to the label name.
    (u,) = merge_utterances([row(1, FULL_STRAIGHT, stance="doubt", p=0.5), row(2, FULL_CURLY, stance="support", p=0.5)])
    assert u.stance_probs["doubt"] == u.stance_probs["support"] == 0.3333
    assert u.stance == "support"  # one report each: the later name in sort order, on any input order
    (u,) = merge_utterances([row(2, FULL_CURLY, stance="support", p=0.5), row(1, FULL_STRAIGHT, stance="doubt", p=0.5)])
    assert u.stance == "support"


def test_undated_merges_with_undated_or_near_identical_text_only():
    rows = [row(1, FULL_STRAIGHT, None), row(2, FULL_CURLY, None), row(3, "Totally different words here today.", None)]
    sizes = sorted(len(u.sources) for u in merge_utterances(rows))
    assert sizes == [1, 2]
    # an undated excerpt joins the dated report (contained text), but keeps no date of its own
    (u,) = merge_utterances([row(1, FULL_STRAIGHT, "2025-03-07"), row(2, EXCERPT, None)])
    assert [s.date for s in u.sources] == ["2025-03-07", None]
    # a merely similar undated one does not
    assert len(merge_utterances([row(1, FULL_STRAIGHT, "2025-03-07"),
                                 row(2, "If they pay, we will protect them. Yes, we will protect them.", None)])) == 2


def test_mixed_period_and_change_detection_wording():
    rows = [
        row(1, "We defend them only if they pay their bills.", "2024-02-10", stance="conditional"),
        row(2, "We defend them if they spend two percent.", "2024-02-20", stance="conditional"),
        row(3, "Honestly I am not sure they would ever come for us.", "2026-01", stance="doubt"),
        row(4, "Maybe, if they pay up, we stay.", "2026-01", stance="conditional", p=0.5),
        row(5, "I doubt they would come to our defence at all.", "2026-01", stance="doubt"),
    ]
    result = aggregate(rows, period="month")
    (position,) = result.positions
    assert [p.period for p in position.periods] == ["2024-02", "2026-01"]
    jan = position.periods[1]
    assert jan.mixed is True and jan.dominant == "doubt"
    assert jan.counts == {"conditional": 1, "doubt": 2}
    assert jan.distribution == {"conditional": 0.333, "doubt": 0.667}
    (change,) = position.changes
    assert change.text == "Donald Trump on Article 5: conditional (2024-02) → doubt (2026-01)"
    assert {e.quote for e in change.evidence_from} == {rows[0]["text"], rows[1]["text"]}
    assert {e.quote for e in change.evidence_to} == {rows[2]["text"], rows[4]["text"]}
    assert position.latest.stance == "doubt" and position.latest.period == "2026-01"
    assert [e.date for e in position.timeline] == ["2024-02-10", "2024-02-20", "2026-01", "2026-01", "2026-01"]

    by_year = aggregate(rows, period="year").positions[0]
    assert [p.period for p in by_year.periods] == ["2024", "2026"]
    assert by_year.changes[0].text.endswith("conditional (2024) → doubt (2026)")
    by_day = aggregate(rows, period="day").positions[0]
    assert [p.period for p in by_day.periods] == ["2024-02-10", "2024-02-20", "2026-01"]  # month dates stay months


def test_change_a_to_b_and_back_to_a():
    rows = [
        row(1, "We defend them if they pay their bills.", "2024-01-10", stance="conditional"),
        row(2, "Honestly I doubt they would ever come for us.", "2024-03-10", stance="doubt"),
        row(3, "We will defend them but only if they pay, as always.", "2024-05-10", stance="conditional"),
    ]
    position = aggregate(rows).positions[0]
    assert [(c.from_stance, c.from_period, c.to_stance, c.to_period) for c in position.changes] == [
        ("conditional", "2024-01", "doubt", "2024-03"), ("doubt", "2024-03", "conditional", "2024-05")]
    assert [e.quote for e in position.changes[1].evidence_to] == [rows[2]["text"]]
    assert position.latest.stance == "conditional" and position.latest.period == "2024-05"


def test_dominant_stance_tie_breaks():
    def dominant(rows):
        (position,) = aggregate(rows, period="year").positions
        return position.periods[0].dominant

    # more utterances win over higher confidence
    assert dominant([row(1, "We defend them if they pay their bills.", "2024-01-10", stance="conditional", p=0.4),
                     row(2, "Only if they spend two percent, that is the deal.", "2024-02-10", stance="conditional", p=0.4),
                     row(3, "I doubt they would ever come for us at all.", "2024-03-10", stance="doubt", p=0.99)]) == "conditional"
    # equal counts: the higher summed confidence, even when it comes first
    assert dominant([row(1, "I doubt they would ever come for us at all.", "2024-01-10", stance="doubt", p=0.9),
                     row(2, "We defend them if they pay their bills.", "2024-02-10", stance="conditional", p=0.6)]) == "doubt"
    # equal counts and confidence: the later utterance
    early_doubt = [row(1, "I doubt they would ever come for us at all.", "2024-01-10", stance="doubt", p=0.7),
                   row(2, "We defend them if they pay their bills.", "2024-02-10", stance="conditional", p=0.7)]
    assert dominant(early_doubt) == "conditional"
    early_conditional = [row(1, "We defend them if they pay their bills.", "2024-01-10", stance="conditional", p=0.7),
                         row(2, "I doubt they would ever come for us at all.", "2024-02-10", stance="doubt", p=0.7)]
    assert dominant(early_conditional) == "doubt"
    # none never dominates, however many
    assert dominant([row(i, f"We talked about Article 5 on day {i} of the talks.", f"2024-01-{10 + i}", stance="none")
                     for i in range(1, 4)] + [row(9, "We defend them if they pay their bills.", "2024-02-10")]) == "conditional"


def test_no_change_when_only_none_stance_in_between():
    rows = [
        row(1, "We defend them if they pay their bills.", "2024-01-10"),
        row(2, "We discussed Article 5 at length today.", "2024-06-10", stance="none"),
        row(3, "We defend them only if they pay, as always.", "2025-01-10"),
    ]
    position = aggregate(rows).positions[0]
    assert position.changes == []
    assert position.periods[1].dominant is None


def test_undated_unknown_and_none_target_are_kept_apart():
    rows = [
        row(1, "We defend them if they pay their bills.", "2025-03-07"),
        row(2, "The alliance is doomed, frankly, completely.", None, stance="doubt"),
        row(3, "Someone in the room said NATO is strong.", "2025-03-07", speaker="unknown", target="NATO",
            stance="support"),
        row(4, "Tariffs are a beautiful word.", "2025-03-07", target="none", stance="none"),
    ]
    result = aggregate(rows)
    (position,) = result.positions
    assert [p.period for p in position.periods] == ["2025-03"]
    assert position.undated.counts == {"doubt": 1}
    assert position.timeline[-1].date is None  # undated stays undated, listed last
    assert position.latest.period == "2025-03"  # undated never counts as latest when dated ones exist
    assert position.changes == []
    assert [u.text for u in result.unknown_speaker] == [rows[2]["text"]]
    assert [u.text for u in result.no_target] == [rows[3]["text"]]
    assert any("not aggregated" in n for n in result.notes)
    assert len(result.statements) == 4  # every statement still goes to statements.csv
    assert result.stats.undated == 1


def test_filters():
    rows = [
        row(1, "We defend them if they pay their bills.", "2024-02-10"),
        row(2, "NATO is obsolete, totally obsolete.", "2026-01-05", target="NATO", stance="doubt"),
        row(3, "Article 5 is sacred to us all.", "2025-05-05", speaker="Mark Rutte", stance="support"),
        row(4, "Undated words about the alliance here.", None, target="NATO", stance="doubt"),
    ]
    assert aggregate(rows, actor="trump").actors == [TRUMP]  # part of a name
    assert {p.target for p in aggregate(rows, target="nato").positions} == {"NATO"}
    since = aggregate(rows, since="2025")
    assert {u.statement_ids[0] for u in since.utterances} == {2, 3}
    assert any("undated" in n for n in since.notes)
    assert {u.statement_ids[0] for u in aggregate(rows, until="2024-02").utterances} == {1}
    with pytest.raises(StanceError, match="no speaker matches 'Obama'.*Donald Trump"):
        aggregate(rows, actor="Obama")
    with pytest.raises(StanceError, match="no target matches 'Greenland'"):
        aggregate(rows, target="Greenland")
    with pytest.raises(StanceError, match="--since: '2024-13' is not a date"):
        aggregate(rows, since="2024-13")
    with pytest.raises(StanceError, match="after --until"):
        aggregate(rows, since="2025", until="2024")
    with pytest.raises(StanceError, match="--period"):
        aggregate(rows, period="week")


def test_date_helpers():
    assert date_bounds("2024-02")[1].day == 29
    assert date_bounds("2024")[0].isoformat() == "2024-01-01"
    assert date_bounds("2024-02-30") is None and date_bounds("March 2024") is None and date_bounds(None) is None
    assert parse_date_filter(None) is None
    with pytest.raises(StanceError, match="expected YYYY"):
        parse_date_filter("yesterday", "--until")


def test_modules_do_not_import_torch():
    code = ("import sys, stance.store.database, stance.track.merge, stance.track.aggregate, stance.report.writers, stance.report.html; "
            "heavy = [m for m in ('torch', 'transformers', 'sklearn', 'datasets') if m in sys.modules]; "
            "print(heavy); sys.exit(1 if heavy else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
