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

from stance.extract.grammar import find_clause, lead_length, trailing_subject
from stance.extract.lexicon import ACCORDING, EVALUATIVE, MASK, PARTICIPLE, TAG_REACH, VERB


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
        return []
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


def trailing_tag(site: VerbSite, accept: Accept) -> Optional[list[Report]]:
    """`Those efforts prompted more spending, he said, but …`: the clause before the tag."""
    if not (_ends_at_verb(site) and site.subject is not None and re.search(r",\s*\S", site.left)):
        return None
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
        return []
    return [_report(site, (clause_start, len(site.sentence)), "content_clause")]


VERB_RULES: list[VerbRule] = [not_a_report, as_tag, inverted_tag, unaccepted_subject, evaluative,
                              introduces_quotation, relative_clause, trailing_tag, content_clause]


def verb_site(sentence: str, match: re.Match) -> VerbSite:
    """The site of one reporting verb: the verb, the text before it and its subject."""
    v_start, v_end = match.start(), match.end()
    left = sentence[:v_start]
    coordinated = bool(re.search(r"\b(?:and|but)\s+(?:also\s+)?$", left))
    as_clause = re.search(r",\s*as\s+$", left) or re.search(r"\bas\s+$", left) \
        and re.search(r",\s*as\s+\S+(?:\s+\S+){0,3}\s*$", left)
    subject = None if coordinated or as_clause else trailing_subject(left)
    subject_start = left.rfind(subject) if subject else v_start
    return VerbSite(sentence, re.sub(r"\s+", " ", match.group(1).lower()), v_start, v_end, left, coordinated,
                    subject, subject_start)


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


SENTENCE_RULES: list[Callable[[str, Accept], list[Report]]] = [participle_reports, according_to]


def find_reports(sentence: str, accept: Accept) -> list[Report]:
    """Every reporting construction in a (masked) sentence, with clause spans."""
    reports: list[Report] = []
    for match in VERB.finditer(sentence):
        site = verb_site(sentence, match)
        for rule in VERB_RULES:
            found = rule(site, accept)
            if found is not None:
                reports += found
                break
    for sentence_rule in SENTENCE_RULES:
        reports += sentence_rule(sentence, accept)
    return clip_clauses(sentence, reports)


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
