"""Quotations and the direct statements their speaker tags make: paragraphs, headings and captions,
quotation marks (straight, curly, single; running over paragraphs), and for each quotation the tag before
or after it. A quotation split around its own tag ("X," he said. "Y.") stays one statement."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Optional

from stance.extract import lexicon
from stance.extract.found import Found, Quote, trim
from stance.extract.grammar import single_closes, single_opens, starts_sentence
from stance.extract.quotetags import after_tag, before_tag
from stance.extract.spans import SpanList, next_sentence_end, sentence_at, sentence_end_after, span_at
from stance.extract.tags import ends_in_abbreviation
from stance.records import Statement

TAG_WINDOW = 600  # how far before or after a quotation a speaker tag is looked for
HEADING_WORDS = 20  # a line without final punctuation and shorter than this is a heading or caption, not prose


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Spans of the non-empty lines of a text."""
    spans, offset = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((offset, offset + len(line)))
        offset += len(line) + 1
    return spans


def is_heading_or_caption(line: str) -> bool:
    """Headlines, section headings and photo captions carry no statements."""
    if lexicon.CAPTION.search(line):
        return True
    stripped = line.strip()
    if stripped.endswith((",", ";")) or (stripped[:1] in "“\"" and not re.search(r"[”\"]", stripped[1:])):
        return False  # prose running on: a quotation continued in the next paragraph
    return not re.search(r"[.!?\"”’:)…]$", stripped) and len(stripped.split()) < HEADING_WORDS


CAPTION_IN_PROSE_WORDS = 60  # a paragraph this long with a caption in it is prose with a caption glued in
TRUNCATED_WORDS = 6  # a last line this long, mostly in lower case, is prose cut off, not a heading


def prose_paragraphs(text: str) -> list[tuple[int, int]]:
    """The paragraphs that can carry statements: no headings or captions. A caption glued into a long
    paragraph of prose takes only its own sentences out; the text's last line, when an excerpt ends
    mid-sentence ("… Doe said that the plan would"), stays prose."""
    from stance.extract.spans import sentence_spans

    spans = paragraphs(text)
    kept = []
    for index, (start, end) in enumerate(spans):
        line = text[start:end]
        if not is_heading_or_caption(line):
            kept.append((start, end))
        elif lexicon.CAPTION.search(line) and len(line.split()) >= CAPTION_IN_PROSE_WORDS:
            kept += _without_caption_sentences(text, start, end, sentence_spans(text))
        elif index == len(spans) - 1 and _cut_off_prose(line):
            kept.append((start, end))
    return kept


def _cut_off_prose(line: str) -> bool:
    words = line.split()
    lower = sum(1 for w in words if w[:1].islower())
    return len(words) >= TRUNCATED_WORDS and lower * 2 >= len(words) and not lexicon.CAPTION.search(line)


def _without_caption_sentences(text: str, start: int, end: int, sentences) -> list[tuple[int, int]]:
    """The runs of a paragraph's sentences that hold no caption marker."""
    runs, run_start, run_end = [], None, None
    for s_start, s_end in sentences:
        if s_end <= start or s_start >= end:
            continue
        s_start, s_end = max(s_start, start), min(s_end, end)
        if lexicon.CAPTION.search(text[s_start:s_end]):
            if run_start is not None:
                runs.append((run_start, run_end))
            run_start = None
            continue
        run_start = s_start if run_start is None else run_start
        run_end = s_end
    if run_start is not None:
        runs.append((run_start, run_end))
    return runs


def _closes(text: str, i: int, open_at: int, end: int, use_single: bool) -> bool:
    """Whether the mark at `i` closes the quotation opened at `open_at` (a single mark closes only a
    single one; an opening mark typed where the closing one belongs closes too: `…,“ said Doe`)."""
    char = text[i]
    closing = char in "”\"" or (use_single and char in "’'" and single_closes(text, i, end)) or (
        char == "“" and text[i - 1] in ",.?!" and (i + 1 == end or text[i + 1] in " \t"))
    return closing and not (text[open_at] in "‘'" and char not in "’'")


def _quotes_in_paragraph(text: str, start: int, end: int, open_at: Optional[int], quotes: list[Quote]) -> Optional[int]:
    """Add the quotations closed in one paragraph; returns where a quotation left open began (or None)."""
    chunk = text[start:end]
    use_single = not any(c in chunk for c in "“”\"")
    for i in range(start, end):
        if open_at is None:
            char = text[i]
            if char in "“\"" or (use_single and char in "‘'" and single_opens(text, i, start)):
                open_at = i
        elif _closes(text, i, open_at, end, use_single):
            quotes.append(Quote(open_at, i))
            open_at = None
    return open_at


def find_quotes(text: str, paras: list[tuple[int, int]]) -> list[Quote]:
    """Top-level quotations; a quote left open at a paragraph's end continues
    into the next paragraph when that one opens with a quotation mark."""
    quotes: list[Quote] = []
    open_at: Optional[int] = None
    for index, (start, end) in enumerate(paras):
        open_at = _quotes_in_paragraph(text, start, end, open_at, quotes)
        if open_at is None:
            continue
        following = paras[index + 1] if index + 1 < len(paras) else None
        if following is not None and text[following[0]] in "“\"‘'" and \
                not is_heading_or_caption(text[following[0]:following[1]]):
            continue  # runs on: the next paragraph re-opens the same quotation
        quotes.append(Quote(open_at, end))
        open_at = None
    return [q for q in quotes if text[q.open + 1:q.close].strip()]


_BARE_TAG = re.compile(r"\s*(?:[A-Z][\w’'.-]*\s+){0,3}[A-Z][\w’'-]*\s+(?:said|says|added|wrote|tweeted|told reporters|"
                       r"said in a statement)\s*[.]\s*$")


def bare_tag_sentence(sentence: str) -> bool:
    """Whether a sentence is nothing but a named speaker and a saying verb ("Jane Doe said.")."""
    return bool(_BARE_TAG.match(sentence))


def _tag_sentence_end(text: str, quote: Quote, sentences: SpanList, close_end: int, after_limit: int) -> int:
    """Where the text that may hold a tag after the quotation ends: the end of the sentence the quotation
    closes, reaching on past a question mark, a bare tag sentence or a title's stop ("said Sen.")."""
    end = sentence_at(sentences, max(close_end - 1, quote.open))[1]
    last_mark = text[quote.close - 1:quote.close]
    if last_mark in ("?", "!") and end <= close_end:
        # '"Why pay?" she asked.': the segmenter ends the sentence inside the quote; the tag follows
        end = sentence_end_after(sentences, close_end + len(text[close_end:]) - len(text[close_end:].lstrip(" ")))
    elif last_mark == "." and end <= close_end:
        # '"We won." Doe said.': a bare tag as its own short sentence still attributes the quote
        following = next_sentence_end(sentences, close_end)
        if bare_tag_sentence(text[close_end:following]):
            end = following
    for _ in range(3):  # "…," said Sen. Jane Doe: the segmenter may stop at "Sen."
        if end >= after_limit or not ends_in_abbreviation(text[close_end:end]):
            break
        end = next_sentence_end(sentences, end)
    return end


def _around(text: str, quotes: list[Quote], index: int, sentences: SpanList, paras: SpanList):
    """The text before a quotation (within its sentence) and after it (within its paragraph, before the
    next quotation) where its speaker tag may be; and where the quotation's closing mark ends."""
    quote = quotes[index]
    sentence = sentence_at(sentences, quote.open)
    previous_close = quotes[index - 1].close if index else -1
    before = text[max(sentence[0], previous_close + 1, quote.open - TAG_WINDOW):quote.open]
    close_end = min(quote.close + 1, len(text))
    close_para = span_at(paras, quote.close)
    after_limit = paras[close_para][1] if close_para is not None else len(text)
    if index + 1 < len(quotes):
        after_limit = min(after_limit, quotes[index + 1].open)
    after_limit = min(after_limit, close_end + TAG_WINDOW)
    sentence_end = _tag_sentence_end(text, quote, sentences, close_end, after_limit)
    return before, text[close_end:min(after_limit, max(sentence_end, close_end))], close_end


def _continues(text: str, previous: Optional[Found], tag, quote: Quote, sentence_start: int) -> bool:
    """Whether a quotation continues the previous direct statement: no tag of its own right after it,
    or a participle tag ("…, adding: “…”") in the same sentence."""
    if previous is None or previous.statement.kind != "direct":
        return False
    if tag is None:
        return not text[previous.tag_end:quote.open].strip(" \n\t,;.:") and starts_sentence(text, quote.open)
    return tag.participle and previous.tag_end >= sentence_start


def direct_statements(article, text: str, quotes: list[Quote], sentences: SpanList, paras: SpanList,
                      nearby_person) -> list[Found]:
    """A direct statement for each quotation with a speaker tag; `nearby_person(start, stop)` names the
    last person named in a span (for pronoun tags)."""
    found: list[Found] = []
    for index, quote in enumerate(quotes):
        before, after, close_end = _around(text, quotes, index, sentences, paras)
        inner_start, inner_end = trim(text, *quote.inner)
        lead = before_tag(before, text[inner_start:inner_end])
        trail = after_tag(after, text[quote.close - 1:quote.close] in (",", "?", "!", "—"))
        tag = lead or trail
        tag_end = close_end + trail.end if trail else close_end
        previous = found[-1] if found else None
        sentence = sentence_at(sentences, quote.open)
        if _continues(text, previous, tag, quote, sentence[0]):  # the same utterance, split around its tag
            previous.statement = replace(previous.statement, end=inner_end, text=text[previous.statement.start:inner_end])
            previous.tag_end = tag_end
            continue
        if tag is None or tag.participle or is_title(text, quote.open, inner_start, inner_end):
            continue
        mention = " ".join(tag.mention.split())
        mention_start = _mention_start(text, mention, quote, close_end, trail)
        statement = Statement(
            article=article.id, speaker="", speaker_mention=mention.strip(), text=text[inner_start:inner_end],
            kind="direct", start=inner_start, end=inner_end, context="", date=article.date,
            date_precision=article.date_precision,
        )
        found.append(Found(statement, tag_end, mention, nearby_person(sentence[0], quote.open), None, mention_start,
                           "tag_before" if lead else "tag_after"))
    return found


# What stands before a title in quotation marks: a possessive or a word that introduces a work or a programme
# ("on CNN’s “State of the Union,” Doe said", "in an op-ed titled “Time to Act”").
_TITLE_LEAD = re.compile(r"(?:[’']s|\b(?:on|in|of|titled|entitled|called|named|show|program|programme|book|film|series|"
                         r"column|op-ed|essay|article|episode|podcast|documentary))[ \t]*$", re.IGNORECASE)
TITLE_WORDS_MAX = 6


def is_title(text: str, open_at: int, start: int, end: int) -> bool:
    """Whether a quotation is the title of a work or programme rather than someone's words: a few words,
    every long one capitalised, no question or exclamation, after a possessive or a word that introduces a
    title."""
    inner = text[start:end].rstrip(" ,.")
    words = inner.split()
    long_words = [w for w in words if len(w.strip(".,!?;:’'")) > 3]
    if not words or len(words) > TITLE_WORDS_MAX or not long_words or inner.endswith(("!", "?")):
        return False
    if not all(w[:1].isupper() or w[:1].isdigit() for w in long_words):
        return False
    return bool(_TITLE_LEAD.search(text[max(0, open_at - 40):open_at]))


def _mention_start(text: str, mention: str, quote: Quote, close_end: int, trail) -> int:
    """Where a tag's mention sits in the article: after the quotation for a trailing tag, else the last
    occurrence before it (-1 when not found as written)."""
    if not mention:
        return -1
    if trail:
        at = text.find(mention, close_end, close_end + trail.end + 1)
        return at
    return text.rfind(mention, max(0, quote.open - TAG_WINDOW), quote.open)
