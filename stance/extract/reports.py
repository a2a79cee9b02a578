"""Reported speech in a sentence: an ordered list of small constructions, each a function.

`find_reports` reads a (masked) sentence: for every reporting verb it tries the verb constructions of
`VERB_RULES` in order, and the first that claims the verb decides (a list of reports, possibly empty:
"not a report"); then the sentence constructions of `SENTENCE_RULES` (participles, `according to X`) add
theirs; finally each clause is cut where a later report begins. General English patterns, no
article-specific strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, NamedTuple, Optional

from stance.extract.grammar import find_clause, lead_length, strip_fillers, trailing_subject
from stance.extract.lexicon import (ACCORDING, ACT_END, ACT_PARTICIPLE, ACT_VERB, ACT_VERBS, BARE_ACT_OBJECT, EVALUATIVE,
                                    MASK, NOUN_LIKE_ACTS, OBJECT_FIRST_ACTS, PARTICIPLE, TAG_REACH, VERB)


@dataclass
class Report:
    """One reporting construction in a sentence: who, where the verb is, what was reported."""

    subject: Optional[str]
    verb_start: int
    clause: tuple[int, int]
    coordinated: bool = False
    subject_start: int = -1  # "… and said …": shares the subject of the report before it
    construction: str = ""  # the name of the rule that found it


class VerbSite(NamedTuple):
    """A reporting verb in a sentence, with what the verb constructions look at."""

    sentence: str
    verb: str  # lower case, single-spaced
    start: int
    end: int
    left: str  # the sentence before the verb
    coordinated: bool  # "… and said": the subject is the previous report's
    subject: Optional[str]  # the noun phrase ending `left`, if it can be a speaker
    subject_start: int


Accept = Callable[[str], bool]
# A verb construction: None when it does not apply (the next one is tried), else the reports it makes.
VerbRule = Callable[[VerbSite, Accept], Optional[list[Report]]]


def _report(site: VerbSite, clause: tuple[int, int], rule: str) -> Report:
    return Report(site.subject, site.start, clause, site.coordinated, site.subject_start, rule)


def not_a_report(site: VerbSite, accept: Accept) -> Optional[list[Report]]:
    """`so-called`, a passive (`is said to`) or `quoted`: no report of this verb."""
    if site.sentence[site.start - 1:site.start] == "-" or site.verb == "quoted":
        return []
    if re.search(r"\b(?:is|are|was|were|be|been|being)\s*$", site.left):
        return []
    return None


def as_tag(site: VerbSite, accept: Accept) -> Optional[list[Report]]:
    """`NATO is strong, as the minister said`: the clause before `as`."""
    left = site.left
    if not (re.search(r",\s*as\s+$", left) or re.search(r"\bas\s+$", left)
            and re.search(r",\s*as\s+\S+(?:\s+\S+){0,3}\s*$", left)):
        return None
    tag = re.search(r",\s*as\s+(.+)$", left)
    if tag and accept(tag.group(1)):
        return [Report(tag.group(1), site.start, (0, tag.start()), construction="as_tag")]
    return []


_INVERTED = re.compile(r"\s+((?:the\s+|Mr\.?\s+|Ms\.?\s+)?[A-Z][^,.;]*?|he|she)"
                       r"(?=\s+(?:in|on|at|during|of|to|via|after|before|while)\b|[,.;]|$)")


def inverted_tag(site: VerbSite, accept: Accept) -> Optional[list[Report]]:
    """`The plan works, said the minister`: a speaker after the verb, the clause before it."""
    if site.subject is not None or site.coordinated:
        return None
    inverted = _INVERTED.match(site.sentence[site.end:])
    if inverted and re.search(r",\s*$", site.left) and accept(inverted.group(1)):
        clause = (lead_length(site.sentence), len(site.left.rstrip().rstrip(",")))
        return [Report(inverted.group(1).strip(), site.start, clause, construction="inverted_tag")]
    return None


def unaccepted_subject(site: VerbSite, accept: Accept) -> Optional[list[Report]]:
    """A subject that cannot be a speaker (`The report said`): no report."""
    return [] if site.subject is not None and not accept(site.subject) else None


def evaluative(site: VerbSite, accept: Accept) -> Optional[list[Report]]:
    """`X called it “a disgrace”`: an evaluative verb reports the quotation that follows it closely."""
    if site.verb not in EVALUATIVE:
        return None
    rest = site.sentence[site.end:]
    if MASK not in rest[:TAG_REACH]:
        return act_phrase(site, accept) or []  # "praised the plan for …": the verb phrase
    return [_report(site, (site.end, site.end + rest.rfind(MASK) + 1), "evaluative")]


def _ends_at_verb(site: VerbSite) -> bool:
    return bool(re.match(r"\s*(?:,|\.|$)", site.sentence[site.end:]))


def introduces_quotation(site: VerbSite, accept: Accept) -> Optional[list[Report]]:
    """`X said, “…”`: a direct statement, found with the quotations."""
    if _ends_at_verb(site) and re.match(r"\s*,?\s*" + MASK, site.sentence[site.end:]):
        return []
    return None


def relative_clause(site: VerbSite, accept: Accept) -> Optional[list[Report]]:
    """`ambitions, which the leader denies.`: a relative clause, not a speaker tag."""
    if _ends_at_verb(site) and site.subject is not None and \
            re.search(r"\b(?:which|that|what|whom)\s+" + re.escape(site.subject) + r"\s*$", site.left.rstrip()):
        return []
    return None


# After a trailing tag's verb: its circumstances ("said in a statement on Tuesday", "told lawmakers",
# "said Wednesday, as …"), never a clause of its own.
_TAG_TAIL = re.compile(r"(?:\s+(?:in|on|at|during|to|after|before|while|from|with|via|last|this|earlier|later|late|"
                       r"early|yesterday|today|tonight|reporters|journalists|lawmakers|\w+day)\b"
                       r"[^,;.!?]{0,100}?)?\s*(?:[,;.!?]|$)")
_TOLD_WHOM = re.compile(r"\s+(?:the\s+)?(?:[A-Z][\w’'-]*\s*){1,4}")
_NO_CLAUSE_OPENING = re.compile(r"\s*(?:asked|speaking|regarding|attending|ahead|since|while|after|before|following|"
                                r"in|on|at|during|with|from|by|for|despite|amid|when|as|\w+ing)\b", re.IGNORECASE)


def _tag_tail(site: VerbSite) -> bool:
    """Whether the verb ends a speaker tag: nothing after it but circumstances up to a comma or stop
    ("said in a statement on Tuesday", "told Jane Doe in their first meeting")."""
    rest = site.sentence[site.end:]
    whom = _TOLD_WHOM.match(rest) if site.verb in ("told", "tells") else None
    tail = _TAG_TAIL.match(rest, whom.end() if whom else 0)
    return bool(tail) and not re.search(r"\b(?:that|whether|if|how|why|what|when)\b", tail.group(0))


def _reported_clause(text: str) -> bool:
    """Whether the words before a trailing tag can be what was said: five words or more, not an opening
    phrase ("In his televised speech, X said …")."""
    return len(text.split()) >= 5 and not _NO_CLAUSE_OPENING.match(text)


def trailing_tag(site: VerbSite, accept: Accept) -> Optional[list[Report]]:
    """`Those efforts prompted more spending, he said, but …`, `The plan works, the minister said in a
    statement on Tuesday.`: the clause before the tag."""
    if site.subject is None or not re.search(r",\s*\S", site.left):
        return None
    if not _ends_at_verb(site):
        clause = (lead_length(site.sentence), site.left.rstrip().rfind(","))
        if not (_tag_tail(site) and re.search(r",\s*" + re.escape(site.subject) + r"\s*$", strip_fillers(site.left))
                and _reported_clause(site.sentence[clause[0]:clause[1]])):
            return None
        return [Report(site.subject, site.start, clause, False, site.subject_start, "trailing_tag")]
    tag_start = site.left.rstrip().rfind(",")
    clause_end = len(site.sentence)
    rest = site.sentence[site.end:].lstrip(" ,")
    if not rest.startswith(("but", "and")) or MASK not in rest:
        clause_end = tag_start
    return [Report(site.subject, site.start, (lead_length(site.sentence), clause_end), False, site.subject_start,
                   "trailing_tag")]


def content_clause(site: VerbSite, accept: Accept) -> Optional[list[Report]]:
    """`X said (that) …`, `X told reporters he would …`, `X questioned whether …`, `X pledged to …`."""
    clause_start = find_clause(site.sentence, site.end, site.verb)
    if clause_start is None:
        return None
    return [_report(site, (clause_start, len(site.sentence)), "content_clause")]


MIN_ACT_WORDS = 4  # "praised the plan": a verb phrase shorter than this carries no content


_SUBORDINATE = re.compile(r"\s*(?:after|when|before|as|while|since|once|although|though|because|if|until)\b", re.IGNORECASE)


def act_phrase(site: VerbSite, accept: Accept) -> Optional[list[Report]]:
    """`X expressed approval of …`, `X praised Y for …`, `X called for …`, `X urged Y to …`: a report
    whose content is the verb phrase itself; it runs from the verb to the end of the phrase."""
    if site.subject is None and not site.coordinated:
        return None
    if site.verb not in ACT_VERBS and not ACT_VERB.fullmatch(site.verb):
        return None
    if site.subject is None and not site.verb.endswith(("ed", "sought")) or site.verb in NOUN_LIKE_ACTS and (
            site.subject is None or site.subject.endswith(("'s", "’s", "'", "’"))):
        return None  # "Trump's demands and …": a noun, not a verb
    if re.match(r"\s+to\b", site.sentence[site.end:]) and site.verb in {"opposed", "agreed", "objected"} \
            and site.subject and not site.subject.islower() and site.left.rstrip().endswith(site.subject) \
            and len(site.subject.split()) == 1 and site.subject.endswith("s"):
        return None  # "Okinawans opposed to the move …": an adjective
    rest = site.sentence[site.end:]
    if re.match(r"\s+by\b", rest) or site.verb in OBJECT_FIRST_ACTS and re.match(r"\s+(?:of|for|as)\b", rest):
        return None  # a passive: "Putin accused of war crimes"
    end = ACT_END.search(rest)
    if re.search(r"\bwho\s*$", strip_fillers(site.left)) or _SUBORDINATE.match(site.left) and "," not in site.left:
        # inside a relative or an opening subordinate clause ("After Doe criticised the toll, …"): it ends at its comma
        end = re.search(r",|" + ACT_END.pattern, rest)
    phrase_end = site.end + (end.start() if end else len(rest.rstrip()))
    phrase = site.sentence[site.start:phrase_end]
    if len(phrase.split()) < MIN_ACT_WORDS or BARE_ACT_OBJECT.match(site.sentence[site.end:phrase_end]):
        return None
    return [_report(site, (site.start, phrase_end), "act_phrase")]


VERB_RULES: list[VerbRule] = [not_a_report, as_tag, inverted_tag, unaccepted_subject, evaluative,
                              introduces_quotation, relative_clause, trailing_tag, content_clause, act_phrase]
# Verbs of acts only (not in the reporting-verb list): a subject that can speak, then the verb phrase.
ACT_RULES: list[VerbRule] = [not_a_report, unaccepted_subject, act_phrase]


def verb_site(sentence: str, match: re.Match) -> VerbSite:
    """The site of one reporting verb: the verb, the text before it and its subject."""
    v_start, v_end = match.start(), match.end()
    left = sentence[:v_start]
    coordinated = bool(re.search(r"\b(?:and|but)\s+(?:also\s+)?$", left))
    as_clause = re.search(r",\s*as\s+$", left) or re.search(r"\bas\s+$", left) \
        and re.search(r",\s*as\s+\S+(?:\s+\S+){0,3}\s*$", left)
    subject = None if coordinated or as_clause else trailing_subject(left) or relative_subject(left)
    subject_start = left.rfind(subject) if subject else v_start
    return VerbSite(sentence, re.sub(r"\s+", " ", match.group(1).lower()), v_start, v_end, left, coordinated,
                    subject, subject_start)


_RELATIVE = re.compile(r"(.*?\S)\s*[,—–-]?\s+who\s*$")


def relative_subject(left: str) -> Optional[str]:
    """The person a relative clause is about: "Trump, who has long praised …" gives Trump."""
    match = _RELATIVE.fullmatch(strip_fillers(left))
    return trailing_subject(match.group(1).rstrip(" ,—–-")) if match else None


def act_participles(sentence: str, accept: Accept) -> list[Report]:
    """`…, expressing support for …`, `… and threatening to …`: an act with no subject of its own."""
    reports = []
    for match in ACT_PARTICIPLE.finditer(sentence):
        end = ACT_END.search(sentence, match.end())
        phrase_end = end.start() if end else len(sentence.rstrip())
        if len(sentence[match.start(1):phrase_end].split()) >= MIN_ACT_WORDS:
            reports.append(Report(None, match.start(1), (match.start(1), phrase_end), construction="act_participle"))
    return reports


def participle_reports(sentence: str, accept: Accept) -> list[Report]:
    """`…, saying the plan works`: a clause with no subject of its own."""
    reports = []
    for match in PARTICIPLE.finditer(sentence):
        verb = match.group(1).lower()
        clause_start = find_clause(sentence, match.end(1), "said" if verb != "calling" else "called-bare")
        if clause_start is not None:
            reports.append(Report(None, match.start(1), (clause_start, len(sentence)), construction="participle"))
    return reports


def according_to(sentence: str, accept: Accept) -> list[Report]:
    """`…, according to X` and `According to X, …`."""
    reports = []
    for match in ACCORDING.finditer(sentence):
        source = match.group(1).strip()
        before = sentence[:match.start()].rstrip(" ,")
        if before:
            reports.append(Report(source, match.start(), (0, len(before)), construction="according_to"))
        else:
            after = sentence.find(",", match.end())
            if after > 0:
                reports.append(Report(source, match.start(), (after + 1, len(sentence)), construction="according_to"))
    return reports


SENTENCE_RULES: list[Callable[[str, Accept], list[Report]]] = [participle_reports, act_participles, according_to]


def find_reports(sentence: str, accept: Accept) -> list[Report]:
    """Every reporting construction in a (masked) sentence, with clause spans."""
    reports: list[Report] = []
    claimed = set()
    for match in VERB.finditer(sentence):
        if _apply(VERB_RULES, verb_site(sentence, match), accept, reports):
            claimed.add(match.start())
    for match in ACT_VERB.finditer(sentence):
        if match.start() not in claimed:
            _apply(ACT_RULES, verb_site(sentence, match), accept, reports)
    for sentence_rule in SENTENCE_RULES:
        reports += sentence_rule(sentence, accept)
    return clip_clauses(sentence, reports)


def _apply(rules: list[VerbRule], site: VerbSite, accept: Accept, reports: list[Report]) -> bool:
    """Try the rules in order; the first that claims the verb adds its reports. Whether one claimed it."""
    for rule in rules:
        found = rule(site, accept)
        if found is not None:
            reports += found
            return True
    return False


def clip_clauses(sentence: str, reports: list[Report]) -> list[Report]:
    """Each clause cut where the next coordinated report or participle begins, and before a trailing
    `, according to …`."""
    reports = sorted(reports, key=lambda r: r.verb_start)
    result = []
    for index, report in enumerate(reports):
        end = report.clause[1]
        for later in reports[index + 1:]:
            if report.clause[0] < later.verb_start < end:
                cut = _cut_before(sentence, report, later)
                if cut > report.clause[0]:
                    end = cut
                break
        end = min(end, _trailing_tag_start(sentence, report.clause[0], end))
        result.append(Report(report.subject, report.verb_start, (report.clause[0], end), report.coordinated,
                             report.subject_start, report.construction))
    return result


def _cut_before(sentence: str, report: Report, later: Report) -> int:
    """Where `report`'s clause ends because `later` begins inside it (-1: no cut)."""
    if later.coordinated:
        return max(sentence.rfind(" and ", report.clause[0], later.verb_start),
                   sentence.rfind(" but ", report.clause[0], later.verb_start))
    return max(sentence.rfind(",", report.clause[0], later.verb_start),
               later.subject_start if later.subject_start > report.clause[0] else -1)


def _trailing_tag_start(sentence: str, start: int, end: int) -> int:
    match = re.search(r",\s*according to\b[^,]*$", sentence[start:end])
    return start + match.start() if match else end
