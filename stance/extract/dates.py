"""Utterance dates and contexts of the statements found: the article's date, moved to the day, month or
year the sentence gives the utterance ("said on Thursday", "told reporters on June 19", "in March 2016",
"in 2017", "a day earlier", "last week"). Only the words around a statement count: a date inside the
quoted or reported words dates what was said about, not the saying."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date as _date, timedelta
from typing import Optional

from stance.extract import lexicon
from stance.extract.grammar import visible_text
from stance.extract.spans import sentence_context
from stance.records import Article, Statement

_MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december"]
_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Aug|Sept?|Oct|Nov|Dec)\.?"
_MONTH_DAY = re.compile(r"\b(?i:on\s+)?" + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4}))?")
_MONTH_YEAR = re.compile(r"\b(?i:in|during|last)\s+" + _MONTH + r"(?:\s+(\d{4}))?\b(?!\s+\d{1,2}\b)")
_YEAR = re.compile(r"\b(?:in|during|back in)\s+(?:(?:early|late|mid-?)\s*)?((?:19|20)\d\d)\b(?!\s*[-–]\d)", re.IGNORECASE)
_LAST_MONTH = re.compile(r"\blast month\b|\ba month ago\b", re.IGNORECASE)
_DAYS_BACK = [(re.compile(r"\byesterday\b|\ba day earlier\b|\bthe day before\b|\bthe previous day\b", re.IGNORECASE), 1),
              (re.compile(r"\blast week\b|\ba week (?:ago|earlier)\b", re.IGNORECASE), 7)]


def finish(statements: list[Statement], article: Article) -> list[Statement]:
    """Fill context and utterance dates ("said on Thursday") for extracted statements."""
    done = []
    for statement in statements:
        context = sentence_context(article.text, statement.start, statement.end)
        around = _around_statement(context, article.text[statement.start:statement.end])
        date, precision = utterance_date(context, article.date, article.date_precision, around)
        done.append(replace(statement, context=context, date=date, date_precision=precision))
    return done


TAG_REACH = 80  # a date dates the utterance only this close to the statement, where its tag is


def _around_statement(context: str, words: str) -> str:
    """The words just before and after the statement, outside quotations: where its tag and the tag's
    date are ("Doe said on June 19 that …", "…, Doe told reporters on Friday"). A date in the statement's
    own words, or further away in the sentence, dates something else."""
    visible = visible_text(context)
    at = context.find(words) if words else -1
    if at < 0:
        return visible
    return visible[max(0, at - TAG_REACH):at] + " … " + visible[at + len(words):at + len(words) + TAG_REACH]


_SINCE = re.compile(r"\bsince\b[^.;:!?]{0,40}$", re.IGNORECASE)


def _first_dating(pattern: re.Pattern, context: str) -> Optional[re.Match]:
    """The first match of a date pattern that dates the utterance: not one in a "since …" phrase ("since
    he took office in 2014", "since returning to office in January"), which dates something else."""
    for match in pattern.finditer(context):
        if not _SINCE.search(context[max(0, match.start() - 60):match.start()]):
            return match
    return None


def _month_number(name: str) -> int:
    name = name.lower().rstrip(".")
    return next(i for i, full in enumerate(_MONTH_NAMES, start=1) if full.startswith(name[:3]))


def _not_after(year: int, month: int, day: int, published: _date) -> Optional[_date]:
    """The date, a year earlier when it would fall after the article (a month named without its year)."""
    try:
        found = _date(year, month, day)
    except ValueError:
        return None
    if found > published:
        try:
            found = _date(year - 1, month, day)
        except ValueError:
            return None
    return found


def utterance_date(context: str, article_date: Optional[str], precision: Optional[str],
                   tag_region: Optional[str] = None) -> tuple[Optional[str], Optional[str]]:
    """The article date, moved to the date the sentence gives the utterance: a day, month or year named
    in `tag_region` (the words next to the statement; default the whole context), else a weekday or a
    day reference ("a day earlier", "last week") in the context."""
    if not article_date:
        return article_date, precision
    published = _period_end(article_date)
    for rule in (_explicit_day, _named_month, _named_year):
        found = rule(context if tag_region is None else tag_region, published, precision)
        if found is not None:
            return found
    region = context if tag_region is None else tag_region
    if _LAST_MONTH.search(region) and precision in ("day", "month") and not lexicon.WEEKDAY.search(region):
        previous = published.replace(day=1) - timedelta(days=1)
        return previous.isoformat()[:7], "month"  # "said last month": the month before the article's
    if precision != "day":
        return article_date, precision
    for pattern, days in _DAYS_BACK:
        if pattern.search(context):
            moved = published - timedelta(days=days)
            return (moved.isoformat(), "day") if days == 1 else (moved.isoformat()[:7], "month")
    match = lexicon.WEEKDAY.search(context)
    if not match:
        return article_date, precision
    target = lexicon.WEEKDAYS.index(match.group(1).lower())
    back = (published.weekday() - target) % 7
    return (published - timedelta(days=back)).isoformat(), "day"


def _period_end(article_date: str) -> _date:
    """The last day of the article's date: the day itself, or the end of its month or year."""
    if len(article_date) == 10:
        return _date.fromisoformat(article_date)
    if len(article_date) == 4:
        return _date(int(article_date), 12, 31)
    year, month = int(article_date[:4]), int(article_date[5:7])
    return _date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def _explicit_day(context: str, published: _date, precision: Optional[str]):
    """`on June 19`, `June 19, 2018`: that day (the article's year, or the one before when later)."""
    match = _first_dating(_MONTH_DAY, context)
    if not match:
        return None
    year = int(match.group(3)) if match.group(3) else published.year
    found = _not_after(year, _month_number(match.group(1)), int(match.group(2)), published) if not match.group(3) \
        else _safe_date(year, _month_number(match.group(1)), int(match.group(2)))
    if found is None or found > published:
        return None
    return found.isoformat(), "day"


def _safe_date(year: int, month: int, day: int) -> Optional[_date]:
    try:
        return _date(year, month, day)
    except ValueError:
        return None


def _named_month(context: str, published: _date, precision: Optional[str]):
    """`in March 2016`, `in June`: that month (a month without a year: the latest not after the article)."""
    match = _first_dating(_MONTH_YEAR, context)
    if not match:
        return None
    month = _month_number(match.group(1))
    year = int(match.group(2)) if match.group(2) else published.year - (month > published.month)
    if (year, month) > (published.year, published.month) or (year, month) == (published.year, published.month) \
            and precision == "month":
        return None
    return f"{year:04d}-{month:02d}", "month"


def _named_year(context: str, published: _date, precision: Optional[str]):
    """`in 2017`, `during 2016`: an earlier year than the article's."""
    match = _first_dating(_YEAR, context)
    if not match or int(match.group(1)) >= published.year:
        return None
    return match.group(1), "year"
