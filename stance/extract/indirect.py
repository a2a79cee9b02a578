"""Indirect and mixed statements: the reports `stance.extract.reports` finds in each sentence, with their
clause trimmed, their kind (mixed when the clause carries a quoted fragment) and their speaker mention."""

from __future__ import annotations

import re
from typing import Optional

from stance.extract import lexicon
from stance.extract.found import Found, trim, trim_clause
from stance.extract.grammar import first_mention, is_single_quote, mask_spans
from stance.extract.reports import Report, find_reports
from stance.extract.spans import SpanList, SpanSet, sentence_at
from stance.records import Statement

MIN_CLAUSE = 8  # a reported clause shorter than this is no statement


def _silence_non_comments(body: str, masked: str) -> str:
    """"X did not respond to a request for comment, but Y said …": X's part masked, Y's report kept."""
    silent = lexicon.NON_COMMENT.search(body)
    if not silent:
        return masked
    cut = re.search(r",|;|$", body[silent.end():])
    return mask_spans(masked, [(0, silent.end() + cut.start())])


def _mention(report: Report, prior: Optional[Found], in_sentence: list[Found], body: str, speakers):
    """(mention, statement whose speaker it shares) for a report; None when a coordinated report has no
    subject to share."""
    if report.subject is not None:
        return report.subject, None
    if report.coordinated:
        if prior is not None:
            return prior.mention, prior
        mention = sentence_subject(body, speakers)
        return (mention, None) if mention else None
    if in_sentence:
        return in_sentence[0].mention, in_sentence[0]
    return sentence_subject(body, speakers), None


def sentence_subject(body: str, speakers) -> str:
    """The speaker a report with no subject of its own shares: the first person the sentence names outside
    a prepositional phrase, else the first such speaker ("At a meeting in Brussels, Macron responded …,
    saying …" is Macron's)."""
    return (first_mention(body, speakers.is_person, subjects_only=True)
            or first_mention(body, speakers.is_speaker, subjects_only=True) or "")


def _kind_and_clause(text: str, clause: tuple[int, int]) -> tuple[str, tuple[int, int]]:
    """Mixed when the clause carries a quoted fragment; direct when it is exactly one quotation."""
    chunk = text[clause[0]:clause[1]]
    if not any(c in chunk for c in "“”\""):
        return "indirect", clause
    if is_single_quote(chunk):
        return "direct", trim(text, clause[0] + 1, clause[1] - (1 if chunk[-1] in "”\"" else 0))
    return "mixed", clause


def _locate(body: str, report: Report) -> int:
    """Where a report's subject sits in its sentence: before the verb, else after it (-1 when absent)."""
    if not report.subject:
        return -1
    at = body.rfind(report.subject, 0, report.verb_start)
    return at if at >= 0 else body.find(report.subject, report.verb_start)


def indirect_statements(article, text: str, sentences: SpanList, masked_text: str, taken: SpanSet,
                        direct: list[Found], speakers, nearby_person) -> list[Found]:
    """Indirect and mixed statements of every sentence, skipping clauses a direct statement already covers."""
    found: list[Found] = []
    by_sentence: dict[tuple[int, int], list[Found]] = {}
    for f in direct:
        by_sentence.setdefault(sentence_at(sentences, f.statement.start), []).append(f)
    for sentence in sentences:
        found += _sentence_statements(article, text, sentence, masked_text, taken, by_sentence.get(sentence, []),
                                      speakers, nearby_person)
    return found


def _sentence_statements(article, text, sentence, masked_text, taken, in_sentence, speakers, nearby_person) -> list[Found]:
    s_start, s_end = sentence
    body = text[s_start:s_end]
    masked = _silence_non_comments(body, masked_text[s_start:s_end])
    found: list[Found] = []
    prior: Optional[Found] = None
    for report in find_reports(masked, speakers.could_be_speaker):
        clause = trim_clause(text, s_start + report.clause[0], s_start + report.clause[1])
        if clause[1] - clause[0] < MIN_CLAUSE or taken.overlaps(clause):
            continue
        mention = _mention(report, prior, in_sentence, body, speakers)
        if mention is None:
            continue
        kind, clause = _kind_and_clause(text, clause)
        statement = Statement(
            article=article.id, speaker="", speaker_mention=mention[0].strip(), text=text[clause[0]:clause[1]],
            kind=kind, start=clause[0], end=clause[1], context="", date=article.date,
            date_precision=article.date_precision,
        )
        at = _locate(body, report)
        prior = Found(statement, s_end, mention[0], nearby_person(s_start, s_start + report.verb_start), mention[1],
                      s_start + at if at >= 0 else -1, report.construction)
        found.append(prior)
    return found
