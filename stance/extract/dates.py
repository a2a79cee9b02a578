"""Utterance dates and contexts of the statements found: the article's date, moved to the day, month or
year the sentence gives the utterance ("said on Thursday")."""

from __future__ import annotations

from dataclasses import replace
from datetime import date as _date, timedelta
from typing import Optional

from stance.extract import lexicon
from stance.extract.spans import sentence_context
from stance.records import Article, Statement


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
