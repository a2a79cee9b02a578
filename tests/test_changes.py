"""Changes between periods: tied top stances, what stands behind each side, tentative changes kept apart."""

from __future__ import annotations

import json

from stance.track.aggregate import ChangeRule, aggregate, statement_confidence, top_stances

TRUMP = "Donald Trump"


def row(i, text, date, stance, *, p=0.9, target="Article 5", speaker=TRUMP, article=None):
    probs = {k: round((1 - p) / 3, 4) for k in ("support", "conditional", "doubt", "none")}
    probs[stance] = p
    return {"statement_id": i, "article": article or f"a{i}", "speaker": speaker, "speaker_mention": speaker,
            "text": text, "kind": "direct", "start": 0, "end": len(text), "context": "", "date": date,
            "date_precision": "day", "source": None, "title": None, "url": None, "target": target,
            "stance": stance, "target_probs": {target: 0.95, "none": 0.05}, "stance_probs": probs}


def test_top_stances_ties_and_none():
    assert top_stances({"support": 2, "doubt": 2, "none": 5}) == ["support", "doubt"]
    assert top_stances({"doubt": 1, "conditional": 3}) == ["conditional"]
    assert top_stances({"none": 2}) == []


def test_statement_confidence_is_the_weaker_of_target_and_stance():
    assert statement_confidence({"target_probs": {"NATO": 0.6, "none": 0.4}, "stance_probs": {"doubt": 0.9}}) == 0.6
    assert statement_confidence({"target": "NATO", "stance": "doubt"}) == 1.0  # gold: no probabilities
    assert statement_confidence({"confidence": 0.42, "target_probs": {"NATO": 0.9}}) == 0.42  # calibrated value wins


def test_mixed_period_between_two_clear_ones():
    rows = [row(1, "We will protect them if they pay their bills.", "2025-01-10", "conditional"),
            row(2, "I am not sure they would ever come for us.", "2025-02-10", "doubt"),
            row(3, "They pay, we protect, simple as that, I said it.", "2025-02-11", "conditional"),
            row(4, "I really doubt they would be there for us at all.", "2025-03-10", "doubt")]
    (position,) = aggregate(rows).positions
    assert [e.top for e in position.periods] == [["conditional"], ["conditional", "doubt"], ["doubt"]]
    # the default skips the mixed month: the change runs from the last clear position to the next
    assert [c.text for c in position.changes] == ["Donald Trump on Article 5: conditional (2025-01) → doubt (2025-03)"]
    # with mixed periods as sides, each step shares a top stance, so no change is stated
    (position,) = aggregate(rows, rule=ChangeRule(clear_sides=False)).positions
    assert position.changes == [] and position.tentative_changes == []


def test_change_support_and_tentative_rule():
    rows = [row(1, "We will protect them only if they pay their bills.", "2025-01-10", "conditional", article="x"),
            row(2, "We will protect them only if they pay their bills.", "2025-01-11", "conditional", article="y"),
            row(3, "Paying members get our protection, nobody else gets it.", "2025-01-20", "conditional"),
            row(4, "I doubt they would ever be there for us, frankly.", "2025-02-10", "doubt", p=0.5)]
    result = aggregate(rows, rule=ChangeRule(min_utterances=2, min_confidence=0.7))
    assert result.changes == [] and result.stats.tentative_changes == 1
    (change,) = result.tentative_changes
    assert change.tentative is True
    assert change.side_from.to_json() == {"utterances": 2, "sources": 3, "confidence": 0.9, "evidence_confidence": 0.9}
    assert change.side_to.to_json() == {"utterances": 1, "sources": 1, "confidence": 0.5, "evidence_confidence": 0.5}
    assert change.text == "Donald Trump on Article 5: conditional (2025-01) → doubt (2025-02)"
    # the same change is firm under a rule that trusts a single statement at 0.5
    firm = aggregate(rows, rule=ChangeRule(min_utterances=2, min_confidence=0.5))
    assert [c.text for c in firm.changes] == [change.text] and firm.tentative_changes == []
    # and firm when the lone statement is confident
    rows[3] = row(4, rows[3]["text"], "2025-02-10", "doubt", p=0.9)
    assert len(aggregate(rows, rule=ChangeRule(2, 0.7)).changes) == 1


def test_reports_keep_tentative_changes_apart(tmp_path):
    from stance.report import write_reports

    rows = [row(1, "We stand with every ally, always and without doubt.", "2025-01-10", "support", p=0.95),
            row(2, "We stand with every ally, full stop, no matter what.", "2025-01-12", "support", p=0.95),
            row(3, "Only allies who pay will get our help from now on.", "2025-02-10", "conditional", p=0.95),
            row(4, "Paying is the condition, and it always will be.", "2025-02-12", "conditional", p=0.95),
            row(5, "Maybe they would not come for us, who knows.", "2025-03-10", "doubt", p=0.45)]
    result = aggregate(rows, rule=ChangeRule(2, 0.7))
    assert [c.to_period for c in result.changes] == ["2025-02"]
    assert [c.to_period for c in result.tentative_changes] == ["2025-03"]
    write_reports(result, tmp_path)

    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    firm_part, tentative_part = md.split("## Tentative changes")
    firm_part = firm_part.split("## Changes")[1]
    assert "support (2025-01) → conditional (2025-02)" in firm_part and "(2025-03)" not in firm_part
    assert "conditional (2025-02) → doubt (2025-03)" in tentative_part.split("## Donald Trump")[0]
    assert "from: 2 utterance(s) in 2 source(s), label confidence 0.95" in firm_part
    assert "to: 1 utterance(s) in 1 source(s), label confidence 0.45" in tentative_part

    data = json.loads((tmp_path / "positions.json").read_text(encoding="utf-8"))
    assert data["changes"] == ["Donald Trump on Article 5: support (2025-01) → conditional (2025-02)"]
    assert data["tentative_changes"] == ["Donald Trump on Article 5: conditional (2025-02) → doubt (2025-03)"]
    assert data["change_rule"] == {"min_utterances": 2, "min_confidence": 0.7, "tentative_when": "either",
                                   "clear_sides": True, "speaker_confidence": False}
    (position,) = data["positions"]
    assert [c["tentative"] for c in position["changes"]] == [False]
    assert position["tentative_changes"][0]["support"]["to"]["confidence"] == 0.45

    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    changes_html = html.split("<h2>Changes</h2>")[1].split("<h2>Tentative changes</h2>")
    assert len(changes_html) == 2
    assert "(2025-03)" not in changes_html[0] and 'class="tentative"' in changes_html[1]
    assert "conditional (2025-02) → doubt (2025-03)" in changes_html[1]


def test_review_queue_still_sees_the_lone_witness_of_a_tentative_change():
    from stance.review.queue import lone_change_witnesses

    rows = [row(1, "We will protect them only if they pay their bills.", "2025-01-10", "conditional"),
            row(2, "Paying members get our protection, nobody else gets it.", "2025-01-20", "conditional"),
            row(3, "I doubt they would ever be there for us, frankly.", "2025-02-10", "doubt", p=0.4)]
    assert len(aggregate(rows).tentative_changes) == 1
    assert lone_change_witnesses(rows) == {3}


def test_a_change_reaches_back_over_months_without_a_position():
    """News often quotes a speaker on a target once a year: the change runs from the last period with a
    position, however far back, and a period where every utterance takes no position is no side."""
    rows = [row(1, "We stand with every ally, without any doubt at all.", "2017-07-06", "support"),
            row(2, "The treaty was signed in 1949 in Washington, you know.", "2018-01-10", "none"),
            row(3, "Why would we defend them, they never pay their share.", "2018-07-11", "doubt")]
    (change,) = aggregate(rows).changes
    assert (change.from_period, change.to_period) == ("2017-07", "2018-07")
    assert [e.quote for e in change.evidence_from] == [rows[0]["text"]]
    assert [e.quote for e in change.evidence_to] == [rows[2]["text"]]


def test_mixed_periods_are_sides_or_skipped_by_the_rule():
    rows = [row(1, "We stand with every ally, without any doubt at all.", "2019-01-10", "support"),
            row(2, "Only those who pay will get our help, nobody else.", "2019-06-10", "conditional"),
            row(3, "We stand behind article five, always, rock solid.", "2019-06-11", "support"),
            row(4, "Only allies who pay get protected, that is the deal.", "2020-03-10", "conditional")]
    # with mixed periods as sides the tie (support/conditional) shares a stance with both neighbours: no change
    assert aggregate(rows, rule=ChangeRule(clear_sides=False)).changes == []
    # skipping them (the default), the change runs from January 2019's support to March 2020's condition
    (change,) = aggregate(rows).changes
    assert change.text == "Donald Trump on Article 5: support (2019-01) → conditional (2020-03)"


def test_tentative_when_either_or_both_sides_are_weak():
    rows = [row(1, "We stand with every ally, without any doubt at all.", "2019-01-10", "support", p=0.95),
            row(2, "Why would we defend them, they never pay their share.", "2019-03-10", "doubt", p=0.45)]
    assert aggregate(rows, rule=ChangeRule(2, 0.6)).tentative_changes  # one weak side suffices
    assert aggregate(rows, rule=ChangeRule(2, 0.6, tentative_when="both")).changes  # both must be weak
    rows[1] = row(2, rows[1]["text"], "2019-03-10", "doubt", p=0.95)
    rows[1]["speaker_confidence"] = 0.4  # the words are confidently labelled, but whose are they?
    assert aggregate(rows, rule=ChangeRule(2, 0.6)).changes
    (weak,) = aggregate(rows, rule=ChangeRule(2, 0.6, speaker_confidence=True)).tentative_changes
    assert weak.side_to.evidence_confidence == 0.38  # label 0.95 x speaker 0.4


def test_a_change_says_when_its_speaker_is_uncertain():
    from stance.track.aggregate import support_text

    rows = [row(1, "We stand with every ally, without any doubt at all.", "2019-01-10", "support", p=0.95),
            row(2, "Why would we defend them, they never pay their share.", "2019-03-10", "doubt", p=0.95)]
    rows[1]["speaker_confidence"] = 0.6
    (change,) = aggregate(rows).changes
    assert support_text(change) == ("from: 1 utterance(s) in 1 source(s), label confidence 0.95; "
                                    "to: 1 utterance(s) in 1 source(s), label confidence 0.95, with the speaker 0.57")
