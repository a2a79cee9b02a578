"""Speakers of the statements found, resolved in reading order, so "he" means the person last quoted or
named; each statement gets the rule's `speaker_confidence` (a name in the tag most, then a role or a shared
tag, then a pronoun, then a guess for an untagged quotation)."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import replace
from typing import Optional

from stance.extract import lexicon
from stance.extract.found import Found
from stance.extract.grammar import mask_spans, quote_spans
from stance.extract.speakers import PRONOUNS, TITLE_WORDS, UNKNOWN, ArticleSpeakers
from stance.extract.spans import MAX_SENTENCE, SpanSet, sentence_spans, sentence_starts

NEARBY_WINDOW = 600  # how far back a person named before a pronoun is looked for


def drop_overlaps(found: list[Found]) -> list[Found]:
    """Keep one statement where two readings cover mostly the same words."""
    kept: list[Found] = []
    spans = SpanSet()
    for candidate in found:
        span = (candidate.statement.start, candidate.statement.end)
        if not spans.overlaps(span) and not spans.covered_by_half(span):
            kept.append(candidate)
            spans.add(span)
    return kept


def nearby_person(text: str, start: int, stop: int, speakers: ArticleSpeakers) -> Optional[str]:
    """The last person named between start and stop, outside quotations."""
    start = max(start, stop - NEARBY_WINDOW)
    segment = mask_spans(text[start:stop], quote_spans(text[start:stop]))
    last = None
    for match in lexicon.NAME_RUN.finditer(segment):
        if not match.group(0).endswith(("’s", "'s")) and speakers.is_person(match.group(0)):
            last = speakers.resolve(match.group(0))
    return last


def resolve_in_order(found: list[Found], speakers: ArticleSpeakers, text: str = "") -> list[Found]:
    """Resolve speakers in reading order, so "he" means the person last quoted or named."""
    last_end = 0
    for item in found:
        nearby = item.nearby
        if nearby is None and item.mention.strip().lower() in PRONOUNS and text:
            if speakers.last_speaker is None:
                # nobody quoted yet: "he" is the person named last before the statement
                nearby = nearby_person(text, 0, item.statement.start, speakers)
            else:
                # a person who opens the sentence before, after the last statement, is the new topic:
                # "… said Smith. Jones disagreed. She said …"
                nearby = previous_sentence_subject(text, item.statement.start, last_end, speakers)
        if item.same_as is not None and item.same_as.statement.speaker:
            speaker = item.same_as.statement.speaker
        else:
            at = item.mention_start if item.mention_start >= 0 else item.statement.start
            speaker = speakers.resolve(item.mention, nearby, at) if item.mention else UNKNOWN
        item.statement = replace(item.statement, speaker=speaker,
                                 speaker_confidence=rule_confidence(item, speaker, speakers))
        if speaker != UNKNOWN:
            speakers.last_speaker = speaker
        last_end = max(last_end, item.tag_end, item.statement.end)
    return found


def rule_confidence(item: Found, speaker: str, speakers: ArticleSpeakers) -> float:
    """How sure the rules are of the speaker: a name in the tag most, then a role or a shared tag, then a
    pronoun; untagged quotes keep their lower starting value; `unknown` is 0."""
    if speaker == UNKNOWN:
        return 0.0
    confidence = item.statement.speaker_confidence
    mention = item.mention.strip().lower()
    if mention in PRONOUNS:
        confidence = min(confidence, 0.7)
    elif item.same_as is not None or not speakers.is_person(item.mention):
        confidence = min(confidence, 0.8)  # a role, a body, or the speaker of an earlier statement
    return confidence


def previous_sentence_subject(text: str, position: int, not_before: int, speakers: ArticleSpeakers) -> Optional[str]:
    """The person named at the start of the sentence before `position`, if that sentence follows `not_before`."""
    spans = sentence_spans(text)
    current = bisect_right(sentence_starts(text), position) - 1
    if current <= 0 or spans[current][1] <= position:
        return None
    start, end = spans[current - 1]
    end = min(end, start + MAX_SENTENCE)
    if start < not_before:
        return None
    lead = _SENTENCE_LEAD.match(text, start, end)
    at = lead.end() if lead else start
    while True:  # lower-case title words before the name: "But former governor Jane Doe"
        word = _LOWER_WORD.match(text, at, end)
        if not word or word.group(1) not in TITLE_WORDS:
            break
        at = word.end()
    match = lexicon.NAME_RUN.match(text, at, end)
    if not match or match.group(0).endswith(("’s", "'s")) or not speakers.is_person(match.group(0)):
        return None
    return speakers.resolve(match.group(0))


# Words that may open a sentence before its subject: "But former Vice President Jane Doe, …, took …".
_SENTENCE_LEAD = re.compile(r"[ \t\"“‘']*(?:(?:But|And|Yet|So|Still|Meanwhile|Later|Now|Then|Also|Instead|Former|former|"
                            r"then|the|The)[ \t]+)+")
_LOWER_WORD = re.compile(r"([a-z]+)[ \t]+")
