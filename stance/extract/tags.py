"""Speaker-tag helpers shared by the grammar: verbs that introduce quotations only, and a same-length
view of a tag with the noise that breaks name matching blanked out."""

from __future__ import annotations

import re
from typing import Optional

# Verbs that attribute a quotation ("…," she tweeted) but seldom a bare content clause; in indirect
# speech they need "that".
QUOTE_VERBS = set(("tweeted posted continued continues concluded concludes remarked joked quipped shouted chanted "
                   "exclaimed exclaims observed recounted recounts elaborated elaborates retorted scoffed boasted "
                   "lamented added writes wrote says say tells").split())  # no "-s" forms that are also nouns

# A short parenthetical inside a tag: "Rep. Jane Doe (D-Mo.) said", "Doe (pictured) said".
_PARENTHETICAL = re.compile(r"\s\([^()\n]{1,40}\)")
# Abbreviations whose full stop is no sentence end: titles, initials, "U.S.".
_ABBREVIATION = re.compile(r"\b(?:Sen|Rep|Reps|Gov|Gen|Lt|Col|Dr|Mr|Mrs|Ms|Sgt|Capt|Adm|Maj|Prof|Rev|St|Jr|Sr|Sens|"
                           r"Atty|Supt|Cmdr|Insp|Hon|No|[A-Z])\.(?=\s|[A-Z]\.)")


def tag_view(text: str) -> str:
    """`text` with short parentheticals blanked and abbreviation stops turned into spaces (same length,
    so offsets into it are offsets into `text`)."""
    text = _PARENTHETICAL.sub(lambda m: " " * len(m.group(0)), text)
    return _ABBREVIATION.sub(lambda m: m.group(0)[:-1] + " ", text)


_NAME = r"(?:(?:[A-Z][\w’'.-]*|of|the|de|van|von|bin|al)\s+){0,4}[A-Z][\w’'-]*"
# `…," Hannity barked.`: after a quotation that ends open (comma, question or exclamation mark), a name
# and a past-tense verb that is not in the verb lists still attribute it.
_ANY_VERB_TAG = re.compile(r"(" + _NAME + r"|[Hh]e|[Ss]he)\s+(?:then\s+|also\s+)?([a-z]{3,}ed|(?:shot|hit|fired|went|cut|broke|chimed|"
                           r"spoke|piped)\s+(?:back|on|in|up))\b"
                           r"(?=\s*(?:[.,;:!?]|$)|\s+(?:and|as|to|in|at|on|before|after|while|with|from|back|"
                           r"during|of|about)\b)")
# `Jane Doe, legal director of the Harbour Trust, said`: the name before a descriptive appositive.
_APPOSITIVE = re.compile(r"\s*(?:[a-z]+\s+){0,3}?(" + _NAME + r")\s*,\s*(?:[a-z0-9]|[A-Z]\w*[’'](?:s\s|\s)|(?:a|an|the|one|another)\s)"
                         r"[^,;]{0,160},\s*")


# `…," opined Jane Doe.`: after an open-ended quotation, a past-tense or present verb, then a name.
_ANY_VERB_INVERTED = re.compile(r"(?:[a-z]{3,}ed|[a-z]{3,}[^s\W]s)\s+((?:[A-Z][\w’'.-]*\s+){0,3}[A-Z][\w’'-]*)(?=\s*(?:[.,;]|$))")


def any_verb_inverted(head: str) -> Optional[str]:
    """The name in a `verbed Name` tag opening `head` (the text after an open-ended quotation), or None."""
    match = _ANY_VERB_INVERTED.match(head)
    return match.group(1) if match else None


def any_verb_tag(head: str) -> Optional[re.Match]:
    """A `Name verbed` tag opening `head` (the text after an open-ended quotation), or None."""
    match = _ANY_VERB_TAG.match(head)
    if match and match.group(1).split()[0].lower() not in {"the", "this", "that", "it", "they", "we", "i"}:
        return match
    return None


def appositive_subject(pre: str) -> Optional[str]:
    """The name in `Name, appositive,` (the text between a quotation and its verb), or None."""
    match = _APPOSITIVE.fullmatch(pre)
    return match.group(1) if match else None


_ENDS_IN_ABBREVIATION = re.compile(r"\b(?:Sen|Rep|Reps|Gov|Gen|Lt|Col|Dr|Mr|Mrs|Ms|Sgt|Capt|Adm|Maj|Prof|Rev|St|"
                                   r"Atty|Hon|[A-Z])\.$")


def ends_in_abbreviation(text: str) -> bool:
    """Whether `text` ends with a title or an initial ("said Sen.") that a segmenter may take for a stop."""
    return bool(_ENDS_IN_ABBREVIATION.search(text[-6:]))
