"""Quotations with no speaker tag of their own: a run of quotes after one tag, a quotation set in a
sentence whose verb is not a reporting verb ("Smith credited the win to “…”"), a quote whose tag sits in
the paragraph before. Each becomes a direct statement; its speaker comes from the context, with lower
confidence, and stays `unknown` when the context names nobody."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import NamedTuple, Optional

from stance.extract import lexicon
from stance.extract.found import Found, Quote, trim
from stance.extract.grammar import first_mention, visible_text
from stance.extract.spans import SpanSet, sentence_at, span_at
from stance.records import Statement

RUN_CONFIDENCE = 0.4  # a quote continuing a run, or after a colon introduction
SUBJECT_CONFIDENCE = 0.6  # the subject nearest an untagged quote in its own sentence


class Guess(NamedTuple):
    """Who an untagged quotation is given to, and how sure that is."""

    mention: str
    same_as: Optional[Found]
    confidence: float
    construction: str


class _Context(NamedTuple):
    text: str
    sentences: list
    paras: list
    ordered: list  # statements found so far, by start
    starts: list  # their starts
    speakers: object


def untagged_quotes(article, text, quotes, sentences, paras, found, speakers) -> list[Found]:
    """Statements for the quotations no extracted statement covers."""
    covered = SpanSet((f.statement.start, f.statement.end) for f in found)
    ordered = sorted(found, key=lambda f: f.statement.start)
    context = _Context(text, sentences, paras, ordered, [f.statement.start for f in ordered], speakers)
    result = []
    for quote in quotes:
        start, end = trim(text, *quote.inner)
        if end - start < 1 or any(a < end and start < b for a, b in covered.near((start, end))):
            continue
        para = span_at(paras, quote.open)
        if para is None:
            continue
        guess = _guess(context, quote, para)
        lead = text[max(paras[para][0], sentence_at(sentences, quote.open)[0]):quote.open]
        named_nearby = guess.mention or first_mention(visible_text(lead), speakers.is_speaker)
        if not _worth_keeping(text, quote, start, end, named_nearby or ""):
            continue
        statement = Statement(article=article.id, speaker="", speaker_mention=guess.mention.strip(), text=text[start:end],
                              kind="direct", start=start, end=end, context="", date=article.date,
                              date_precision=article.date_precision, speaker_confidence=guess.confidence)
        result.append(Found(statement, quote.close + 1, guess.mention, None, guess.same_as, -1, guess.construction))
        index = bisect_right(context.starts, start)  # later quotes of a run follow this one
        context.starts.insert(index, start)
        context.ordered.insert(index, result[-1])
    return result


def _guess(context: _Context, quote: Quote, para: int) -> Guess:
    """The speaker mention of an untagged quotation, from its paragraph and the one before."""
    text, sentences, paras, speakers = context.text, context.sentences, context.paras, context.speakers
    sentence = sentence_at(sentences, quote.open)
    lead = text[max(paras[para][0], sentence[0]):quote.open]
    previous = _previous(context.ordered, context.starts, quote.open)
    opens_paragraph = not text[paras[para][0]:quote.open].strip()
    prior_para = text[paras[para - 1][0]:paras[para - 1][1]].rstrip() if para > 0 else ""
    if opens_paragraph and prior_para.endswith(":"):
        # `X issued the following statement:` then the quotation in the next paragraph
        intro = text[sentence_at(sentences, paras[para - 1][1] - 1)[0]:paras[para - 1][1]]
        return Guess(_first_plain(visible_text(intro), speakers) or "", None, RUN_CONFIDENCE, "colon_intro")
    if opens_paragraph and previous is not None and para > 0 and previous.statement.end >= paras[para - 1][0]:
        return Guess(previous.mention, previous, RUN_CONFIDENCE, "quote_run")  # a run of quotes after one tag
    visible = visible_text(lead)
    mention = _last_subject(visible, speakers) or _first_plain(visible, speakers) or ""
    if mention or visible.strip() or sentence[0] <= paras[para][0]:
        return Guess(mention, None, SUBJECT_CONFIDENCE, "sentence_subject")
    # a quote opening a later sentence of its paragraph: the speaker of a statement earlier in the
    # paragraph, else the subject of the sentence before ("Doe backs the plan. “It works.”")
    if previous is not None and previous.statement.end >= paras[para][0] and previous.mention:
        return Guess(previous.mention, previous, RUN_CONFIDENCE, "paragraph_run")
    prior = sentence_at(sentences, sentence[0] - 1)
    if prior[0] < paras[para][0]:
        return Guess("", None, RUN_CONFIDENCE, "paragraph_run")
    body = text[prior[0]:min(prior[1], quote.open)]
    return Guess(_last_subject(visible_text(body), speakers) or "", None, RUN_CONFIDENCE, "previous_subject")


_NOT_A_VERB = {"of", "and", "or", "for", "to", "in", "on", "at", "with", "by", "from", "the", "a", "an", "who", "which",
               "that", "as", "after", "before", "during", "since", "while", "than", "over", "into", "about", "is"}
# Words after which a name is an object or part of a phrase, not the subject of the next verb.
_OBJECT_MARKERS = {"a", "an", "at", "in", "of", "by", "from", "to", "for", "on", "about", "against", "over", "into",
                   "than", "like", "via", "during", "under", "between", "among", "toward", "towards"}
_SUBJECT_OR_NAME = re.compile(r"\b(?:[Hh]e|[Ss]he)\b|" + lexicon.NAME_RUN.pattern)


def _is_object(visible: str, match: re.Match, found: Optional[str]) -> bool:
    """A name after a preposition ("at a Las Vegas rally", "by Jane Doe") or the object of the verb after
    the subject found ("Doe accused Roe of …") is no subject."""
    before = re.search(r"\b([A-Za-z]+)\s+$", visible[:match.start()])
    if not before:
        return False
    word = before.group(1)
    return word.lower() in _OBJECT_MARKERS or bool(found) and word.islower() and word.endswith(("ed", "es", "told", "asks"))


def _last_subject(visible: str, speakers) -> Optional[str]:
    """The mention nearest the quotation that stands as a subject (a lower-case verb follows it):
    "After Jane Doe spoke, Odile Brandt shot back, “…”" gives Odile Brandt."""
    found = None
    for match in _SUBJECT_OR_NAME.finditer(visible):
        following = re.match(r"\s+(?:also\s+|then\s+)?([a-z][\w’'-]*)", visible[match.end():])
        if not following or following.group(1) in _NOT_A_VERB or _is_object(visible, match, found):
            continue
        words = match.group(0).split()
        while words and words[0].lower() in lexicon.SENTENCE_STARTERS | set(lexicon.WEEKDAYS) | lexicon.MONTHS:
            words.pop(0)
        candidate = " ".join(words)
        if candidate and _plain(candidate) and speakers.is_person(candidate):
            found = candidate
    return found


def _first_plain(visible: str, speakers) -> Optional[str]:
    """The first person (else speaker) named in `visible`, preferring plain mentions over possessives and
    headline capitals; those are still taken when nothing else is named ("Doe’s reply was: “…”")."""
    for accept in (lambda m: _plain(m) and speakers.is_person(m), speakers.is_person,
                   lambda m: _plain(m) and speakers.is_speaker(m), speakers.is_speaker):
        mention = first_mention(visible, accept)
        if mention:
            return mention
    return None


def _plain(mention: str) -> bool:
    """Whether a mention can name a speaker: not a possessive ("Doe’s", "Roses’") nor an all-capitals
    headline run ("VOTERS WANT CHANGE")."""
    words = mention.split()
    if not words or mention.endswith(("’s", "'s", "’", "'")):
        return False
    return not (len(words) > 1 and all(w.isupper() for w in words if len(w) > 1))


def _worth_keeping(text: str, quote, start: int, end: int, mention: str) -> bool:
    """Whether an untagged quotation is likely someone's words rather than a title, a scare quote or markup."""
    words = text[start:end].split()
    if text[max(0, quote.open - 1):quote.open] == "=":  # an attribute value in markup: tweet-date="…"
        return False
    long_words = [w for w in words if len(w.strip(".,!?;:’'")) > 3]
    if len(words) <= 6 and long_words and all(w[:1].isupper() or w[:1].isdigit() for w in long_words) \
            and not text[start:end].rstrip().endswith(("!", "?")) and not (len(words) >= 4 and words[0][:1].isupper() and text[end - 1] in ".,"):
        return False  # a title: “The Evening Show”, “Fantastic Voyage”
    if len(words) <= 3 and not mention:
        return False  # a scare quote or a phrase nobody in the sentence is said to have used
    return True


def _previous(ordered, starts, position) -> Optional[Found]:
    index = bisect_left(starts, position) - 1
    return ordered[index] if index >= 0 else None
