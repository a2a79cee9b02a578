"""Surface patterns of attribution in English news shared by the extraction rules: masks, quotation
marks, the subject before a reporting verb, the clause after it. General English, no article-specific
strings; the constructions themselves are in `stance.extract.reports` (reported speech) and
`stance.extract.quotetags` (speaker tags of quotations)."""

from __future__ import annotations

import re
from typing import Callable, Optional

from stance.extract.lexicon import (CHECK_BARE, EVALUATIVE, FILLER, FILLER_TAIL, INFINITIVE_VERBS, MASK, MONTHS, NAME_RUN,
                                    NEEDS_THAT, NP_WORDS, OBJECT_VERBS, PREPOSITIONS, PRONOUN_SUBJECTS,
                                    SENTENCE_STARTERS, TOKEN, VERBISH, WEEKDAYS)


def mask_spans(text: str, spans) -> str:
    """Replace the characters of the given spans with MASK (same length)."""
    chars = list(text)
    for start, end in spans:
        for i in range(max(start, 0), min(end, len(chars))):
            if chars[i] not in "\n":
                chars[i] = MASK
    return "".join(chars)


def quote_spans(text: str) -> list[tuple[int, int]]:
    """Rough spans of double-quoted segments within a short text."""
    return [m.span() for m in re.finditer(r"“[^”]*”?|\"[^\"]*\"?", text)]


def visible_text(text: str) -> str:
    """`text` with its double-quoted segments masked: the words outside quotations."""
    return mask_spans(text, quote_spans(text))


def is_single_quote(chunk: str) -> bool:
    """Whether a clause is exactly one quotation (then it is a direct statement)."""
    chunk = chunk.strip().rstrip(".")
    return len(chunk) > 2 and chunk[0] in "“\"" and chunk[-1] in "”\"" and not any(c in chunk[1:-1] for c in "“”\"")


def single_opens(text: str, i: int, para_start: int) -> bool:
    before = text[i - 1] if i > para_start else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return (before.isspace() or before in "([—–") and after.isalnum()


def single_closes(text: str, i: int, para_end: int) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < para_end else " "
    return not before.isspace() and (after.isspace() or after in ",.;:?!)—–") and not (before.isalpha() and after.isalpha())


def starts_sentence(text: str, position: int) -> bool:
    before = text[:position].rstrip(" \t")
    return not before or before[-1] in "\n.?!”\":"


def strip_fillers(left: str) -> str:
    """`left` without the fillers and spaces that end it; each step looks at a bounded tail only."""
    left = left.rstrip()
    while True:
        tail = left[-FILLER_TAIL:]
        match = FILLER.search(tail)
        if match is None or match.start() == 0 and len(tail) < len(left):  # may be cut from a longer word
            return left
        left = left[:len(left) - len(tail) + match.start()].rstrip()


def trailing_subject(left: str) -> Optional[str]:
    """The noun phrase that ends `left` (the text before a reporting verb), if it can be a speaker."""
    left = strip_fillers(left.rstrip())
    if left.endswith(","):  # an appositive: "Trump, who is running for re-election, said"
        body = left[:-1]
        cut = body.rfind(",")
        appositive = body[cut + 1:].strip() if cut >= 0 else ""
        if cut >= 0 and appositive[:1].islower():
            left = strip_fillers(body[:cut])
        else:
            return None
    words = re.findall(r"[\w’'.\[\]-]+|\S", left)
    run: list[str] = []
    for word in reversed(words):
        bare = word.strip("[]")
        lower = bare.lower().replace("’s", "").replace("'s", "")
        if not run and lower in PRONOUN_SUBJECTS - {"it", "there", "this", "washington"}:
            return re.sub(r"[’']s$", "", word)  # "he’s even threatened": he
        if bare[:1].isupper() or lower in NP_WORDS:
            run.insert(0, word)
            continue
        break
    while run and (run[0].lower() in SENTENCE_STARTERS - {"the", "a", "an"} or run[0].lower() in set(WEEKDAYS) | MONTHS
                   or run[0].lower() in {"of", "and", "for"}):
        run.pop(0)
    if not run or not any(w[:1].isupper() for w in run) and run[-1].lower() not in NP_WORDS:
        return None
    return " ".join(run)


def _tokens(text: str, start: int):
    return [(m.group(0), start + m.start(), start + m.end()) for m in TOKEN.finditer(text[start:])]


def find_clause(sentence: str, position: int, verb: str) -> Optional[int]:
    """Where the content clause after a reporting verb starts, or None if there is none."""
    tokens = _tokens(sentence, position)
    verb = re.sub(r"\s+", " ", verb.lower())
    index, state = 0, "start"
    if verb in OBJECT_VERBS and tokens and tokens[0][0].lower() not in {"that", "of"} | PREPOSITIONS:
        index = 1
        while index < len(tokens) and index < 4 and (tokens[index][0][:1].isupper()) and tokens[index][0][0] != MASK:
            index += 1
        state = "object"
    while index < len(tokens) and index < 24:
        word, start, _ = tokens[index]
        lower = word.lower()
        following = [t[0].lower() for t in tokens[index + 1:index + 4]]
        if lower == "that":
            return tokens[index + 1][1] if index + 1 < len(tokens) else None
        if lower == "whether" or lower == "if" and state == "start":
            return start
        if lower == "to" and state == "start" and verb in INFINITIVE_VERBS:
            return start
        if lower in PRONOUN_SUBJECTS and following and (following[0] in VERBISH or following[0].endswith("ed")
                                                          or (lower != "it" and following[0].endswith("s"))):
            return start
        if state == "start" and len(lower) > 4 and lower.endswith("ly") and lower not in {"early", "only"}:
            index += 1  # an adverb: "complained loudly that …"
            continue
        if lower in PREPOSITIONS or word in ",;—–" or lower in {"the", "a", "an", "his", "her", "their"} and state == "pp":
            state = "pp"
            index += 1
            continue
        if state == "pp":
            if (word[:1].isupper() or word[0] == MASK) and any(f in VERBISH for f in following[:3]) \
                    and not any(f in PREPOSITIONS for f in following[:2]):
                return start
            index += 1
            continue
        if verb in NEEDS_THAT or verb in EVALUATIVE:
            return None
        if verb in CHECK_BARE and not _finite_verb_ahead(tokens[index:index + 10]):
            return None  # "reported the news": a noun phrase, not a clause
        return start  # a bare complement clause: "said NATO members were friends"
    return None


def _finite_verb_ahead(tokens) -> bool:
    """Whether a finite verb follows within the tokens, before a comma: the words are a clause."""
    for word, _, _ in tokens:
        if word in ",;—–":
            return False
        if word.lower() in VERBISH or word.lower().endswith("ed") and len(word) > 4:
            return True
    return False


_AFTER_PREPOSITION = re.compile(r"\b(?:in|at|by|to|from|of|for|with|on|about|against|over|into|than|like|via|"
                                r"during|under|between|among|toward|towards|after|before|near|across)\s+(?:the\s+)?$",
                                re.IGNORECASE)


def first_mention(sentence: str, accept: Callable[[str], bool], subjects_only: bool = False) -> Optional[str]:
    """The first speaker-like mention in a sentence (for participle clauses); with `subjects_only`, none
    that follows a preposition ("in Brussels", "by Ukraine")."""
    for match in re.finditer(r"\b(?:he|she)\b|" + NAME_RUN.pattern, sentence):
        if subjects_only and _AFTER_PREPOSITION.search(sentence[max(0, match.start() - 20):match.start()]):
            continue
        words = match.group(0).split()
        while words and words[0].lower() in SENTENCE_STARTERS | set(WEEKDAYS) | MONTHS:
            words.pop(0)
        for size in range(len(words), 0, -1):
            candidate = " ".join(words[:size])
            if accept(candidate):
                return candidate
    return None



def lead_length(sentence: str) -> int:
    """Length of a sentence-opening connective ("However, ") that is not part of a clause."""
    match = re.match(r"\s*(?:(?:However|But|And|Yet|Still|Meanwhile|So|At the same time|Instead),?\s+)?", sentence)
    return match.end()
