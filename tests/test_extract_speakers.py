"""Speaker resolution: dated roles on handover days and months, and the speaker confidence.
Texts are written for the tests; the registry actors are the project's own (configs/actors.yaml)."""

from __future__ import annotations

import pytest

from stance.extract import Extractor, finish
from stance.records import Article
from stance.extract.speakers import UNKNOWN, ArticleSpeakers, load_registry


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.mark.parametrize("date,expected", [
    ("2025-01-19", "Joe Biden"),
    ("2025-01-20", "Donald Trump"),  # the role passes to the successor on the day he takes it
    ("2025-01-21", "Donald Trump"),
    ("2025-01", None),  # the month spans the handover: ambiguous without context
    ("2021", None),
])
def test_role_holder_on_handover_dates(registry, date, expected):
    assert registry.holder("US president", date) == expected


@pytest.mark.parametrize("date", ["2025-01", "2021"])
def test_a_named_holder_settles_a_role_within_a_handover_period(registry, date):
    text = "Joe Biden met the harbour board. Later the US president spoke about ferries."
    assert ArticleSpeakers(registry, text, date).resolve("the US president") == "Joe Biden"
    assert ArticleSpeakers(registry, "The harbour board met.", date).resolve("the US president") == UNKNOWN


def test_speaker_confidence_orders_the_evidence(registry):
    text = ("“The pier will reopen in May,” Odile Brandt said.\n\n"
            "“We have the money,” she added.\n\n"
            "She said the council would vote on Friday.\n\n"
            "“Nobody can stop it.”\n\n"
            "The debate went on.\n\n"
            "“The fishermen were never asked,” a voice from the back of the hall.")
    article = Article(id="t", text=text, content_hash="h", date="2031-11-04", date_precision="day")
    statements = finish(Extractor(registry).extract(article), article)
    by_text = {s.text: s for s in statements}
    named, pronoun, run = (by_text["The pier will reopen in May"], by_text["We have the money"],
                           by_text["Nobody can stop it."])
    assert named.speaker == pronoun.speaker == run.speaker == "Odile Brandt"
    assert named.speaker_confidence > pronoun.speaker_confidence > run.speaker_confidence > 0
    unknown = [s for s in statements if s.speaker == UNKNOWN]
    assert all(s.speaker_confidence == 0.0 for s in unknown)


def test_old_statement_rows_load_without_a_confidence():
    from stance.records import Statement
    row = {"article": "a", "speaker": "x", "speaker_mention": "x", "text": "t", "kind": "direct", "start": 0,
           "end": 1, "context": "t"}
    assert Statement(**row).speaker_confidence == 1.0


def _speakers_of(registry, text):
    article = Article(id="t", text=text, content_hash="h", date="2031-11-04", date_precision="day")
    return {s.text: s.speaker for s in Extractor(registry).extract(article)}


@pytest.mark.parametrize("text,quote,speaker", [
    # a title's full stop in the tag: "Gov. Bart Mellon replied"
    ("The ferry board met.\n\n“The harbour is going to win that one,” Gov. Bart Mellon replied.",
     "The harbour is going to win that one", "Bart Mellon"),
    # an initial inside a name before an appositive
    ("The ferry board met.\n\n“The tide is turning for the pier,” J. Odile Brandt, director of the Harbour Trust, said.",
     "The tide is turning for the pier", "J Odile Brandt"),
    # a plural possessive in the appositive ("the Rosses’ lawyer")
    ("The ferry board met.\n\n“The numbers put our campaign on pace,” Jane Roe, the Rosses’ campaign manager, said.",
     "The numbers put our campaign on pace", "Jane Roe"),
    # a lower-case description before the name and an appositive
    ("The ferry board met.\n\n“We have had better meetings than this one,” harbour delegate Bill Eastwood, "
     "wearing a yellow hat, said.", "We have had better meetings than this one", "Bill Eastwood"),
    # an opening mark typed where the closing one belongs
    ("The ferry board met.\n\n“It is unusual,“ said Tom Barley, a lawyer with the Harbour Trust.",
     "It is unusual", "Tom Barley"),
    # a bare tag as its own sentence after a quotation closed by a full stop
    ("The ferry board met.\n\n“If you are listening, find the missing ferry tickets.” Odile Brandt said.",
     "If you are listening, find the missing ferry tickets.", "Odile Brandt"),
])
def test_tag_shapes_after_a_quotation(registry, text, quote, speaker):
    assert _speakers_of(registry, text)[quote] == speaker


def test_untagged_quote_takes_the_sentence_subject_not_a_name_after_a_preposition(registry):
    text = ("Odile Brandt spoke to the harbour board in May.\n\n"
            "Brandt campaigned on Sunday at a Port Lenning rally to end “the wasteful ferry subsidy.”")
    assert _speakers_of(registry, text)["the wasteful ferry subsidy."] == "Odile Brandt"
    # with a verb of promising the report is the verb phrase, quoted words and all (a mixed statement)
    promised = text.replace("campaigned", "promised")
    assert _speakers_of(registry, promised) == {
        "promised on Sunday at a Port Lenning rally to end “the wasteful ferry subsidy.”": "Odile Brandt"}


def test_untagged_quote_prefers_a_named_person_to_a_headline_or_a_possessive(registry):
    text = ("HARBOUR FEES RISE AGAIN - Odile Brandt: “The ferry fees will rise by a tenth next spring.”\n\n"
            "Brandt’s reply to the board was: “We will not pay for the new pier.”")
    speakers = _speakers_of(registry, text)
    assert speakers["The ferry fees will rise by a tenth next spring."] == "Odile Brandt"
    assert speakers["We will not pay for the new pier."] == "Odile Brandt"  # a possessive when nobody else is named


@pytest.mark.parametrize("tag,speaker", [
    ("said master of ceremonies Asab Tollan, a retired engineer.", "Asab Tollan"),
    ("said former state harbour master Jane Doe, who retired in May.", "Jane Doe"),
    ("said one longtime adviser to Odile Brandt.", UNKNOWN),  # the name after "to" is not the speaker
])
def test_inverted_tag_takes_the_name_after_its_description(registry, tag, speaker):
    # the tag grammar, before the learned speaker step re-ranks the article's candidates (which here gives
    # the one person named, Odile Brandt, to the unnamed adviser's quote: see the README's speaker step)
    text = f"The ferry board met.\n\n“The pier will reopen in May,” {tag}"
    article = Article(id="t", text=text, content_hash="h", date="2031-11-04", date_precision="day")
    found = {s.text: s.speaker for s in Extractor(registry, speaker_model=None).extract(article)}
    assert found["The pier will reopen in May"] == speaker


def test_quote_opening_a_later_sentence_takes_the_subject_of_the_sentence_before(registry):
    text = ("The ferry board met on Monday.\n\n"
            "Odile Brandt backs the new pier in the harbour vote. “I have crossed on that ferry for forty years.”")
    assert _speakers_of(registry, text)["I have crossed on that ferry for forty years."] == "Odile Brandt"


def test_surname_resolves_to_the_fullest_form_without_words_glued_on_at_a_sentence_start(registry):
    text = ("Rival Odile Brandt spoke first. Odile Brandt then left the harbour board meeting.\n\n"
            "Mara Quist stayed on. “The pier will reopen,” Brandt said.\n\n“We will see,” Mara said.")
    speakers = _speakers_of(registry, text)
    assert speakers["The pier will reopen"] == "Odile Brandt"
    assert speakers["We will see"] == "Mara Quist"  # a first name alone, one person of that first name


def test_a_first_name_shared_by_two_people_stays_as_written(registry):
    text = "Mara Quist and Mara Lund met the board.\n\n“We will see,” Mara said."
    assert _speakers_of(registry, text)["We will see"] == "Mara"


@pytest.mark.parametrize("tag", ["Odile Brandt shot back.", "Odile Brandt went on, as if nothing had happened.",
                                 "Odile Brandt fired back at the board."])
def test_tag_with_a_phrasal_verb_after_an_open_quotation(registry, tag):
    text = f"The ferry board met.\n\n“You know, it happens, right?” {tag}"
    assert _speakers_of(registry, text)["You know, it happens, right?"] == "Odile Brandt"


@pytest.mark.parametrize("tag,speaker", [("opined Harbour Weekly.", "Harbour Weekly"),
                                         ("agrees Mara Quist.", "Mara Quist"),
                                         ("remembered Mara Quist, the former harbour master.", "Mara Quist")])
def test_inverted_tag_with_any_verb_after_an_open_quotation(registry, tag, speaker):
    text = f"The ferry board met.\n\n“Pier owners should leave their boats at home,” {tag}"
    assert _speakers_of(registry, text)["Pier owners should leave their boats at home"] == speaker


def test_untagged_quote_skips_the_object_of_the_subjects_verb(registry):
    text = ("The ferry board met.\n\n"
            "During the town hall, Mara Quist asked Odile Brandt if she would close the pier or just “the unsafe parts.”")
    assert _speakers_of(registry, text)["the unsafe parts."] == "Mara Quist"
