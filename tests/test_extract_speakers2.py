"""Speakers, second round (issue 27): role mentions resolved within the article, groups and joint subjects,
unnamed officials and ministries, organisations, names never made of page furniture or sentence breaks,
interview transcripts, captions glued into prose, excerpts cut off mid-sentence, repeated passages.
Texts are written for the tests (invented people and places); registry actors are the project's own."""

from __future__ import annotations

import pytest

from stance.extract import Extractor
from stance.extract.speakers import UNKNOWN, ArticleSpeakers, load_registry
from stance.records import Article


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture(scope="module")
def extractor(registry):
    return Extractor(registry)


def _speakers(registry, text, date="2031-05-02"):
    return ArticleSpeakers(registry, text, date)


def _extract(extractor, text, date="2031-05-02"):
    article = Article(id="t", text=text, content_hash="h", date=date, date_precision="day")
    return extractor.extract(article)


INTRODUCTIONS = ("German Chancellor Odile Brandt met Harbour Ambassador Tomas Kell in Brel. "
                 "Ilse Varga, the president of the Fjord Council, spoke first. "
                 "The president of Ostrava, Pavel Novy, agreed. "
                 "Later former prime minister Lena Holm and Chinese Prime Minister Jan Wiatr arrived. ")


@pytest.mark.parametrize("mention,expected", [
    ("the chancellor", "Odile Brandt"),  # "German Chancellor Odile Brandt"
    ("the ambassador", "Tomas Kell"),
    ("the Chinese Prime Minister", "Jan Wiatr"),  # demonym and country compared as the country
    ("the Prime Minister of China", "Jan Wiatr"),  # a role of a country, not a person called China
    ("the Chinese premier", "Jan Wiatr"),  # premier as prime minister
    ("the Chinese leader", "Jan Wiatr"),  # a leader is a head of state or government
    ("the former prime minister", "Lena Holm"),
    ("the council president", "Ilse Varga"),  # an appositive after the name
    ("the governor", UNKNOWN),  # nobody introduced so
])
def test_role_mentions_resolve_to_the_person_the_article_introduced(registry, mention, expected):
    speakers = _speakers(registry, INTRODUCTIONS + "The talks went on.")
    assert speakers.resolve(mention, at=len(INTRODUCTIONS)) == expected


def test_an_ambiguous_role_takes_the_person_introduced_nearest_before(registry):
    text = "President Ilse Varga spoke. President Pavel Novy replied. The president then left."
    speakers = _speakers(registry, text)
    assert speakers.resolve("the president", at=text.index("The president")) == "Pavel Novy"
    assert speakers.resolve("the president", at=text.index("President Pavel")) == "Ilse Varga"


def test_party_and_state_after_a_name_introduce_it(registry):
    text = "Rep. Marta Quill (R-Ohio) spoke first. Sen. Dov Brenner of Utah replied. Later the Ohio Republican said no."
    speakers = _speakers(registry, text)
    assert speakers.resolve("the Ohio Republican", at=text.index("Later")) == "Marta Quill"
    assert speakers.resolve("Sen. Dov Brenner of Utah") == "Dov Brenner"


@pytest.mark.parametrize("mention,expected", [
    ("Odile Brandt and Tomas Kell", "Odile Brandt and Tomas Kell"),
    ("Danish and Greenlandic officials", "Danish and Greenlandic officials"),
    ("several Fjord and Brel officials", "Fjord and Brel officials"),
    ("22 Republican members of the harbour committee", "Republican members of the harbour committee"),
    ("White House officials", "White House"),  # a body's officials speak for it
    ("Denmark and Greenland", "Governments of Denmark and Greenland"),
])
def test_joint_subjects_and_groups_are_one_speaker(registry, mention, expected):
    speakers = _speakers(registry, "Odile Brandt met Tomas Kell in Brel.")
    assert speakers.resolve(mention) == expected
    assert speakers.could_be_speaker(mention)


def test_they_is_the_pair_named_just_before(registry):
    text = "Odile Brandt and Tomas Kell met on the pier. They agreed to rebuild it."
    speakers = _speakers(registry, text)
    assert speakers.resolve("They", at=text.index("They")) == "Odile Brandt and Tomas Kell"
    assert _speakers(registry, "The pier was closed. They agreed.").resolve("They", at=21) == UNKNOWN


def test_an_unnamed_official_is_the_body_an_official_was_said_to_speak_for(registry):
    text = ("A senior Harbour Authority official said the pier would reopen. "
            "The official added that the money was there.")
    speakers = _speakers(registry, text)
    assert speakers.resolve("The official", at=text.index("The official")) == "Harbour Authority"
    assert _speakers(registry, "The pier was closed.").resolve("the official", at=10) == UNKNOWN


def test_a_bare_ministry_is_the_ministry_of_the_country_the_article_names_most(registry):
    text = "Japan and Japanese ships were in the harbour; a Danish ferry too. The foreign ministry said no."
    assert _speakers(registry, text).resolve("the foreign ministry") == "Japan Ministry of Foreign Affairs"


def test_organisations_speak_as_bodies_and_are_never_people(registry):
    speakers = _speakers(registry, "The Brel Harbour Foundation said no. The Greek Delian League ended.")
    assert speakers.resolve("The Brel Harbour Foundation") == "Brel Harbour Foundation"
    assert not speakers.is_person("Greek Delian League")
    assert not speakers.is_person("Foreign Ministers Meeting")


@pytest.mark.parametrize("mention", ["Said Russia", "Read Next", "Keep U", "Called Brel's", "The"])
def test_page_furniture_verbs_and_articles_make_no_name(registry, mention):
    speakers = _speakers(registry, "Odile Brandt spoke in Brel. " + mention + " was here.")
    assert not speakers.is_person(mention) or speakers.resolve(mention) != mention


def test_a_sentence_break_inside_a_name_run_ends_the_name(registry):
    speakers = _speakers(registry, "They met in The Hague. Odile Brandt spoke. Brel. Brandt said so.")
    assert speakers.resolve("Hague. Brandt") == "Odile Brandt"


def test_a_first_name_before_a_registry_surname_is_another_person(registry):
    # the registry knows a Nielsen (Jens-Frederik); "Kirsten Nielsen" is somebody else
    assert _speakers(registry, "Kirsten Nielsen spoke.").resolve("Kirsten Nielsen") == "Kirsten Nielsen"
    assert _speakers(registry, "Nielsen spoke.", "2026-01-02").resolve("Nielsen") == "Jens-Frederik Nielsen"


def test_registry_roles_for_top_diplomats(registry):
    assert _speakers(registry, "x", "2019-05-01").resolve("the top U.S. diplomat") == "Mike Pompeo"
    assert _speakers(registry, "x", "2025-03-01").resolve("the bloc's top diplomat") == "Kaja Kallas"


def test_interview_transcript_turns_are_statements_of_the_named(extractor):
    text = ("In an interview, Jonas Weir spoke with the harbour minister Odile Brandt.\n\n"
            "JONAS WEIR, HARBOUR RADIO: Will the pier reopen this year?\n\n"
            "BRANDT: Yes. I said \"soon\" and I meant it.\n\n"
            "It will be a fine pier.\n\n"
            "WEIR: And the money?\n\n")
    statements = _extract(extractor, text)
    by_text = {s.text: s for s in statements}
    assert by_text["Will the pier reopen this year?"].speaker == "Jonas Weir"
    answer = by_text['Yes. I said "soon" and I meant it.\n\nIt will be a fine pier.']
    assert answer.speaker == "Odile Brandt" and answer.kind == "direct"
    assert by_text["And the money?"].speaker == "Jonas Weir"
    assert not any(s.text == "soon" for s in statements)  # a quotation inside a turn is part of it


def test_a_dateline_is_no_transcript_turn(extractor):
    statements = _extract(extractor, "BREL: The pier reopened on Monday, Odile Brandt said.\n")
    assert [s.speaker for s in statements] == ["Odile Brandt"]
    assert statements[0].kind == "indirect"


def test_a_caption_glued_into_prose_takes_only_its_own_sentences_out(extractor):
    filler = " ".join(["The ferry runs twice a day along the fjord."] * 6)
    text = (filler + " Harbour chief Odile Brandt at the pier. (Photo by Jan Roe/Getty Images) "
            "The pier will reopen in May, Odile Brandt said on Friday. " + filler + "\n")
    statements = _extract(extractor, text)
    assert [s.text for s in statements] == ["The pier will reopen in May"]


def test_an_excerpt_cut_off_mid_sentence_keeps_its_last_line(extractor):
    text = "The ferry runs twice a day.\n\nOdile Brandt said that the pier would reopen before the end of\n"
    statements = _extract(extractor, text)
    assert [s.text for s in statements] == ["the pier would reopen before the end of"]
    headline_only = _extract(extractor, "Pier To Reopen In May Says Harbour Chief\n")
    assert headline_only == []


@pytest.mark.parametrize("sentence,clause", [
    ("Odile Brandt made clear that the pier would reopen in May.", "the pier would reopen in May"),
    ("Odile Brandt pointed out that the ferry had never been late.", "the ferry had never been late"),
    ("Odile Brandt has long expressed doubts about the new pier.", "expressed doubts about the new pier"),
    ("Odile Brandt again made the case that the pier needs more money.",
     "made the case that the pier needs more money"),
])
def test_more_reporting_constructions(extractor, sentence, clause):
    statements = _extract(extractor, "The harbour met.\n\n" + sentence + "\n")
    assert [(s.text, s.speaker) for s in statements] == [(clause, "Odile Brandt")]


def test_a_repeated_passage_is_reported_once(extractor):
    paragraph = "Odile Brandt said that the pier would reopen in May.\n\n"
    statements = _extract(extractor, paragraph + "The ferry runs.\n\n" + paragraph)
    assert [s.text for s in statements] == ["the pier would reopen in May"]


@pytest.mark.parametrize("sentence,date,precision", [
    ("Odile Brandt, who has led the board since she took office in 2019, said the pier would reopen.",
     "2031-05-02", "day"),  # a year in a "since" phrase dates something else
    ("Odile Brandt said last month that the pier would reopen.", "2031-04", "month"),
    ("Odile Brandt, elected last month, said on Friday that the pier would reopen.", "2031-05-02", "day"),
])
def test_utterance_dates_around_the_tag(extractor, sentence, date, precision):
    from stance.extract import finish

    article = Article(id="t", text="The harbour met.\n\n" + sentence + "\n", content_hash="h", date="2031-05-02",
                      date_precision="day")
    statements = finish(extractor.extract(article), article)
    assert [(s.date, s.date_precision) for s in statements] == [(date, precision)]
