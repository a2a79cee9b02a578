"""Speaker resolution: turn a mention as written into a canonical actor.

Mentions come as full names with titles ("Danish Prime Minister Mette
Frederiksen"), surnames ("Mr Trump"), role descriptions ("the US president"),
unnamed bodies ("a NATO spokesperson") or pronouns. The actor registry
(configs/actors.yaml) gives canonical names, aliases and dated roles; names not
in it resolve to the fullest form of the name seen in the same article.
"""

from __future__ import annotations

import re
from typing import Optional

from stance.extract.names import (BODY_NOUNS, FUNCTION_WORDS, GROUP_NOUNS, NAME_PARTICLES, ORGANISATION_WORDS,  # noqa: F401 (re-exported)
                                  SPEAKING_ORGANISATIONS, TITLE_WORDS, body_of_spokesperson, initial, person_name)
from stance.extract.registry import ActorRegistry, RoleSpan, load_registry, normalise_phrase  # noqa: F401 (re-exported)
from stance.extract.roles import ROLE_HEADS, RoleIndex, names_a_past_holder, registry_role_holder

UNKNOWN = "unknown"
PRONOUNS = {"he", "she", "him", "her"}

_PAIR = re.compile(r"((?:[A-Z][\w’'.-]+[ \t]+){0,3}[A-Z][\w’'-]+)[ \t]+and[ \t]+((?:[A-Z][\w’'.-]+[ \t]+){0,3}[A-Z][\w’'-]+)")
_QUANTIFIER = re.compile(r"^(?:several|some|many|a\s+few|few|two|three|four|five|\d+)\s+", re.IGNORECASE)
PAIR_WINDOW = 400  # "they" is the two people named together within this many characters before
_ORGANISATION_NAME = re.compile(r"(?:[A-Z][\w’'.&-]*\s+(?:(?:of|for|the|and|on)\s+)*)*[A-Z][\w’'.&-]*$")
# "Prime Minister Jane Doe of the Harbour Party", "Sen. Jane Doe of Ohio": the person, not the party or place.
_OF_PLACE = re.compile(r"\s+of\s+(?:the\s+)?[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){0,4}\s*$")


def _without_of_place(mention: str) -> str:
    """A mention without the place or organisation after its person's name ("Jane Doe of Ohio" -> "Jane Doe")."""
    match = _OF_PLACE.search(mention)
    if match:
        name = person_name(mention[:match.start()])
        if name and " " in name:
            return mention[:match.start()]
    return mention
# Bodies named only by kind.
_MINISTRY_KINDS = {"foreign ministry", "defense ministry", "defence ministry", "ministry of foreign affairs",
                   "ministry of defense", "ministry of defence", "foreign office"}
_BARE_SOURCES = {"official", "officials", "spokesperson", "spokesman", "spokeswoman", "source", "sources", "readout",
                 "statement", "diplomat"}
_OFFICIAL_OF = re.compile(r"\b(?:[Aa]n?|[Tt]he|[Oo]ne)[ \t]+(?:(?:senior|top|chief|deputy|unnamed|anonymous|press)[ \t]+)*"
                          r"(?:[A-Z][\w.’'-]*[ \t]+){1,4}(?:government[ \t]+)?(?:official|spokesperson|spokesman|"
                          r"spokeswoman|source)s?\b")
# Title words that may stand before a name in an introduction ("former prime minister Jane Doe").
_TITLE_VOCABULARY = TITLE_WORDS - {"the", "a", "an", "his", "her", "their", "its", "and", "for", "of"}
_HONORIFIC = re.compile(r"^(?:mr|mrs|ms|dr|sir)\.?\s+", re.IGNORECASE)




# A news organisation named by kind ("the newspaper reported"), and a government named by kind.
OUTLET_NOUNS = {"newspaper", "paper", "agency", "news agency", "broadcaster", "outlet", "network", "wire service",
                "daily", "magazine", "report", "reports"}
GOVERNMENT_NOUNS = {"government", "administration", "cabinet"}
_DATELINE = re.compile(r"\s+[A-Z][A-Z.'-]{2,}(?:\s+[A-Z][A-Z.'-]{2,})*$")


def _without_dateline(phrase: str, mention: str) -> tuple[str, str]:
    """A mention without the all-capitals dateline glued to its end ("Trump BRUSSELS" is Trump)."""
    match = _DATELINE.search(mention)
    if not match or not mention[:match.start()].strip():
        return phrase, mention
    mention = mention[:match.start()]
    return normalise_phrase(mention), mention


def _all_capitals(mention: str) -> bool:
    """A mention in capitals longer than an acronym: a dateline or a headline, not a name."""
    letters = re.sub(r"[^A-Za-z]", "", mention)
    return len(letters) > 5 and letters.isupper()


def _name_runs(text: str):
    return re.findall(r"\b[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){0,3}", text)


def _most_named_country(registry: ActorRegistry, text: str) -> Optional[str]:
    """The country the article names most often (by name, demonym or capital), or None."""
    counts: dict[str, int] = {}
    for word in re.findall(r"\b[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)?", text):
        for candidate in (word, word.split()[0]):
            country = registry.countries.get(normalise_phrase(candidate))
            if country:
                counts[country] = counts.get(country, 0) + 1
                break
    return max(counts, key=counts.get) if counts else None


def _capitalised_words(text: str) -> set[str]:
    return set(re.findall(r"\b[A-Z][\w’'-]+", text))


class ArticleSpeakers:
    """Resolves speaker mentions within one article, remembering who was named."""

    def __init__(self, registry: ActorRegistry, article_text: str, date: Optional[str]):
        self.registry = registry
        self.date = date
        self.text = article_text
        self._roles = None  # the article's role introductions, built on the first role mention
        self._offices: Optional[dict] = None  # registry office -> its holder on the date, of those the article names
        self._officials: Optional[list] = None  # (position, body) of each unnamed official named
        self.full_names: list[str] = [n for n in self._collect_names(article_text) if not self._not_a_person(n)]
        self.by_surname: dict[str, list[str]] = {}
        self.by_first: dict[str, list[str]] = {}
        for name in dict.fromkeys(self.full_names):  # each name once: long articles repeat them
            self.by_surname.setdefault(name.split()[-1], []).append(name)
            self.by_first.setdefault(name.split()[0], []).append(name)
        self.last_speaker: Optional[str] = None
        # registry actors the article names: they settle a role that changed hands within the article's month
        self.named = frozenset(registry.aliases[normalise_phrase(name)] for name in [*self.full_names, *_capitalised_words(article_text)]
                               if normalise_phrase(name) in registry.aliases)
        self.outlets_named = sorted({registry.outlets[normalise_phrase(m)] for m in _name_runs(article_text)
                                     if normalise_phrase(m) in registry.outlets})
        self.main_country = _most_named_country(registry, article_text)

    def _not_a_person(self, name: str) -> bool:
        """A place, a country, an outlet or a body, not a person."""
        phrase = normalise_phrase(name)
        registry = self.registry
        if phrase in registry.aliases:
            return False
        return phrase in registry.places or phrase in registry.countries or phrase in registry.outlets \
            or phrase in registry.bodies or bool(phrase) and phrase.split()[-1] in ORGANISATION_WORDS

    @staticmethod
    def _collect_names(text: str) -> list[str]:
        """Multi-word capitalised names in the article, used to expand surnames."""
        names = []
        # within a paragraph: a headline's last name and the next paragraph's first are two names
        for match in re.finditer(r"\b(?:[A-Z][\w’'-]+|[A-Z]\.)(?:(?:[ \t]+|[ \t]*\n[ \t]*)(?:[A-Z][\w’'-]+|[A-Z]\.|von|van|der|de|la|bin)){1,6}", text):
            name = person_name(re.sub(r"[’']s$", "", match.group(0)))  # "Jane Doe’s deal" names Jane Doe
            if name and " " in name:
                names.append(name)
        return names

    def _expand(self, name: str) -> str:
        tokens = name.split()
        for k in range(len(tokens)):  # "Oval Office Trump": a known name at the end wins
            canonical = self.registry.aliases.get(normalise_phrase(" ".join(tokens[k:])))
            if canonical and not (k == len(tokens) - 1 == 1 and normalise_phrase(tokens[0]) not in self.registry.aliases
                                  and initial(tokens[0]) not in {initial(w) for w in canonical.split()}):
                return canonical  # ("Jane Nielsen" is not the registry's Jens Nielsen)
        last = name.split()[-1]
        longer = [n for n in self.by_surname.get(last, ()) if len(n) > len(name)]
        if not longer and " " not in name and not name.isupper():
            # a first name alone ("Hillary said") when exactly one person of that first name is named in full
            # (two words, the second no title or body noun: "Fox" is not "Fox Studio Tour")
            firsts = {n for n in self.by_first.get(name, ()) if len(n.split()) == 2 and n.split()[-1] != name
                      and n.split()[-1].lower() not in TITLE_WORDS | BODY_NOUNS}
            surnames = {n.split()[-1] for n in firsts}
            longer = list(firsts) if len(surnames) == 1 else []
        if longer:
            # the fullest form, less capitalised words glued on at a sentence start: "Rival Jane Doe" is
            # "Jane Doe" when the article also names her so
            fullest = max(longer, key=len)
            best = min((n for n in longer if n == fullest or fullest.endswith(" " + n) and len(n.split()[0]) > 1),
                       key=len)
            return self.registry.aliases.get(normalise_phrase(best), best)
        return name

    def role_holder(self, mention: str, at: Optional[int] = None) -> Optional[str]:
        """The person the article introduced with the title a role mention names ("the chancellor"), else the one
        person it names who held a registry office of that title on its date, or None."""
        if self._roles is None:
            self._roles = RoleIndex(self.text, person_name, self.is_person, self._expand_known,
                                    self.registry.countries, _TITLE_VOCABULARY)
        introduced = self._roles.resolve(mention, at)
        if introduced:
            return introduced
        if self._offices is None:
            holders = {office: self.registry.holder(office, self.date, self.named) for office in self.registry.role_holders}
            self._offices = {office: h for office, h in holders.items() if h in self.named}
        return registry_role_holder(mention, self.registry.countries, self._offices)

    def _office_holder(self, office: str, mention: str, at: Optional[int]) -> str:
        """Who a registry office's phrase names: its holder on the article's date, else the person the article
        introduced so; a former holder ("the former Dutch premier") only by the article's introductions."""
        holder = None if names_a_past_holder(mention) else self.registry.holder(office, self.date, self.named)
        return holder or self.role_holder(mention, at) or UNKNOWN

    def _expand_known(self, name: str) -> str:
        return self.registry.aliases.get(normalise_phrase(name)) or self._expand(name)

    def resolve(self, mention: str, nearby_person: Optional[str] = None, at: Optional[int] = None) -> str:
        """Canonical speaker for a mention; `unknown` when it cannot be identified. `at`: where the mention
        sits (a role resolves to the person introduced with it nearest before)."""
        mention = mention.strip(" ,")
        phrase = normalise_phrase(mention)
        if not phrase:
            return UNKNOWN
        if phrase in PRONOUNS:
            return nearby_person or self.last_speaker or UNKNOWN
        if phrase == "they":
            return self._recent_pair(at) or UNKNOWN
        if _all_capitals(mention) and phrase not in self.registry.outlets and phrase not in self.registry.aliases:
            return UNKNOWN  # a dateline or a headline in capitals ("WASHINGTON —"), not a name
        if phrase not in self.registry.aliases:
            phrase, mention = _without_dateline(phrase, mention)
        if phrase in self.registry.aliases:
            return self.registry.aliases[phrase]
        if phrase in self.registry.places:
            return UNKNOWN  # a place never speaks
        if phrase in self.registry.outlets:
            return self.registry.outlets[phrase]
        if phrase in OUTLET_NOUNS:  # "the newspaper reported": the one outlet the article names
            return self.outlets_named[0] if len(self.outlets_named) == 1 else UNKNOWN
        if phrase in GOVERNMENT_NOUNS and self.main_country:
            return self.registry.bodies.get(normalise_phrase(self.main_country), UNKNOWN)
        if phrase in self.registry.role_phrases:
            return self._office_holder(self.registry.role_phrases[phrase], mention, at)
        if phrase in self.registry.bodies:
            return self.registry.bodies[phrase]
        return self._described(mention, phrase, at)

    def _described(self, mention: str, phrase: str, at: Optional[int]) -> str:
        """A mention the registry does not name as written: a group, an unnamed body, a person's name
        (expanded), a role (by date, else by the article), an organisation."""
        group = self._group(mention, phrase, at)
        if group:
            return group
        body = body_of_spokesperson(mention)
        if body:
            return self.registry.bodies.get(normalise_phrase(body), body)
        name = person_name(_HONORIFIC.sub("", _without_of_place(mention)))
        words = phrase.split()
        if words[-1] in SPEAKING_ORGANISATIONS:
            organisation = _ORGANISATION_NAME.search(mention.strip())
            name_of = re.sub(r"^(?:The|A|An)\s+", "", organisation.group(0)) if organisation else ""
            if " " in name_of:
                return name_of.replace("’", "'")
        if name and name != mention.strip() and self._not_a_person(name):
            name = None  # "the Prime Minister of Poland": a role of a country, not a person called Poland
        if name and not (len(name.split()) == 1 and words[-1] in BODY_NOUNS):
            return self._expand(name)
        holder = self.role_holder(mention, at) if not name else None
        if holder:
            return holder
        person_role = any(w in TITLE_WORDS - BODY_NOUNS - {"the", "a", "an", "of", "for", "and"} for w in words)
        for size in range(len(words), 0, -1):  # a known role or body at the end: "Japan's top spokesperson"
            tail = " ".join(words[-size:])
            if tail in self.registry.bodies:
                if person_role and tail in self.registry.countries:
                    return UNKNOWN  # "the President of Estonia" is a person, not the government
                return self.registry.bodies[tail]
            if tail in self.registry.role_phrases and size > 1:
                return self._office_holder(self.registry.role_phrases[tail], mention, at)
        if words[-1] in BODY_NOUNS or phrase.endswith("'s embassy"):
            return self._unnamed_body(mention, phrase, at)
        return UNKNOWN

    def _unnamed_body(self, mention: str, phrase: str, at: Optional[int]) -> str:
        """A body named only by kind: "the foreign ministry" (of the country the article names most), "the
        official" or "the readout" (the body an official was last said to speak for), else the mention
        itself when it names its body ("the Port Authority's office")."""
        bare = re.sub(r"^(?:(?:senior|top|chief|deputy|unnamed|anonymous|press|other)\s+)+", "", phrase)
        if bare in _MINISTRY_KINDS and self.main_country:
            return self.registry.bodies.get(normalise_phrase(f"{self.main_country} {bare}"), UNKNOWN)
        if bare in _BARE_SOURCES:
            return self._last_official_body(at) or UNKNOWN
        return re.sub(r"^(?:the|a|an)\s+", "", mention.strip(), flags=re.IGNORECASE).replace("’", "'")

    def _last_official_body(self, at: Optional[int]) -> Optional[str]:
        """The body of the last unnamed official, spokesperson or source the article names before `at`
        ("a senior Foreign Ministry official said … The official added …")."""
        if self._officials is None:
            self._officials = []
            for match in _OFFICIAL_OF.finditer(self.text):
                body = body_of_spokesperson(match.group(0))
                if body:
                    self._officials.append((match.start(), self.registry.bodies.get(normalise_phrase(body), body)))
        before = [body for start, body in self._officials if at is None or start < at]
        return before[-1] if before else None

    def _group(self, mention: str, phrase: str, at: Optional[int]) -> Optional[str]:
        """A joint subject ("Jane Doe and John Roe", "Danish and Greenlandic officials") or a plural group
        ("22 Republican members of the committee", "White House officials": the body) as one speaker; None
        when the mention is neither."""
        words = phrase.split()
        head = phrase.split(" of ")[0].split()  # "members of the harbour committee": members
        if not words or not head or head[-1] in ORGANISATION_WORDS:
            return None
        literal = _QUANTIFIER.sub("", re.sub(r"^(?:the|a|an)\s+", "", mention.strip(), flags=re.IGNORECASE))
        parts = re.split(r"\s+and\s+", mention.strip(), maxsplit=1)
        if len(parts) == 2 and all(parts):
            if len(parts[0].split()) == 1 and words[-1] in GROUP_NOUNS | BODY_NOUNS:
                return literal  # one noun shared: "Danish and Greenlandic officials", "US and NATO officials"
            left, right = (self.resolve(part, at=at) for part in parts)
            if UNKNOWN in (left, right) or left == right:
                return None
            if left.startswith("Government of ") and right.startswith("Government of "):
                return f"Governments of {left[14:]} and {right[14:]}"  # the registry's form for joint governments
            return f"{left} and {right}"
        if head[-1] in GROUP_NOUNS and len(words) > 1:
            owner = normalise_phrase(_QUANTIFIER.sub("", " ".join(mention.split()[:-1])))
            if owner in self.registry.bodies and owner not in self.registry.countries:
                return self.registry.bodies[owner]  # "White House officials" speak for the White House
            return literal
        return None

    def _recent_pair(self, at: Optional[int]) -> Optional[str]:
        """"They": the two people last named together ("Doe and Roe met …") shortly before `at`."""
        if at is None:
            return None
        window = self.text[max(0, at - PAIR_WINDOW):at]
        for match in reversed(list(_PAIR.finditer(window))):
            left, right = match.group(1), match.group(2)
            if self.is_person(left) and self.is_person(right):
                return f"{self.resolve(left)} and {self.resolve(right)}"
        return None

    def could_be_speaker(self, mention: str) -> bool:
        """Looser than is_speaker: also a person described only by role ("Trump's pick for ambassador")."""
        phrase = normalise_phrase(mention)
        return self.is_speaker(mention) or self.resolve(mention) != UNKNOWN or (
            bool(phrase) and phrase.split()[-1] in TITLE_WORDS - FUNCTION_WORDS - {"the", "a", "an", "of", "for", "and"}) \
            or any(w in ROLE_HEADS for w in phrase.split()[:-1]) and " of " in phrase \
            or bool(phrase) and phrase.split()[-1] in ROLE_HEADS  # "the Prime Minister of Poland", "the Ohio Republican"

    def is_speaker(self, mention: str) -> bool:
        """Whether a mention surely names a speaker: a pronoun, a registry entry, a person or a body."""
        phrase = normalise_phrase(mention)
        if phrase in PRONOUNS or phrase == "they" or phrase in self.registry.aliases \
                or phrase in self.registry.role_phrases or phrase in self.registry.bodies:
            return True
        if phrase and phrase.split()[-1] in GROUP_NOUNS and len(phrase.split()) > 1:
            return True
        return self.is_person(mention) or (bool(phrase) and phrase.split()[-1] in BODY_NOUNS)

    def is_person(self, mention: str) -> bool:
        """Whether a capitalised mention names a person (for pronoun antecedents)."""
        name = person_name(mention)
        if not name or self._not_a_person(name) or self._not_a_person(mention):
            return False
        canonical = self.registry.aliases.get(normalise_phrase(name))
        if canonical:
            return True
        return " " in name or name in self.by_surname
