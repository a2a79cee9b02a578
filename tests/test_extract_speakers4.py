"""Speakers, fourth round (issue 27): a role the article never introduced resolves to the one person it names who
held a registry office of that title on its date; abbreviated titles and "according to" appositives introduce;
names never run across paragraphs. Texts are written for the tests; registry actors are the project's own."""

from __future__ import annotations

import pytest

from stance.extract.speakers import UNKNOWN, ArticleSpeakers, load_registry


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def _resolve(registry, text, mention, date="2025-02-10"):
    return ArticleSpeakers(registry, text, date).resolve(mention, at=len(text))


@pytest.mark.parametrize("mention,expected", [
    ("the prime minister", "Keir Starmer"),  # the one serving prime minister the article names
    ("the Prime Minister", "Keir Starmer"),
    ("the former prime minister", UNKNOWN),  # not today's holder
    ("the minister", UNKNOWN),  # a minister is not the prime minister
    ("the president", UNKNOWN),  # nobody named holds a presidency
])
def test_a_role_never_introduced_is_the_named_holder_of_that_office(registry, mention, expected):
    text = "Keir Starmer met harbour workers in Brel on Monday. Later the talks went on."
    assert _resolve(registry, text, mention) == expected


def test_the_office_must_be_held_on_the_articles_date(registry):
    text = "Keir Starmer met harbour workers in Brel. Later the talks went on."
    assert _resolve(registry, text, "the prime minister", date="2019-05-01") == UNKNOWN  # before his term


def test_the_president_is_not_the_vice_president(registry):
    text = "JD Vance toured the harbour in Brel. Later the talks went on."
    assert _resolve(registry, text, "the president") == UNKNOWN
    assert _resolve(registry, text, "the vice president") == "JD Vance"


def test_two_named_holders_of_such_an_office_leave_the_role_unknown(registry):
    text = "Keir Starmer and Shigeru Ishiba met in Brel. Later the talks went on."
    assert _resolve(registry, text, "the prime minister") == UNKNOWN
    assert _resolve(registry, text, "the Japanese prime minister") == "Shigeru Ishiba"


def test_an_undated_article_takes_the_holder_it_names(registry):
    text = "Theresa May visited the harbour in Brel. Later the talks went on."
    assert _resolve(registry, text, "the prime minister", date=None) == "Theresa May"
    assert registry.holder("British prime minister", None, frozenset({"Theresa May"})) == "Theresa May"
    assert registry.holder("British prime minister", None) is None  # several holders, none named


def test_an_abbreviated_title_introduces_a_person(registry):
    text = "Newly elected Harbour Gov. Lina Sorel spoke on Sunday. Later the talks went on."
    assert _resolve(registry, text, "the governor") == "Lina Sorel"


def test_an_appositive_after_according_to_introduces_a_person(registry):
    text = "According to the president of the Fjord Council, Ilse Varga, the pier will reopen. Later the talks went on."
    assert _resolve(registry, text, "the council president") == "Ilse Varga"


def test_a_name_never_runs_across_paragraphs(registry):
    text = "Harbour Deal Agreed, Says Odile Brandt\n\nOdile Brandt said the pier would reopen."
    speakers = ArticleSpeakers(registry, text, "2025-02-10")
    assert "Odile Brandt Odile Brandt" not in speakers.full_names
    assert speakers.resolve("Brandt") == "Odile Brandt"


@pytest.mark.parametrize("text,mention,expected", [
    ("Former Dutch premier Mark Rutte spoke at the harbour. Later the talks went on.", "the former Dutch premier", "Mark Rutte"),
    ("Harbour workers met in Brel. Later the talks went on.", "the former Dutch premier", UNKNOWN),  # not today's premier
    ("Harbour workers met in Brel. Later the talks went on.", "the former US president", UNKNOWN),
    ("Harbour workers met in Brel. Later the talks went on.", "the US president", "Donald Trump"),
])
def test_a_former_holder_of_an_office_is_never_its_current_holder(registry, text, mention, expected):
    assert _resolve(registry, text, mention) == expected
