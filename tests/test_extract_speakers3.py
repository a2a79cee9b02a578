"""Speakers and indirect speech, third round (issue 27): titles in quotation marks are no statements, a
verb-phrase report ends before a reporting participle of its own, a pronoun after a sentence whose subject
follows a few opening words ("But former …") is that subject. Texts are written for the tests (invented
people and places)."""

from __future__ import annotations

import pytest

from stance.extract import Extractor
from stance.extract.quotes import is_title
from stance.records import Article


@pytest.fixture(scope="module")
def extractor():
    return Extractor()


def _extract(extractor, text, date="2031-05-02"):
    article = Article(id="t", text=text, content_hash="h", date=date, date_precision="day")
    return extractor.extract(article)


@pytest.mark.parametrize("text,title", [
    ("In an interview on Harbour TV’s “Morning Table,” Doe said the plan works.", True),
    ("She wrote an essay titled “Time to Act Together” last year.", True),
    ("Doe said “Time to act” was the message.", False),  # no possessive or title word before it
    ("On Harbour TV’s show, “Why Now?” Doe asked.", False),  # a question is someone's words
    ("In Harbour TV’s report, “the plan works for everyone in the region,” Doe said.", False),  # lower case, long
])
def test_is_title(text, title):
    open_at = text.index("“")
    close_at = text.index("”")
    assert is_title(text, open_at, open_at + 1, close_at) is title


def test_title_in_quotes_leaves_the_report_around_it(extractor):
    text = ("Marta Lind, the president of Ostrava, spoke on Sunday.\n\n"
            "In an interview on Harbour TV’s “Morning Table,” Lind said it was the harbour strike that changed "
            "her view of the treaty.\n")
    statements = _extract(extractor, text)
    assert [s.text for s in statements if s.kind == "direct"] == []
    reports = [s for s in statements if s.text.startswith("it was the harbour strike")]
    assert len(reports) == 1 and reports[0].speaker == "Marta Lind"


def test_act_phrase_ends_before_a_reporting_participle(extractor):
    text = ("Ostrava President Marta Lind urged the council on Tuesday to send more ships to the harbour, even "
            "suggesting that a new base be built on the island.\n")
    statements = _extract(extractor, text)
    urged = [s for s in statements if s.text.startswith("urged")]
    assert len(urged) == 1
    assert urged[0].text.endswith("to send more ships to the harbour")


def test_pronoun_after_a_sentence_opened_by_but_former(extractor):
    text = ("“The treaty stays,” said Tomas Kell, the harbour minister.\n\n"
            "But former governor Ilse Varga, the council's candidate, went much further than many expected.\n\n"
            "“The treaty will not last a year,” she told reporters on Friday.\n")
    statements = _extract(extractor, text)
    last = [s for s in statements if s.text.startswith("The treaty will not")]
    assert len(last) == 1 and last[0].speaker == "Ilse Varga"

