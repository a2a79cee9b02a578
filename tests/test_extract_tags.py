"""Speaker tags and quotations the first rules missed: new verbs, parentheticals, appositives, open-ended
quotes with any past-tense verb, untagged quotations. All texts are written for the tests."""

from __future__ import annotations

import pytest

from stance.extract import Extractor, finish
from stance.records import Article, Statement
from stance.extract.speakers import UNKNOWN, load_registry
from stance.extract.tags import tag_view


@pytest.fixture(scope="module")
def extractor():
    return Extractor(load_registry())


@pytest.fixture
def extract(extractor):
    def run(text: str) -> list[Statement]:
        article = Article(id="t", text=text, content_hash="h", date="2031-11-04", date_precision="day")
        statements = finish(extractor.extract(article), article)
        for s in statements:
            assert text[s.start:s.end] == s.text
        return statements
    return run


def said(statements):
    return [(s.speaker, s.text) for s in statements]


@pytest.mark.parametrize("text", [
    "“The ferry stays,” Odile Brandt tweeted.",
    "“The ferry stays,” Odile Brandt posted on Sunday.",
    "“The ferry stays,” Odile Brandt continued.",
    "“The ferry stays,” Odile Brandt wrote in a letter.",
    "“The ferry stays,” Odile Brandt says.",
    "“The ferry stays,” Odile Brandt barked.",
    "“The ferry stays,” tweeted Sen. Odile Brandt (G-N.C.), a harbour supporter.",
    "“The ferry stays,” said Gov. Odile Brandt. The crowd cheered.",
    "“The ferry stays,” Odile Brandt, legal director of the Harbour Trust, said in a statement.",
    "“The ferry stays,” Odile Brandt, 66, said.",
    "Rep. Odile Brandt (G-Mo.) said: “The ferry stays.”",
])
def test_tags_with_new_verbs_titles_and_asides(extract, text):
    assert said(extract(text)) == [("Odile Brandt", "The ferry stays" + ("." if text.endswith("”") else ""))]


def test_remarks_as_a_noun_is_no_tag(extract):
    statements = extract("Odile Brandt spoke at the pier.\n\n“We will win,” The remarks echoed an earlier speech.")
    assert all(s.speaker_mention != "The" for s in statements)


def test_a_quote_paragraph_after_a_report_shares_its_speaker(extract):
    text = ("Odile Brandt said the pier would reopen in May.\n\n"
            "“Nobody should doubt that we have the money for it.”\n\nThe council meets on Friday.")
    statements = extract(text)
    assert said(statements) == [("Odile Brandt", "the pier would reopen in May"),
                                ("Odile Brandt", "Nobody should doubt that we have the money for it.")]
    assert statements[1].speaker_confidence < statements[0].speaker_confidence


def test_a_quote_paragraph_right_after_a_tagged_quote_continues_it(extract):
    text = "“The pier will reopen in May,” Odile Brandt said.\n\n“Nobody should doubt that we have the money.”"
    s, = extract(text)
    assert s.speaker == "Odile Brandt" and s.text.endswith("we have the money.")


def test_quotation_in_a_sentence_without_a_reporting_verb(extract):
    s, = extract("Odile Brandt credited the harbour vote to “a council that finally listened to the fishermen.”")
    assert (s.speaker, s.kind) == ("Odile Brandt", "direct")
    assert s.text == "a council that finally listened to the fishermen."
    assert s.speaker_confidence < 1.0


def test_untagged_quotation_with_nobody_named_stays_unknown(extract):
    s, = extract("The harbour debate went on for hours.\n\n“We cannot keep paying for a pier nobody uses.”")
    assert s.speaker == UNKNOWN


@pytest.mark.parametrize("text", [
    "Tourists lined up to see the “Harbour Lights Parade” on Sunday.",
    "The so-called “fish tax” was dropped.",
    '<post post-date="March 3, 2031">The pier opened.</post>',
])
def test_titles_scare_quotes_and_markup_are_no_statements(extract, text):
    assert extract(text) == []


def test_tag_view_keeps_offsets():
    text = "said Sen. Odile Brandt (G-N.C.) on Monday"
    view = tag_view(text)
    assert len(view) == len(text) and "(" not in view and "Sen " in view


def test_untagged_quotation_goes_to_the_subject_nearest_it(extract):
    s, = extract("After Jane Castell criticised the toll, Odile Brandt shot back, “Nobody pays twice for one road.”")
    assert (s.speaker, s.text) == ("Odile Brandt", "Nobody pays twice for one road.")
