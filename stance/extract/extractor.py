"""Statement extraction: find attributed statements in an article and who made them.

Rules, not a model: quotation marks with a speaker tag before or after them
give direct statements; a speaker, a reporting verb and a content clause give
indirect ones (mixed when the clause carries a quoted fragment). Speakers are
resolved by `stance.extract.speakers`. Nothing here is keyed to particular articles.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import date as _date, timedelta
from typing import Iterable, Optional

from stance.extract import grammar as g
from stance.extract import lexicon
from stance.extract.spans import (MAX_SENTENCE, SpanList, _SpanSet, _sentence_at, _sentence_end_after, _span_at, _starts,
                          next_sentence_end,
                          sentence_context, sentence_spans, sentences_in)
from stance.records import Article, Statement
from stance.extract.tags import ends_in_abbreviation
from stance.extract.untagged import untagged_quotes
from stance.extract.speakers import PRONOUNS, UNKNOWN, ActorRegistry, ArticleSpeakers, load_registry


@dataclass
class Quote:
    open: int  # position of the opening mark
    close: int  # position of the closing mark (or paragraph end when unclosed)

    @property
    def inner(self) -> tuple[int, int]:
        return self.open + 1, self.close


TAG_WINDOW = 600  # how far before or after a quotation a speaker tag is looked for
HEADING_WORDS = 20  # a line without final punctuation and shorter than this is a heading or caption, not prose


@dataclass
class _Found:
    statement: Statement
    tag_end: int  # where the statement's attribution ends, for continuation checks
    mention: str = ""
    nearby: Optional[str] = None  # a person named earlier in the sentence, for "he"/"she"
    same_as: Optional["_Found"] = None  # shares the speaker of this statement


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


def find_quotes(text: str, paras: list[tuple[int, int]]) -> list[Quote]:
    """Top-level quotations; a quote left open at a paragraph's end continues
    into the next paragraph when that one opens with a quotation mark."""
    quotes: list[Quote] = []
    open_at: Optional[int] = None
    for index, (start, end) in enumerate(paras):
        chunk = text[start:end]
        use_single = not any(c in chunk for c in "“”\"")
        i = start
        while i < end:
            char = text[i]
            if open_at is None:
                if char in "“\"" or (use_single and char in "‘'" and g.single_opens(text, i, start)):
                    open_at = i
            elif char in "”\"" or (use_single and char in "’'" and g.single_closes(text, i, end)) or (
                    char == "“" and text[i - 1] in ",.?!" and (i + 1 == end or text[i + 1] in " \t")):
                # an opening mark typed where the closing one belongs: `…,“ said Doe`
                if text[open_at] in "‘'" and char not in "’'":
                    pass
                else:
                    quotes.append(Quote(open_at, i))
                    open_at = None
            i += 1
        if open_at is not None:
            following = paras[index + 1][0] if index + 1 < len(paras) else None
            if following is not None and text[following] in "“\"‘'" and not is_heading_or_caption(text[paras[index + 1][0]:paras[index + 1][1]]):
                continue  # runs on: the next paragraph re-opens the same quotation
            quotes.append(Quote(open_at, end))
            open_at = None
    return [q for q in quotes if text[q.open + 1:q.close].strip()]


class Extractor:
    """Finds statements in articles; reusable across articles."""

    def __init__(self, registry: Optional[ActorRegistry] = None):
        self.registry = registry or load_registry()

    def extract(self, article: Article) -> list[Statement]:  # noqa: C901
        """All attributed statements of one article, in text order."""
        text = article.text
        speakers = ArticleSpeakers(self.registry, text, article.date)
        paras = SpanList(p for p in paragraphs(text) if not is_heading_or_caption(text[p[0]:p[1]]))
        quotes = find_quotes(text, paras)
        sentences = sentences_in(text, paras)
        found = self._direct(article, text, quotes, sentences, paras, speakers)
        masked = g.mask_spans(text, [(q.open, q.close + 1) for q in quotes] + [(f.statement.end, f.tag_end) for f in found])
        taken = _SpanSet((f.statement.start, f.statement.end) for f in found)
        found += self._indirect(article, text, sentences, masked, taken, found, speakers)
        found.sort(key=lambda f: f.statement.start)
        found = _drop_overlaps(found)
        found += untagged_quotes(article, text, quotes, sentences, paras, found, speakers)
        found.sort(key=lambda f: f.statement.start)
        return [f.statement for f in _resolve_in_order(_drop_overlaps(found), speakers, text)]

    # --- direct quotes -------------------------------------------------
    def _direct(self, article, text, quotes, sentences, paras, speakers) -> list[_Found]:
        found: list[_Found] = []
        for index, quote in enumerate(quotes):
            sentence = _sentence_at(sentences, quote.open)
            previous_close = quotes[index - 1].close if index else -1
            before = text[max(sentence[0], previous_close + 1, quote.open - TAG_WINDOW):quote.open]
            close_end = min(quote.close + 1, len(text))
            close_para = _span_at(paras, quote.close)
            after_limit = paras[close_para][1] if close_para is not None else len(text)
            if index + 1 < len(quotes):
                after_limit = min(after_limit, quotes[index + 1].open)
            after_limit = min(after_limit, close_end + TAG_WINDOW)
            after_sentence_end = _sentence_at(sentences, max(close_end - 1, quote.open))[1]
            if text[quote.close - 1:quote.close] in ("?", "!") and after_sentence_end <= close_end:
                # '"Why pay?" she asked.': the segmenter ends the sentence inside the quote; the tag follows
                after_sentence_end = _sentence_end_after(sentences, close_end + len(text[close_end:]) - len(text[close_end:].lstrip(" ")))
            elif text[quote.close - 1:quote.close] == "." and after_sentence_end <= close_end:
                # '"We won." Doe said.': a bare tag as its own short sentence still attributes the quote
                following = next_sentence_end(sentences, close_end)
                if _bare_tag_sentence(text[close_end:following]):
                    after_sentence_end = following
            for _ in range(3):  # "…," said Sen. Jane Doe: the segmenter may stop at "Sen."
                if after_sentence_end >= after_limit or not ends_in_abbreviation(text[close_end:after_sentence_end]):
                    break
                after_sentence_end = next_sentence_end(sentences, after_sentence_end)
            after = text[close_end:min(after_limit, max(after_sentence_end, close_end))]
            inner_start, inner_end = _trim(text, *quote.inner)
            lead, trail = g.before_tag(before, text[inner_start:inner_end]), g.after_tag(after, text[quote.close - 1:quote.close] in (",", "?", "!", "—"))
            tag = lead or trail
            previous = found[-1] if found else None
            continues = previous is not None and previous.statement.kind == "direct" and (
                (tag is None and not text[previous.tag_end:quote.open].strip(" \n\t,;.:") and g.starts_sentence(text, quote.open))
                or (tag is not None and tag.participle and previous.tag_end >= sentence[0]))
            if continues:  # the same utterance, split around its tag ("X," he said. "Y.")
                previous.statement = replace(previous.statement, end=inner_end, text=text[previous.statement.start:inner_end])
                previous.tag_end = close_end + trail.end if trail else close_end
                continue
            if tag is None or tag.participle:
                continue
            mention = " ".join(tag.mention.split())
            tag_end = close_end + trail.end if trail else close_end
            statement = Statement(
                article=article.id, speaker="", speaker_mention=mention.strip(), text=text[inner_start:inner_end],
                kind="direct", start=inner_start, end=inner_end, context="", date=article.date,
                date_precision=article.date_precision,
            )
            nearby = _nearby_person(text, sentence[0], quote.open, speakers)
            found.append(_Found(statement, tag_end, mention, nearby))
        return found

    # --- indirect and mixed speech -------------------------------------
    def _indirect(self, article, text, sentences, masked_text, taken, direct, speakers) -> list[_Found]:
        found: list[_Found] = []
        statements_by_sentence: dict[tuple[int, int], list[_Found]] = {}
        for f in direct:
            statements_by_sentence.setdefault(_sentence_at(sentences, f.statement.start), []).append(f)
        accept = speakers.could_be_speaker
        for sentence in sentences:
            s_start, s_end = sentence
            body = text[s_start:s_end]
            masked = masked_text[s_start:s_end]
            silent = lexicon.NON_COMMENT.search(body)
            if silent:  # "X did not respond to a request for comment, but Y said ..."
                cut = re.search(r",|;|$", body[silent.end():])
                masked = g.mask_spans(masked, [(0, silent.end() + cut.start())])
            prior: Optional[_Found] = None
            for report in g.find_reports(masked, accept):
                clause = _trim_clause(text, s_start + report.clause[0], s_start + report.clause[1])
                if clause[1] - clause[0] < 8 or taken.overlaps(clause):
                    continue
                same_as = None
                if report.subject is not None:
                    mention = report.subject
                elif report.coordinated:
                    if prior is not None:
                        mention, same_as = prior.mention, prior
                    else:
                        mention = g.first_mention(body, speakers.is_speaker) or ""
                        if not mention:
                            continue
                elif statements_by_sentence.get(sentence):
                    same_as = statements_by_sentence[sentence][0]
                    mention = same_as.mention
                else:
                    mention = g.first_mention(body, speakers.is_speaker) or ""
                chunk = text[clause[0]:clause[1]]
                kind = "mixed" if any(c in chunk for c in "“”\"") else "indirect"
                if kind == "mixed" and g.is_single_quote(chunk):
                    clause = _trim(text, clause[0] + 1, clause[1] - (1 if chunk[-1] in "”\"" else 0))
                    kind = "direct"
                statement = Statement(
                    article=article.id, speaker="", speaker_mention=mention.strip(), text=text[clause[0]:clause[1]],
                    kind=kind, start=clause[0], end=clause[1], context="", date=article.date,
                    date_precision=article.date_precision,
                )
                nearby = _nearby_person(text, s_start, s_start + report.verb_start, speakers)
                prior = _Found(statement, s_end, mention, nearby, same_as)
                found.append(prior)
        return found


def _drop_overlaps(found: list[_Found]) -> list[_Found]:
    """Keep one statement where two readings cover mostly the same words."""
    kept: list[_Found] = []
    spans = _SpanSet()
    for candidate in found:
        span = (candidate.statement.start, candidate.statement.end)
        if not spans.overlaps(span) and not spans.covered_by_half(span):
            kept.append(candidate)
            spans.add(span)
    return kept


def _resolve_in_order(found: list[_Found], speakers: ArticleSpeakers, text: str = "") -> list[_Found]:
    """Resolve speakers in reading order, so "he" means the person last quoted or named."""
    last_end = 0
    for item in found:
        nearby = item.nearby
        if nearby is None and item.mention.strip().lower() in PRONOUNS and text:
            if speakers.last_speaker is None:
                # nobody quoted yet: "he" is the person named last before the statement
                nearby = _nearby_person(text, 0, item.statement.start, speakers)
            else:
                # a person who opens the sentence before, after the last statement, is the new topic:
                # "… said Smith. Jones disagreed. She said …"
                nearby = _previous_sentence_subject(text, item.statement.start, last_end, speakers)
        if item.same_as is not None and item.same_as.statement.speaker:
            speaker = item.same_as.statement.speaker
        else:
            speaker = speakers.resolve(item.mention, nearby) if item.mention else UNKNOWN
        item.statement = replace(item.statement, speaker=speaker,
                                 speaker_confidence=_confidence(item, speaker, speakers))
        if speaker != UNKNOWN:
            speakers.last_speaker = speaker
        last_end = max(last_end, item.tag_end, item.statement.end)
    return found


def _confidence(item: _Found, speaker: str, speakers: ArticleSpeakers) -> float:
    """How sure the speaker is: a name in the tag most, then a role or a shared tag, then a pronoun;
    untagged quotes keep their lower starting value; `unknown` is 0."""
    if speaker == UNKNOWN:
        return 0.0
    confidence = item.statement.speaker_confidence
    mention = item.mention.strip().lower()
    if mention in PRONOUNS:
        confidence = min(confidence, 0.7)
    elif item.same_as is not None or not speakers.is_person(item.mention):
        confidence = min(confidence, 0.8)  # a role, a body, or the speaker of an earlier statement
    return confidence


def _previous_sentence_subject(text: str, position: int, not_before: int, speakers: ArticleSpeakers) -> Optional[str]:
    """The person named at the start of the sentence before `position`, if that sentence follows `not_before`."""
    spans = sentence_spans(text)
    current = bisect_right(_starts(text), position) - 1
    if current <= 0 or spans[current][1] <= position:
        return None
    start, end = spans[current - 1]
    end = min(end, start + MAX_SENTENCE)
    if start < not_before:
        return None
    match = lexicon.NAME_RUN.match(text[start:end])
    if not match or match.group(0).endswith(("’s", "'s")) or not speakers.is_person(match.group(0)):
        return None
    return speakers.resolve(match.group(0))


def finish(statements: list[Statement], article: Article) -> list[Statement]:
    """Fill context and utterance dates ("said on Thursday") for extracted statements."""
    done = []
    for statement in statements:
        context = sentence_context(article.text, statement.start, statement.end)
        date, precision = utterance_date(context, article.date, article.date_precision)
        done.append(replace(statement, context=context, date=date, date_precision=precision))
    return done


def utterance_date(context: str, article_date: Optional[str], precision: Optional[str]) -> tuple[Optional[str], Optional[str]]:
    """The article date, moved back to a weekday the sentence names ("on Sunday")."""
    if not article_date or precision != "day":
        return article_date, precision
    match = lexicon.WEEKDAY.search(context)
    if not match:
        return article_date, precision
    published = _date.fromisoformat(article_date)
    target = lexicon.WEEKDAYS.index(match.group(1).lower())
    back = (published.weekday() - target) % 7
    return (published - timedelta(days=back)).isoformat(), "day"


def extract_statements(articles: Iterable[Article], registry: Optional[ActorRegistry] = None) -> Iterable[Statement]:
    """Yield the statements of each article, with context and dates filled in."""
    extractor = Extractor(registry)
    for article in articles:
        yield from finish(extractor.extract(article), article)


# --- small helpers -------------------------------------------------------
_BARE_TAG = re.compile(r"\s*(?:[A-Z][\w’'.-]*\s+){0,3}[A-Z][\w’'-]*\s+(?:said|says|added|wrote|tweeted|told reporters|"
                       r"said in a statement)\s*[.]\s*$")


def _bare_tag_sentence(sentence: str) -> bool:
    """Whether a sentence is nothing but a named speaker and a saying verb ("Jane Doe said.")."""
    return bool(_BARE_TAG.match(sentence))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span past surrounding spaces and separating punctuation."""
    while start < end and text[start] in " \n\t,;:—–-":
        start += 1
    while end > start and text[end - 1] in " \n\t,;:—–-":
        end -= 1
    return start, end


def _trim_clause(text: str, start: int, end: int) -> tuple[int, int]:
    """A reported clause without its sentence-final full stop."""
    start, end = _trim(text, start, end)
    while end > start and text[end - 1] in ".!" :
        end -= 1
    return _trim(text, start, end)


def _nearby_person(text, start, stop, speakers) -> Optional[str]:
    """The last person named between start and stop, outside quotations."""
    start = max(start, stop - TAG_WINDOW)
    segment = g.mask_spans(text[start:stop], g.quote_spans(text[start:stop]))
    last = None
    for match in lexicon.NAME_RUN.finditer(segment):
        if not match.group(0).endswith(("’s", "'s")) and speakers.is_person(match.group(0)):
            last = speakers.resolve(match.group(0))
    return last


def extract_articles(articles: list[Article], out=None, progress: bool = False,
                     registry: Optional[ActorRegistry] = None, budget_s: Optional[float] = None,
                     skipped: Optional[list[str]] = None) -> int:
    """Extract statements from articles into a JSONL file (written atomically) or stdout.

    With `budget_s`, an article over that many seconds is skipped and its reason added to `skipped`.
    """
    import json
    import sys
    from dataclasses import asdict
    from pathlib import Path

    from rich.progress import track

    from stance.extract.timebudget import extract_within_budget

    items = track(articles, description="Extracting", transient=True) if progress else articles
    target = Path(out).with_name(Path(out).name + ".part") if out else None
    if target:
        target.parent.mkdir(parents=True, exist_ok=True)
    handle = target.open("w", encoding="utf-8") if target else sys.stdout
    count = 0
    try:
        for article, statements in extract_within_budget(items, skipped if skipped is not None else [], budget_s, registry):
            for statement in statements:
                handle.write(json.dumps(asdict(statement), ensure_ascii=False) + "\n")
                count += 1
    except BaseException:  # an error or Ctrl-C leaves no half-written file behind
        if target:
            handle.close()
            target.unlink(missing_ok=True)
        raise
    if target:
        handle.close()
        target.replace(out)
    return count
