"""Interview transcripts: turns labelled with the speaker's name in capitals at the start of a line
("DOE: Well, I think …", "JANE ROE, NEWS CHANNEL: Do you think …?"). Each turn is a direct statement of
the person named, the interviewer's questions included, running over the following paragraphs until the next
label. A label is a turn only where the article holds at least two labels that name people (a transcript), so a
dateline ("PARIS:") or a capitals heading ("HAVE CONFIDENCE:") never is one."""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Optional

from stance.extract.found import Found, trim
from stance.records import Statement

_LABEL = re.compile(r"([A-Z][A-Z.'’-]+(?:[ \t]+[A-Z][A-Z.'’-]+){0,3})(?:[ \t]*,[ \t]*[A-Z][A-Z .'’&-]{1,40})?[ \t]*:[ \t]+(?=\S)")
MIN_TURNS = 2  # labelled turns naming people that make an article a transcript
MAX_TURN = 3000  # a turn runs on over paragraphs at most this far


def transcript_turns(article, text: str, paras, speakers) -> list[Found]:
    """A direct statement for each labelled turn of a transcript (none when the article is not one)."""
    labels = []
    for start, end in paras:
        match = _LABEL.match(text, start, end)
        if match:
            name = _person(match.group(1), speakers)
            labels.append((start, match.end(), name))
    if sum(1 for _, _, name in labels if name) < MIN_TURNS:
        return []
    found = []
    for index, (start, body_start, name) in enumerate(labels):
        if not name:
            continue
        limit = labels[index + 1][0] if index + 1 < len(labels) else len(text)
        end = _turn_end(text, paras, body_start, min(limit, body_start + MAX_TURN))
        s, e = trim(text, body_start, end)
        if e - s < 2:
            continue
        statement = Statement(article=article.id, speaker="", speaker_mention=name, text=text[s:e], kind="direct",
                              start=s, end=e, context="", date=article.date, date_precision=article.date_precision,
                              speaker_confidence=1.0)
        found.append(Found(statement, e, name, None, None, start, "transcript_turn"))
    return found


def _person(label: str, speakers) -> Optional[str]:
    """The label as a person's name in ordinary case, when it names one ("JANE DOE" -> "Jane Doe")."""
    name = " ".join(word.capitalize() if word.isupper() else word for word in label.split())
    for form in (name, label):  # "KARL" is the "JONATHAN KARL" an earlier label named
        if speakers.is_person(form):
            return form
    return None


def _turn_end(text: str, paras, start: int, limit: int) -> int:
    """Where a turn ends: the end of the last paragraph that starts before `limit` (the next label)."""
    index = bisect_left(paras.starts, limit) - 1
    return max(start, min(paras[index][1], limit)) if index >= 0 else start
