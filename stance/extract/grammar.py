"""Surface patterns of attribution in English news: reporting verbs, speaker tags,
content clauses. Used by `stance.extract.extractor`; general English, no article-specific strings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, NamedTuple, Optional

from stance.extract.lexicon import (ACCORDING, EVALUATIVE, FILLER, FILLER_TAIL, INFINITIVE_VERBS, MASK, MONTHS,
                                    NAME_RUN, NEEDS_THAT, NP_WORDS, OBJECT_VERBS, PARTICIPLE, PREPOSITIONS,
                                    PRONOUN_SUBJECTS, SENTENCE_STARTERS, TAG_REACH, TOKEN, VERB, VERBISH, WEEKDAYS)
from stance.extract.tags import any_verb_inverted, any_verb_tag, appositive_subject, tag_view


class SpeakerTag(NamedTuple):
    """A speaker tag beside a quotation. `start`/`end` locate a tag after the quotation (relative to the
    text after it); a tag before the quotation has none. A participle ("…, adding: ") names no one:
    it continues the previous quotation's speaker."""

    mention: str
    start: int = -1
    end: int = 0
    participle: bool = False


@dataclass
class Report:
    """One reporting construction in a sentence: who, where the verb is, what was reported."""

    subject: Optional[str]
    verb_start: int
    clause: tuple[int, int]
    coordinated: bool = False
    subject_start: int = -1  # "… and said …": shares the subject of the report before it


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


def _strip_fillers(left: str) -> str:
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
    left = _strip_fillers(left.rstrip())
    if left.endswith(","):  # an appositive: "Trump, who is running for re-election, said"
        body = left[:-1]
        cut = body.rfind(",")
        appositive = body[cut + 1:].strip() if cut >= 0 else ""
        if cut >= 0 and appositive[:1].islower():
            left = _strip_fillers(body[:cut])
        else:
            return None
    words = re.findall(r"[\w’'.\[\]-]+|\S", left)
    run: list[str] = []
    for word in reversed(words):
        bare = word.strip("[]")
        lower = bare.lower().replace("’s", "").replace("'s", "")
        if not run and lower in PRONOUN_SUBJECTS - {"it", "there", "this", "washington"}:
            return word
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
        return start  # a bare complement clause: "said NATO members were friends"
    return None


def find_reports(sentence: str, accept: Callable[[str], bool]) -> list[Report]:
    """Every reporting construction in a (masked) sentence, with clause spans."""
    reports: list[Report] = []
    for match in VERB.finditer(sentence):
        verb, v_start, v_end = match.group(1), match.start(), match.end()
        lower = re.sub(r"\s+", " ", verb.lower())
        left = sentence[:v_start]
        if sentence[v_start - 1:v_start] == "-":
            continue  # "so-called"
        if re.search(r"\b(?:is|are|was|were|be|been|being)\s*$", left):
            continue  # passive: "is said to"
        if lower == "quoted":
            continue
        coordinated = bool(re.search(r"\b(?:and|but)\s+(?:also\s+)?$", left))
        if re.search(r",\s*as\s+$", left) or re.search(r"\bas\s+$", left) and re.search(r",\s*as\s+\S+(?:\s+\S+){0,3}\s*$", left):
            tag = re.search(r",\s*as\s+(.+)$", left)
            if tag and accept(tag.group(1)):
                reports.append(Report(tag.group(1), v_start, (0, tag.start())))
            continue
        subject = None if coordinated else trailing_subject(left)
        subject_start = left.rfind(subject) if subject else v_start
        if subject is None and not coordinated:
            inverted = re.match(r"\s+((?:the\s+|Mr\.?\s+|Ms\.?\s+)?[A-Z][^,.;]*?|he|she)(?=\s+(?:in|on|at|during|of|to|via|after|before|while)\b|[,.;]|$)",
                                sentence[v_end:])
            if inverted and re.search(r",\s*$", left) and accept(inverted.group(1)):
                start = _lead_length(sentence)
                reports.append(Report(inverted.group(1).strip(), v_start, (start, len(left.rstrip().rstrip(",")))))
                continue
        if subject is not None and not accept(subject):
            continue
        if lower in EVALUATIVE:
            rest = sentence[v_end:]
            if MASK not in rest[:TAG_REACH]:
                continue
            end = v_end + rest.rfind(MASK) + 1
            reports.append(Report(subject, v_start, (v_end, end), coordinated, subject_start))
            continue
        tail = re.match(r"\s*(?:,|\.|$)", sentence[v_end:])
        if tail and re.match(r"\s*,?\s*" + MASK, sentence[v_end:]):
            continue  # introduces a quotation: a direct statement, handled elsewhere
        if tail and subject is not None and re.search(r"\b(?:which|that|what|whom)\s+" + re.escape(subject) + r"\s*$", left.rstrip()):
            continue  # a relative clause ("ambitions, which the leader denies"), not a speaker tag
        if tail and subject is not None and re.search(r",\s*\S", left):
            # a trailing tag: "Those efforts prompted more spending, he said, but ..."
            tag_start = left.rstrip().rfind(",")
            clause_start = _lead_length(sentence)
            clause_end = len(sentence)
            rest = sentence[v_end:].lstrip(" ,")
            if not rest.startswith(("but", "and")) or MASK not in rest:
                clause_end = tag_start
            reports.append(Report(subject, v_start, (clause_start, clause_end), False, subject_start))
            continue
        clause_start = find_clause(sentence, v_end, lower)
        if clause_start is None:
            continue
        reports.append(Report(subject, v_start, (clause_start, len(sentence)), coordinated, subject_start))
    for match in PARTICIPLE.finditer(sentence):
        verb = match.group(1).lower()
        clause_start = find_clause(sentence, match.end(1), "said" if verb != "calling" else "called-bare")
        if clause_start is not None:
            reports.append(Report(None, match.start(1), (clause_start, len(sentence))))
    for match in ACCORDING.finditer(sentence):
        source = match.group(1).strip()
        before = sentence[:match.start()].rstrip(" ,")
        if before:
            reports.append(Report(source, match.start(), (0, len(before))))
        else:
            after = sentence.find(",", match.end())
            if after > 0:
                reports.append(Report(source, match.start(), (after + 1, len(sentence))))
    # A clause ends where the next coordinated report or participle begins.
    reports.sort(key=lambda r: r.verb_start)
    result = []
    for index, report in enumerate(reports):
        end = report.clause[1]
        for later in reports[index + 1:]:
            coordinated = later.coordinated
            if later.verb_start > report.clause[0] and later.verb_start < end:
                cut = sentence.rfind(" and ", report.clause[0], later.verb_start) if coordinated else -1
                cut = max(cut, sentence.rfind(" but ", report.clause[0], later.verb_start)) if coordinated else cut
                if not coordinated:
                    cut = max(sentence.rfind(",", report.clause[0], later.verb_start),
                              later.subject_start if later.subject_start > report.clause[0] else -1)
                if cut > report.clause[0]:
                    end = cut
                break
        end = min(end, _trailing_tag_start(sentence, report.clause[0], end))
        result.append(Report(report.subject, report.verb_start, (report.clause[0], end), report.coordinated, report.subject_start))
    return result


def _trailing_tag_start(sentence: str, start: int, end: int) -> int:
    match = re.search(r",\s*according to\b[^,]*$", sentence[start:end])
    return start + match.start() if match else end


def before_tag(before: str, quoted: str):
    """A speaker tag introducing a quotation: `Macron said: "…"`, `He added: "…"`,
    `… quoted X as saying "…"`. Returns a SpeakerTag (no span: it precedes the quotation) or None."""
    stripped = tag_view(before).rstrip()
    match = re.search(r"\bquoted\s+(.+?)\s+as\s+saying\s*[:,]?$", stripped)
    if match:
        return SpeakerTag(match.group(1))
    match = re.search(r"(?:^|,)\s*(adding|saying|insisting|stressing|warning)\s*[:,]?$", stripped, re.IGNORECASE)
    if match:
        return SpeakerTag("", participle=True)
    punctuated = stripped.endswith((":", ","))
    core = stripped.rstrip(":,").rstrip()
    core = _strip_fillers(core)
    verb = None
    for candidate in VERB.finditer(core):
        verb = candidate
    if verb is None:
        return None
    tail = core[verb.end():]
    if verb.group(1).lower() in EVALUATIVE or re.search(r"\bthat\s*$", tail):
        return None
    if tail.strip() and not re.fullmatch(r"(?:\s+(?:to|in|on|at|during|reporters|journalists|the|a|an|of|\w+day|[A-Z]\w*|"
                                         r"him|her|them|us|parliament|lawmakers|senators|earlier|later))+\s*", tail):
        return None
    if not punctuated and not (quoted[:1].isupper() and len(quoted.split()) >= 4):
        return None
    subject = trailing_subject(core[:verb.start()])
    if subject is None:
        return None
    return SpeakerTag(subject)


# After an inverted verb: a description with lower-case words, then a name of two or more capitalised words
# ending the phrase ("said master of ceremonies Jane Doe, a retired engineer").
_DESCRIBED_NAME = re.compile(r"\s*(?!(?:in|on|at|during|to|via|after|before|while|from|with|for|by|about|of|as)\b)(?:the\s+)?(?:[A-Za-z][\w’'-]*\s+){0,8}?(?<![’']s\s)(?<!\bto\s)(?<!\bof\s)(?<!\bfor\s)(?<!\bwith\s)(?<!\band\s)((?:[A-Z][\w’'-]*\s+){1,3}[A-Z][\w’'-]*)"
                             r"(?=\s*(?:[,;.]|$))")
_COMMON_SUBJECT = re.compile(r"\s*(?:a|an|one|another|the|some|several|two|three)\s+(?:[a-z][\w-]*\s+){0,2}[a-z][\w-]*\s*")


def after_tag(after: str, open_end: bool = False):
    """A speaker tag following a quotation: `," Trump said`, `," said Trump`,
    `" the US president said.` Returns a SpeakerTag (span relative to `after`) or None.
    `open_end`: the quotation ends with a comma, question or exclamation mark (`," X barked`)."""
    after = tag_view(after)
    match = re.match(r"[\s,.;:!?—–-]*", after)
    head = after[match.end():]
    other = any_verb_tag(head) if open_end else None
    if other and not VERB.fullmatch(other.group(2)):
        return SpeakerTag(other.group(1), match.end(), match.end() + other.end())
    inverted_name = any_verb_inverted(head) if open_end and not VERB.match(head) else None
    if inverted_name:  # '," opined Jane Doe.'
        return SpeakerTag(inverted_name, match.end(), match.end() + head.find(inverted_name) + len(inverted_name))
    quoted = re.match(r"([^.;]{1,80}?)\s+quoted\s+(.+?)\s+as\s+saying\b", head)
    if quoted:
        return SpeakerTag(quoted.group(2), match.end(), match.end() + quoted.end())
    verb = VERB.search(head[:TAG_REACH])
    if verb is None or verb.group(1).lower() in EVALUATIVE:
        return None
    pre = head[:verb.start()]
    if pre.strip():
        subject = trailing_subject(pre)
        if subject is None and _COMMON_SUBJECT.fullmatch(pre):
            subject = pre.strip()  # "one resident said": kept, its speaker left for resolution (often unknown)
        appositive = appositive_subject(pre)
        if appositive:
            pre = subject = appositive
        if subject is not None:
            subject = " ".join(subject.split())
        if subject is None or len(pre.split()) > 10 or "." in re.sub(r"\b[A-Z]\.", "", pre.replace("Mr.", "").replace("Ms.", "").replace("U.S.", "")) \
                and not re.search(r"\b(?:Mr|Ms|Mrs|Dr|U\.S)\.", pre):
            return None
        # tag_view leaves a double space where a title's stop was ("Gov.  Jane Doe"): compare words
        if " ".join(pre.split()) != subject and not " ".join(_strip_fillers(pre.rstrip()).split()).endswith(subject):
            return None
    else:
        inverted = re.match(r"\s*((?:the\s+|Mr\.?\s+|Ms\.?\s+)?[\w’'.-]+(?:\s+[A-Z\w][\w’'.-]*){0,5}?)(?=\s+(?:in|on|at|during|of|to|via|after|before|while|who)\b|\s*[,.;]|$)",
                            head[verb.end():])
        described = None
        if not inverted or inverted.group(1)[:1].islower() and not inverted.group(1).startswith("the "):
            described = _DESCRIBED_NAME.match(head[verb.end():])
        if described:  # "said former secretary of state Jane Doe": the name after its description
            subject = " ".join(described.group(1).split())
        elif not inverted:
            return None
        else:
            subject = re.sub(r"(?<=[a-z]{2})\.$", "", inverted.group(1))  # the sentence's full stop
    stop = match.end() + verb.end()
    rest = after[stop:]
    cut = re.search(r",\s*(?:while|adding|saying|stressing|and|but|referring|noting|warning|insisting|calling)\b|[.!?](?:\s|$)", rest)
    stop += cut.start() if cut else len(rest)
    return SpeakerTag(subject, match.end(), stop)


def first_mention(sentence: str, accept: Callable[[str], bool]) -> Optional[str]:
    """The first speaker-like mention in a sentence (for participle clauses)."""
    for match in re.finditer(r"\b(?:he|she)\b|" + NAME_RUN.pattern, sentence):
        words = match.group(0).split()
        while words and words[0].lower() in SENTENCE_STARTERS | set(WEEKDAYS) | MONTHS:
            words.pop(0)
        for size in range(len(words), 0, -1):
            candidate = " ".join(words[:size])
            if accept(candidate):
                return candidate
    return None


def _lead_length(sentence: str) -> int:
    """Length of a sentence-opening connective ("However, ") that is not part of a clause."""
    match = re.match(r"\s*(?:(?:However|But|And|Yet|Still|Meanwhile|So|At the same time|Instead),?\s+)?", sentence)
    return match.end()
