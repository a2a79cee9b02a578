"""Speaker tags of quotations: the tag before a quotation (`Macron said: "…"`) and after it
(`," Trump said`, `," said Trump`, `," opined Jane Doe`). General English, no article-specific strings."""

from __future__ import annotations

import re
from typing import NamedTuple

from stance.extract.grammar import strip_fillers, trailing_subject
from stance.extract.lexicon import EVALUATIVE, TAG_REACH, VERB
from stance.extract.tags import any_verb_inverted, any_verb_tag, appositive_subject, tag_view


class SpeakerTag(NamedTuple):
    """A speaker tag beside a quotation. `start`/`end` locate a tag after the quotation (relative to the
    text after it); a tag before the quotation has none. A participle ("…, adding: ") names no one:
    it continues the previous quotation's speaker."""

    mention: str
    start: int = -1
    end: int = 0
    participle: bool = False



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
    core = strip_fillers(core)
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
        if " ".join(pre.split()) != subject and not " ".join(strip_fillers(pre.rstrip()).split()).endswith(subject):
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


