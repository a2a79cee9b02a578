"""Statement extraction and speaker attribution, construction by construction.

Every text here is written for the tests (invented people, places and topics),
except the registry actors used to check canonical names and dated roles.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.extract.extractor import Extractor, finish, sentence_context, utterance_date
from stance.records import Article, Statement
from stance.extract.speakers import UNKNOWN, load_registry

ROOT = Path(__file__).resolve().parent.parent
STATEMENT_FIELDS = ["article", "speaker", "speaker_mention", "text", "kind", "start", "end", "context", "date",
                    "date_precision", "speaker_confidence"]


@pytest.fixture(scope="module")
def extractor():
    return Extractor(load_registry())


@pytest.fixture
def extract(extractor):
    def run(text: str, date: str | None = "2031-11-04", precision: str | None = "day") -> list[Statement]:
        article = Article(id="t", text=text, content_hash="h", date=date, date_precision=precision if date else None)
        statements = finish(extractor.extract(article), article)
        for s in statements:  # offsets always point at the text
            assert text[s.start:s.end] == s.text
        return statements
    return run


def only(statements: list[Statement]) -> Statement:
    assert len(statements) == 1, [(s.speaker, s.text) for s in statements]
    return statements[0]


# --- direct quotes ----------------------------------------------------------------
@pytest.mark.parametrize("text", [
    '"The tunnel will open on time," Harriet Okonjo said.',
    "“The tunnel will open on time,” Harriet Okonjo said.",
    "Workers gathered at the portal at dawn. 'The tunnel will open on time,' Harriet Okonjo said.",
])
def test_direct_quote_in_straight_curly_and_single_marks(extract, text):
    s = only(extract(text))
    assert (s.kind, s.speaker, s.text) == ("direct", "Harriet Okonjo", "The tunnel will open on time")


def test_tag_after_with_inverted_verb(extract):
    s = only(extract("“We cannot let the herring quotas collapse,” said Tomas Lindqvist, the fisheries commissioner."))
    assert (s.speaker, s.speaker_mention, s.text) == ("Tomas Lindqvist", "Tomas Lindqvist", "We cannot let the herring quotas collapse")


def test_tag_after_with_surname_only_keeps_a_clean_mention(extract):
    s = only(extract("“We cannot let the herring quotas collapse,” said Lindqvist."))
    assert (s.speaker, s.speaker_mention) == ("Lindqvist", "Lindqvist")


def test_tag_after_with_a_role(extract):
    s = only(extract("“The ferry subsidy stays,” the Danish prime minister said.", date="2031-11-04"))
    assert (s.speaker, s.speaker_mention, s.text) == ("Mette Frederiksen", "the Danish prime minister", "The ferry subsidy stays")


def test_tag_after_a_question(extract):
    s = only(extract('"Why should we pay for their harbour?" Ruth Abernathy asked.'))
    assert (s.speaker, s.text) == ("Ruth Abernathy", "Why should we pay for their harbour?")


def test_tag_before_with_colon(extract):
    s = only(extract("Mayor Ansel Brightwater said: “The bridge tolls will be scrapped next year.”"))
    assert (s.kind, s.speaker, s.speaker_mention) == ("direct", "Ansel Brightwater", "Mayor Ansel Brightwater")
    assert s.text == "The bridge tolls will be scrapped next year."


def test_pronoun_tag_before_after_an_earlier_quote(extract):
    statements = extract("“We are on track,” Oskar Reyes told the council.\n\n"
                         "He added: “Nobody will pay twice for the same road.”")
    assert [(s.speaker, s.speaker_mention) for s in statements] == [("Oskar Reyes", "Oskar Reyes"), ("Oskar Reyes", "He")]
    assert statements[1].text == "Nobody will pay twice for the same road."


def test_quote_split_around_its_tag_is_one_statement(extract):
    text = "“The bridge is safe,” Ansel Brightwater said. “The inspectors found nothing wrong with it.”\n\nThe council meets in May."
    s = only(extract(text))
    assert s.speaker == "Ansel Brightwater"
    assert s.text == "The bridge is safe,” Ansel Brightwater said. “The inspectors found nothing wrong with it."


def test_quote_running_over_paragraphs(extract):
    text = ("Ingrid Solberg addressed the union on Friday. She said: “We have the money to finish the line.\n\n"
            "“We have the workers too, and nothing will stop us.”\n\nThe union was not convinced.")
    s = only(extract(text))
    assert s.speaker == "Ingrid Solberg"
    assert s.text == "We have the money to finish the line.\n\n“We have the workers too, and nothing will stop us."


def test_quote_running_over_paragraphs_with_tag_at_the_end(extract):
    text = ("Transport minister Ingrid Solberg visited the depot.\n\n"
            "“The new line is a promise we intend to keep. We have the money,\n\n"
            "“and we have the workers, and nothing will stop us now,” she said.")
    s = only(extract(text))
    assert (s.speaker, s.speaker_mention) == ("Ingrid Solberg", "she")
    assert s.text.startswith("The new line is a promise") and s.text.endswith("nothing will stop us now")


def test_nested_quote_stays_inside_the_outer_statement(extract):
    s = only(extract("“My grandfather always told me, ‘Never build on sand,’ and I listened,” said Ingrid Solberg."))
    assert (s.speaker, s.speaker_mention) == ("Ingrid Solberg", "Ingrid Solberg")
    assert s.text == "My grandfather always told me, ‘Never build on sand,’ and I listened"


def test_nested_quote_of_another_person_is_not_a_second_statement(extract):
    s = only(extract("“She told us ‘the depot will stay open’ and then closed it,” said union leader Marek Dvorak."))
    assert (s.speaker, s.text) == ("Marek Dvorak", "She told us ‘the depot will stay open’ and then closed it")


# --- indirect speech ----------------------------------------------------------------
@pytest.mark.parametrize("sentence,clause", [
    ("Ingrid Solberg said that the depot would stay open until 2035.", "the depot would stay open until 2035"),
    ("Ingrid Solberg told reporters she would not sell the ferry company.", "she would not sell the ferry company"),
    ("Union leader Marek Dvorak warned that the strike could last for weeks.", "the strike could last for weeks"),
    ("Marek Dvorak insisted the workers had been misled.", "the workers had been misled"),
    ("Ingrid Solberg argued that the tolls were unfair to rural drivers.", "the tolls were unfair to rural drivers"),
    ("Marek Dvorak claimed that the ministry had hidden the report.", "the ministry had hidden the report"),
    ("Ingrid Solberg pledged to publish the accounts by March.", "to publish the accounts by March"),
    ("Marek Dvorak questioned whether the ministry could afford the new trains.",
     "whether the ministry could afford the new trains"),
    ("Ingrid Solberg defended the budget, saying the cuts would protect pensions.", "the cuts would protect pensions"),
])
def test_indirect_speech_with_reporting_verbs(extract, sentence, clause):
    s = only(extract(sentence))
    assert (s.kind, s.text) == ("indirect", clause)
    assert s.speaker in ("Ingrid Solberg", "Marek Dvorak") and s.speaker in sentence


def test_mixed_statement_keeps_its_quoted_fragment(extract):
    s = only(extract("Marek Dvorak said the pay offer was “an insult to every driver” and would be rejected."))
    assert s.kind == "mixed" and s.speaker == "Marek Dvorak"
    assert s.text == "the pay offer was “an insult to every driver” and would be rejected"


@pytest.mark.parametrize("text,clause", [
    ("According to Marek Dvorak, the strike will continue until the pay offer improves.",
     "the strike will continue until the pay offer improves"),
    ("The strike will continue until the pay offer improves, according to Marek Dvorak.",
     "The strike will continue until the pay offer improves"),
])
def test_according_to(extract, text, clause):
    s = only(extract(text))
    assert (s.speaker, s.text, s.kind) == ("Marek Dvorak", clause, "indirect")


# --- not statements -------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "Flood barriers were installed along the river last year. The project cost 40 million euros.",  # narration
    "Mayor Brightwater says levee will hold\n\nThe river rose by two metres overnight.",  # headline
    "Mayor Ansel Brightwater said the levee held. Photograph: Lena Fiske/Coastal Times\n\n"
    "The river rose by two metres overnight.",  # photo caption
    "The river authority did not respond to a request for comment.",
    "Ansel Brightwater did not respond to a request for comment on the flood plan.",
    "A spokesperson for the port authority declined to comment.",
])
def test_non_statements(extract, text):
    assert extract(text) == []


def test_non_comment_does_not_hide_a_real_statement(extract):
    text = ("The port authority did not respond to a request for comment. "
            "Marek Dvorak said the cranes had been idle for a month.")
    s = only(extract(text))
    assert (s.speaker, s.text) == ("Marek Dvorak", "the cranes had been idle for a month")


# --- speakers ---------------------------------------------------------------------------
def test_full_name_with_title_resolves_to_canonical(extract):
    s = only(extract("Danish Prime Minister Mette Frederiksen said the harbour agreement would be renewed."))
    assert (s.speaker, s.speaker_mention) == ("Mette Frederiksen", "Danish Prime Minister Mette Frederiksen")


def test_registry_alias_resolves_to_canonical(extract):
    statements = extract("Zelenskiy said the grain corridor would stay open through the winter.")
    assert only(statements).speaker == "Volodymyr Zelenskyy"


def test_honorific_surname_takes_fullest_form_in_article(extract):
    text = ("Finance minister Oskar Villanueva Reyes presented the budget on Tuesday.\n\n"
            "Mr Villanueva Reyes said the deficit would shrink by half.")
    s = only(extract(text))
    assert (s.speaker, s.speaker_mention) == ("Oskar Villanueva Reyes", "Mr Villanueva Reyes")


def test_unregistered_person_gets_fullest_name_in_article(extract):
    text = ("Union leader Marek Dvorak led the march.\n\n"
            "“The cranes will stay idle until the offer improves,” Dvorak said.")
    s = only(extract(text))
    assert (s.speaker, s.speaker_mention) == ("Marek Dvorak", "Dvorak")


def test_name_with_particle_and_mp_title(extract):
    s = only(extract("“The dykes need money now,” Dutch MP Joost van Dam said."))
    assert s.speaker == "Joost van Dam"


@pytest.mark.parametrize("date,expected", [("2023-05-01", "Joe Biden"), ("2025-05-01", "Donald Trump")])
def test_role_resolves_by_article_date(extract, date, expected):
    indirect = only(extract("The US president said the tariffs on steel would be lifted.", date=date))
    direct = only(extract("“The tariffs on steel will be lifted,” the US president said.", date=date))
    assert indirect.speaker == direct.speaker == expected


def test_role_with_month_precision_date(extract):
    s = only(extract("The US president said the tariffs on steel would be lifted.", date="2022-03", precision="month"))
    assert s.speaker == "Joe Biden"


def test_pronoun_resolves_to_person_last_quoted(extract):
    statements = extract("“We are on track,” Oskar Reyes said. “The deficit will shrink,” he said.\n\n"
                         "Ruth Abernathy disagreed. She said the figures were invented.")
    assert [(s.speaker, s.speaker_mention) for s in statements] == [
        ("Oskar Reyes", "Oskar Reyes"), ("Oskar Reyes", "he"), ("Ruth Abernathy", "She")]


def test_pronoun_resolves_to_person_last_named(extract):
    s = only(extract("Mayor Ansel Brightwater opened the session.\n\nHe added: “Nobody will pay twice for the same road.”"))
    assert (s.speaker, s.speaker_mention) == ("Ansel Brightwater", "He")


@pytest.mark.parametrize("text,body", [
    ("The White House said the talks would resume next week.", "White House"),
    ("The White House said in a statement that the talks would resume next week.", "White House"),
    ("“The talks will resume next week,” a NATO spokesperson said.", "NATO spokesperson"),
    ("A NATO spokesperson said the exercise would go ahead.", "NATO spokesperson"),
    ("“The exercise will go ahead,” a White House official said.", "White House"),
    ("“The pier will close for a week,” a spokesperson for the Fjord Port Authority said.", "Fjord Port Authority"),
])
def test_unnamed_bodies_are_speakers(extract, text, body):
    assert only(extract(text)).speaker == body


def test_unidentifiable_speaker_is_unknown_not_dropped(extract):
    s = only(extract("“The roads are not safe after dark,” one resident said."))
    assert (s.speaker, s.speaker_mention, s.text) == (UNKNOWN, "one resident", "The roads are not safe after dark")


def test_pronoun_with_nobody_named_is_unknown(extract):
    s = only(extract("The harbour flooded overnight.\n\n“We lost everything,” she said."))
    assert s.speaker == UNKNOWN


# --- dates and context ----------------------------------------------------------------------
def test_weekday_moves_the_date_back(extract):
    # 2031-11-04 is a Tuesday; "on Saturday" is 2031-11-01
    s = only(extract("Ansel Brightwater said on Saturday that the levee had held."))
    assert (s.date, s.date_precision) == ("2031-11-01", "day")
    s = only(extract("“The levee held,” Ansel Brightwater told reporters on Saturday."))
    assert (s.date, s.date_precision) == ("2031-11-01", "day")


def test_undated_utterance_keeps_the_article_date(extract):
    s = only(extract("Ansel Brightwater said that the levee had held."))
    assert (s.date, s.date_precision) == ("2031-11-04", "day")
    s = only(extract("Ansel Brightwater said on Saturday that the levee had held.", date="2031-11", precision="month"))
    assert (s.date, s.date_precision) == ("2031-11", "month")
    s = only(extract("Ansel Brightwater said on Saturday that the levee had held.", date=None))
    assert (s.date, s.date_precision) == (None, None)


def test_utterance_date_helper():
    assert utterance_date("He spoke on Sunday.", "2031-11-04", "day") == ("2031-11-02", "day")
    assert utterance_date("He spoke on Tuesday.", "2031-11-04", "day") == ("2031-11-04", "day")
    assert utterance_date("He spoke.", "2031-11-04", "day") == ("2031-11-04", "day")


def test_context_is_the_surrounding_sentence(extract):
    text = "The river rose. Ansel Brightwater said that the levee had held. Residents were relieved."
    s = only(extract(text))
    assert s.context == "Ansel Brightwater said that the levee had held."
    assert sentence_context(text, s.start, s.end) == s.context


# --- the command --------------------------------------------------------------------------
def test_extract_command_writes_jsonl_with_all_fields(tmp_path):
    text = ("Harbour Plan Faces Vote\n\n"
            "“The harbour plan is finished,” Mayor Ansel Brightwater said on Monday. “Now the council must vote.”\n\n"
            "Union leader Marek Dvorak warned that the strike could last for weeks.\n\n"
            "The port authority did not respond to a request for comment.")
    (tmp_path / "harbour.txt").write_text(f" date 2031-11-04 {text}", encoding="utf-8")
    out = tmp_path / "statements.jsonl"
    result = CliRunner().invoke(app, ["extract", str(tmp_path / "harbour.txt"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 articles read, 0 skipped, 2 statements found" in " ".join(result.output.split())
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [list(r) for r in rows] == [STATEMENT_FIELDS] * 2
    for row in rows:
        assert row["article"] == "harbour"
        assert text[row["start"]:row["end"]] == row["text"]
        assert row["text"] in row["context"]
    first, second = rows
    assert (first["speaker"], first["speaker_mention"], first["kind"]) == ("Ansel Brightwater", "Mayor Ansel Brightwater", "direct")
    assert first["text"] == "The harbour plan is finished,” Mayor Ansel Brightwater said on Monday. “Now the council must vote."
    assert (first["date"], first["date_precision"]) == ("2031-11-03", "day")
    assert (second["speaker"], second["kind"], second["text"]) == ("Marek Dvorak", "indirect", "the strike could last for weeks")
    assert (second["date"], second["date_precision"]) == ("2031-11-04", "day")


def test_extract_command_prints_jsonl_without_out(tmp_path):
    (tmp_path / "a.txt").write_text("Marek Dvorak insisted the workers had been misled.", encoding="utf-8")
    result = CliRunner().invoke(app, ["extract", str(tmp_path / "a.txt")])
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(rows) == 1 and rows[0]["speaker"] == "Marek Dvorak" and rows[0]["date"] is None


# --- seed regression ----------------------------------------------------------------------------
def test_seed_extraction_figures_stay_above_the_bars(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    report_path = tmp_path / "extraction.json"
    result = CliRunner().invoke(app, ["evaluate", "extraction", "seeds", "--gold", "seeds/labels.jsonl",
                                      "--json", str(report_path), "--no-errors"])
    assert result.exit_code == 0, result.output
    overall = json.loads(report_path.read_text(encoding="utf-8"))["overall"]
    # every labelled statement is scored (none dropped for a missing article or text)
    labelled = (ROOT / "seeds" / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    assert overall["gold"] == len([line for line in labelled if line.strip()])
    # floors at the figures measured now (79 of 89 found, all 79 right, 74 of 79 speakers right; the report
    # rounds to 4 places): the rules were written on these articles, so any loss here is a regression;
    # raise them as the extractor improves. (Before the indirect constructions and the learned speaker
    # step: 73 found, 70 speakers right. The speaker step, chosen on the train splits of real news, gives
    # 74 of 79 here where the rules alone give 76 of 79.)
    assert overall["recall"] >= round(79 / 89, 4), overall
    assert overall["precision"] == 1.0, overall
    assert overall["speaker_accuracy"] >= round(74 / 79, 4), overall
