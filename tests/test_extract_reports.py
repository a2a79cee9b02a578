"""Each reporting construction on its own (stance.extract.reports), the registry's countries, outlets and
places, the learned speaker step and utterance dates. Every text is written for the tests."""

from __future__ import annotations

import json
import re

import pytest

from stance.extract import Extractor, finish
from stance.extract import reports as r
from stance.extract.attribution import MODEL_PATH, Candidate, SpeakerModel, load_model
from stance.extract.dates import utterance_date
from stance.extract.lexicon import VERB, ACT_VERB
from stance.extract.speakers import UNKNOWN, ArticleSpeakers, load_registry
from stance.records import Article


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def _accept(mention: str) -> bool:
    return bool(mention) and (mention[:1].isupper() or mention in ("he", "she"))


def _site(sentence: str, verb: str, pattern=VERB) -> r.VerbSite:
    match = next(m for m in pattern.finditer(sentence) if m.group(1) == verb)
    return r.verb_site(sentence, match)


def _clause(sentence: str, report: r.Report) -> str:
    """The clause as the extractor keeps it (spaces and the full stop trimmed)."""
    return sentence[report.clause[0]:report.clause[1]].strip(" .")


@pytest.mark.parametrize("sentence", ["The so-called plan stalled.", "The plan is said to work.",
                                      "Odile Brandt quoted the minister."])
def test_not_a_report(sentence):
    verb = VERB.search(sentence).group(1)
    assert r.not_a_report(_site(sentence, verb), _accept) == []


def test_as_tag_claims_a_verb_after_as():
    assert r.as_tag(_site("The pier is safe, as said before.", "said"), _accept) == []
    assert r.as_tag(_site("Odile Brandt said the pier is safe.", "said"), _accept) is None


def test_inverted_tag():
    sentence = "The pier will reopen in May, said Odile Brandt."
    site = _site(sentence, "said")._replace(subject=None)  # no subject before the verb
    report, = r.inverted_tag(site, _accept)
    assert (report.subject, _clause(sentence, report)) == ("Odile Brandt", "The pier will reopen in May")


def test_unaccepted_subject_is_no_report():
    assert r.unaccepted_subject(_site("The Harbour Gazette said the pier was safe.", "said"), lambda m: False) == []
    assert r.unaccepted_subject(_site("Odile Brandt said the pier was safe.", "said"), _accept) is None


def test_evaluative_takes_the_quotation_or_the_verb_phrase():
    masked = "Odile Brandt called it ░░░░░░░░░░ on Monday."
    report, = r.evaluative(_site(masked, "called"), _accept)
    assert _clause(masked, report) == "it ░░░░░░░░░░"
    sentence = "Odile Brandt praised the harbour board for its quick repairs."
    report, = r.evaluative(_site(sentence, "praised"), _accept)
    assert (_clause(sentence, report), report.construction) == ("praised the harbour board for its quick repairs", "act_phrase")


def test_introduces_quotation_and_relative_clause():
    assert r.introduces_quotation(_site("Odile Brandt said, ░░░░░░", "said"), _accept) == []
    assert r.relative_clause(_site("The ferry plans, which Odile Brandt denies.", "denies"), _accept) == []


def test_trailing_tag_with_and_without_circumstances():
    sentence = "The ferry will run all winter, Odile Brandt said."
    report, = r.trailing_tag(_site(sentence, "said"), _accept)
    assert (report.subject, _clause(sentence, report)) == ("Odile Brandt", "The ferry will run all winter")
    sentence = "The ferry will run all winter, Odile Brandt said in a statement on Tuesday, as the storm eased."
    report, = r.trailing_tag(_site(sentence, "said"), _accept)
    assert _clause(sentence, report) == "The ferry will run all winter"
    opening = "In his speech to the board, Odile Brandt said the ferry would run."  # an opening phrase, no clause
    assert r.trailing_tag(_site(opening, "said"), _accept) is None


def test_content_clause():
    sentence = "Odile Brandt told reporters that the ferry would run."
    report, = r.content_clause(_site(sentence, "told"), _accept)
    assert _clause(sentence, report) == "the ferry would run"
    assert r.content_clause(_site("Odile Brandt denied it.", "denied"), _accept) is None


@pytest.mark.parametrize("sentence,verb,phrase", [
    ("Odile Brandt expressed approval of the new ferry timetable.", "expressed",
     "expressed approval of the new ferry timetable"),
    ("Odile Brandt called for a second ferry on the northern route.", "called for",
     "called for a second ferry on the northern route"),
    ("Odile Brandt urged the board to open the pier before May, raising hopes in the town.", "urged",
     "urged the board to open the pier before May"),
])
def test_act_phrase(sentence, verb, phrase):
    site = _site(sentence, verb, ACT_VERB)
    report, = r.act_phrase(site, _accept)
    assert (_clause(sentence, report), report.construction) == (phrase, "act_phrase")


@pytest.mark.parametrize("sentence,verb", [
    ("Odile Brandt thanked them.", "thanked"),  # not an act verb of saying
    ("Odile Brandt criticised it.", "criticised"),  # too short to carry content
    ("Jane Doe accused of fraud by the board resigned.", "accused"),  # a passive
    ("Brandt's demands and the board's answer were heard.", "demands"),  # a noun
])
def test_act_phrase_refuses(sentence, verb):
    match = next((m for m in ACT_VERB.finditer(sentence) if m.group(1) == verb), None)
    assert match is None or r.act_phrase(r.verb_site(sentence, match), _accept) is None


def test_relative_subject():
    assert r.relative_subject("Odile Brandt, who ") == "Odile Brandt"
    assert r.relative_subject("The pier ") is None


def test_participles_and_according_to():
    sentence = "The board met, expressing support for the second ferry route."
    report, = r.act_participles(sentence, _accept)
    assert _clause(sentence, report) == "expressing support for the second ferry route"
    sentence = "The pier will open in May, according to Odile Brandt."
    report, = r.according_to(sentence, _accept)
    assert (report.subject, _clause(sentence, report)) == ("Odile Brandt", "The pier will open in May")
    sentence = "Odile Brandt met the board, saying the ferry would run."
    report, = r.participle_reports(sentence, _accept)
    assert _clause(sentence, report) == "the ferry would run"


def test_find_reports_keeps_the_rules_in_order():
    assert r.VERB_RULES[0] is r.not_a_report and r.VERB_RULES[-1] is r.act_phrase
    reports = r.find_reports("Odile Brandt said the ferry would run and praised the crew for its work.", _accept)
    assert [x.construction for x in reports] == ["content_clause", "act_phrase"]


# --- the registry: countries, outlets, places ---------------------------------------------------------
def _resolve(registry, text: str, mention: str) -> str:
    return ArticleSpeakers(registry, text, "2031-05-02").resolve(mention)


def test_countries_speak_as_their_government_and_ministries_by_name(registry):
    text = "Tokyo and Washington met."
    assert _resolve(registry, text, "Denmark") == "Government of Denmark"
    assert _resolve(registry, text, "Tokyo") == "Government of Japan"
    assert _resolve(registry, text, "the Japanese government") == "Government of Japan"
    assert _resolve(registry, text, "Japan's Defense Ministry") == "Japan Ministry of Defense"
    assert _resolve(registry, text, "the Danish foreign ministry") == "Denmark Ministry of Foreign Affairs"
    assert _resolve(registry, text, "the US") == "Government of the United States"


def test_places_datelines_and_outlets(registry):
    text = "Reuters reported the vote. Odile Brandt spoke."
    assert _resolve(registry, text, "South Carolina") == UNKNOWN
    assert _resolve(registry, text, "NORTH HARBOURTON") == UNKNOWN  # a dateline in capitals
    assert _resolve(registry, text, "Odile Brandt PORTLEN") == "Odile Brandt"
    assert _resolve(registry, text, "the newspaper") == "Reuters"  # the one outlet the article names
    assert _resolve(registry, text, "Bloomberg News") == "Bloomberg"
    assert not ArticleSpeakers(registry, text, None).is_person("South Carolina")


def test_a_registry_with_an_unknown_country_key_is_refused(tmp_path):
    from stance.errors import StanceError

    path = tmp_path / "actors.yaml"
    path.write_text("countries:\n  Lorn: {flag: red}\n", encoding="utf-8")
    with pytest.raises(StanceError, match="country 'Lorn' takes only the keys aliases, demonyms, capitals"):
        load_registry(path)


# --- the learned speaker step -------------------------------------------------------------------------
def test_the_shipped_model_has_its_provenance_and_no_text():
    model = load_model()
    assert model is not None and 0 < model.threshold < 1
    meta = model.metadata
    assert meta["script"] == "scripts/fit_speaker_model.py" and set(meta["data"]) == {"polnear", "realnews"}
    assert meta["examples"]["polnear"] > 1000 and meta["examples"]["realnews"] > 500
    assert all(re.fullmatch(r"[a-z_]+", name) for name in model.weights)  # feature names only
    assert MODEL_PATH.stat().st_size < 20_000


def test_choose_calibrates_and_the_threshold_gives_unknown():
    model = SpeakerModel({"near": 2.0}, -1.0, (1.0, 0.5, 0.0), 0.5)
    speaker, confidence = model.choose([Candidate("Odile Brandt", {"near": 1.0}), Candidate("Ivo Marwick", {})])
    assert speaker == "Odile Brandt" and confidence == pytest.approx(1 / (1 + pow(2.718281828, -(1.0 + 0.5 * 2.0))), 1e-4)
    assert model.choose([]) == (None, 0.0)
    text = "The board met.\n\n“The pier will reopen in May,” said one harbour worker."
    article = Article(id="t", text=text, content_hash="h", date="2031-11-04", date_precision="day")
    always_unsure = SpeakerModel({}, -5.0, (1.0, 0.0, 0.0), 0.5)
    statement, = Extractor(speaker_model=always_unsure).extract(article)
    assert (statement.speaker, statement.speaker_confidence) == (UNKNOWN, 0.0)


def test_the_speaker_step_gives_a_quote_run_to_the_speaker_named_in_the_tag():
    text = ("Odile Brandt spoke to the harbour board on Monday.\n\n"
            "“The pier will reopen in May,” Brandt said. “We have the money for it.”\n\n"
            "“Nobody will pay twice for one road.”")
    article = Article(id="t", text=text, content_hash="h", date="2031-11-04", date_precision="day")
    statements = Extractor().extract(article)
    assert {s.speaker for s in statements} == {"Odile Brandt"}
    assert all(0 < s.speaker_confidence <= 1 for s in statements)


# --- utterance dates ----------------------------------------------------------------------------------
@pytest.mark.parametrize("context,article_date,precision,expected", [
    ("Odile Brandt said on Thursday that the pier would open.", "2031-05-02", "day", ("2031-05-01", "day")),
    ("Odile Brandt told the board on June 19 that the pier would open.", "2031-07-04", "day", ("2031-06-19", "day")),
    ("Odile Brandt said in March 2029 that the pier would open.", "2031-07", "month", ("2029-03", "month")),
    ("In 2027, Odile Brandt said the pier would open.", "2031-07-04", "day", ("2027", "year")),
    ("Odile Brandt said a day earlier that the pier would open.", "2031-07-04", "day", ("2031-07-03", "day")),
    ("Odile Brandt said the pier would open in 2033.", "2031-07-04", "day", ("2031-07-04", "day")),  # later: no
    ("Odile Brandt said the pier would open.", None, None, (None, None)),
])
def test_utterance_dates(context, article_date, precision, expected):
    assert utterance_date(context, article_date, precision) == expected


def test_a_date_inside_the_statement_does_not_date_it():
    text = "Odile Brandt said the pier, closed in 2027, would reopen."
    article = Article(id="t", text=text, content_hash="h", date="2031-05-02", date_precision="day")
    statement, = finish(Extractor().extract(article), article)
    assert (statement.date, statement.date_precision) == ("2031-05-02", "day")
