"""Statement extraction: find attributed statements in an article and who made them.

The steps, in order: quotations with a speaker tag before or after them give direct statements
(`stance.extract.quotes`); a speaker, a reporting verb and a content clause give indirect ones, mixed when
the clause carries a quoted fragment (`stance.extract.indirect`, whose constructions are in
`stance.extract.reports`); quotations with no tag of their own take their speaker from the context
(`stance.extract.untagged`); speakers are resolved in reading order (`stance.extract.resolve`), then
re-ranked among the candidates the article offers by the learned speaker step (`stance.extract.attribution`).
Nothing here is keyed to particular articles.
"""

from __future__ import annotations

from typing import Iterable, Optional

from stance.extract.attribution import SpeakerModel, attribute, load_model
from stance.extract.dates import finish, utterance_date
from stance.extract.grammar import mask_spans
from stance.extract.indirect import indirect_statements
from stance.extract.quotes import direct_statements, find_quotes, prose_paragraphs
from stance.extract.resolve import drop_overlaps, nearby_person, resolve_in_order
from stance.extract.speakers import ActorRegistry, ArticleSpeakers, load_registry
from stance.extract.spans import SpanList, SpanSet, sentence_context, sentences_in
from stance.extract.transcripts import transcript_turns
from stance.extract.untagged import untagged_quotes
from stance.records import Article, Statement

__all__ = ["Extractor", "extract_statements", "finish", "sentence_context", "utterance_date"]


class Extractor:
    """Finds statements in articles; reusable across articles."""

    def __init__(self, registry: Optional[ActorRegistry] = None, speaker_model: Optional[SpeakerModel] | str = "default"):
        """`speaker_model`: the learned speaker step ("default": the shipped one; None: the rules alone)."""
        self.registry = registry or load_registry()
        self.speaker_model = load_model() if speaker_model == "default" else speaker_model

    def extract(self, article: Article) -> list[Statement]:
        """All attributed statements of one article, in text order."""
        return self.extract_with_candidates(article, None)

    def extract_with_candidates(self, article: Article, keep: Optional[list]) -> list[Statement]:
        """The statements of one article; `keep` (when a list) collects each statement as the rules
        resolved it with its speaker candidates, for fitting the speaker step."""
        text = article.text
        speakers = ArticleSpeakers(self.registry, text, article.date)

        def person_before(start: int, stop: int) -> Optional[str]:
            return nearby_person(text, start, stop, speakers)

        paras = SpanList(prose_paragraphs(text))
        quotes = find_quotes(text, paras)
        sentences = sentences_in(text, paras)
        found = direct_statements(article, text, quotes, sentences, paras, person_before)
        turns = transcript_turns(article, text, paras, speakers)
        if turns:  # a transcript: each turn is one statement, quotations inside it included
            within = SpanSet((t.statement.start, t.statement.end) for t in turns)
            found = [f for f in found if not within.overlaps((f.statement.start, f.statement.end))] + turns
        masked = mask_spans(text, [(q.open, q.close + 1) for q in quotes] + [(f.statement.end, f.tag_end) for f in found])
        taken = SpanSet((f.statement.start, f.statement.end) for f in found)
        found += indirect_statements(article, text, sentences, masked, taken, found, speakers, person_before)
        found.sort(key=lambda f: f.statement.start)
        found = drop_overlaps(found)
        found += untagged_quotes(article, text, quotes, sentences, paras, found, speakers)
        found.sort(key=lambda f: f.statement.start)
        found = resolve_in_order(drop_overlaps(found), speakers, text)
        if self.speaker_model is not None or keep is not None:
            found = attribute(found, text, speakers, sentences, paras, self.speaker_model, keep)
        return reportable([f.statement for f in found])


def reportable(statements: list[Statement]) -> list[Statement]:
    """The statements worth reporting: the same words found twice in one article (a passage the page
    repeats) only once. (Dropping quotations of one or two words was measured too: it removes scare quotes,
    but they are also what finds a paraphrase around a quoted fragment, so recall fell more than
    precision rose.)"""
    seen, kept = set(), []
    for statement in statements:
        key = " ".join(statement.text.split()).lower()
        if key in seen:
            continue
        seen.add(key)
        kept.append(statement)
    return kept


def extract_statements(articles: Iterable[Article], registry: Optional[ActorRegistry] = None) -> Iterable[Statement]:
    """Yield the statements of each article, with context and dates filled in."""
    extractor = Extractor(registry)
    for article in articles:
        yield from finish(extractor.extract(article), article)
