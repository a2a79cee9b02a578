"""Role descriptions resolved within the article: "the chancellor" is the person the article introduced as
"German Chancellor Jane Doe", "the Polish prime minister" the one it named "Poland's Prime Minister Jan Roe" or
"Jan Roe, the prime minister of Poland", "the ambassador" the one named "U.S. Ambassador John Poe".

News names a person once with the title and then refers to the title alone; the registry's dated roles cover
a few offices, the article itself covers the rest. Each introduction is a name with the title words before it
(`Defense Secretary Jane Doe`, `former prime minister Jane Doe`) or in an appositive beside it (`Jane Doe, the
president of the council,`, `The president of Finland, Jane Doe,`). A role mention resolves to the person whose
introduction holds every word of it (countries and demonyms compared as the country, `premier` as `prime
minister`), the one introduced nearest before the mention when several are. The index is built on the first
role mention of an article, in one pass over its name runs."""

from __future__ import annotations

import re
from typing import Callable, NamedTuple, Optional

# The head nouns of person roles ("the chancellor", "the Secretary General", "the ambassador").
ROLE_HEADS = {
    "president", "chancellor", "minister", "premier", "secretary", "ambassador", "envoy", "governor", "senator",
    "congressman", "congresswoman", "mayor", "leader", "general", "chairman", "chairwoman", "chair", "director",
    "commissioner", "speaker", "king", "queen", "admiral", "commander", "chief", "representative", "lawmaker",
    "diplomat", "president-elect", "secretary-general", "pm", "republican", "democrat",
}
# Heads of state or government: "the Lithuanian leader" is whoever holds one of these.
LEADER_WORDS = {"president", "prime", "chancellor", "premier", "king", "queen", "president-elect"}
_SYNONYMS = {"premier": ("prime", "minister"), "pm": ("prime", "minister"), "envoy": ("ambassador",),
             "defence": ("defense",), "secretary-general": ("secretary", "general"),
             "president-elect": ("president",), "foreign": ("foreign",),
             # abbreviated titles before a name: "Okinawa Gov. Jane Doe", "Sen. Jane Doe"
             "gov": ("governor",), "sen": ("senator",), "rep": ("representative",), "amb": ("ambassador",),
             "adm": ("admiral",), "gen": ("general",), "pres": ("president",)}
# Words of a role mention that say nothing about which office it is.
_NEUTRAL = {"the", "a", "an", "former", "then", "current", "new", "incoming", "outgoing", "acting", "of", "top",
            "'s", "s", "its", "his", "her", "their", "this", "that", "country", "nation", "two", "both"}
# Words that make an office another one: "vice president", "prime minister", "defense secretary".
_OFFICE_MODIFIERS = {"vice", "deputy", "assistant", "under", "prime", "foreign", "defense", "state", "cabinet", "chief",
                     "finance", "interior", "high"}
PAST_HOLDER_WORDS = {"former", "ex", "late", "then", "previous"}
_WORD = re.compile(r"[\w’'.-]+")
_NAME_RUN = re.compile(r"\b(?:[A-Z][\w’'-]+|(?:[A-Z]\.)+)(?:[ \t]+(?:[A-Z][\w’'-]+|(?:[A-Z]\.)+|von|van|der|de|la|bin)){0,6}")
_PLAIN_WORD = re.compile(r"[\w’'.-]+")
_APPOSITIVE_AFTER = re.compile(r"[ \t]*,[ \t]*((?:(?:the|a|an)[ \t]+|[A-Z][\w.]*[’']s[ \t]+)[^,.;:()“”\"\n]{2,70}?)[ \t]*(?:[,.;)]|$)")
_APPOSITIVE_BEFORE = re.compile(r"(?:^|[.;:!?]\s+|\n|\b[Aa]ccording[ \t]+to[ \t]+)((?:[Tt]he|[Aa]n?)[ \t]+[^,.;:()“”\"\n]{2,70}?),[ \t]*$")


class Introduction(NamedTuple):
    """A person named with a title: where, who (canonical), and the title's words (normalised)."""

    position: int
    person: str
    words: frozenset


def _normal(word: str, countries: dict) -> tuple[str, ...]:
    """A title word as compared: lower case, no possessive or stops, a country for a demonym, synonyms spread."""
    bare = re.sub(r"[’']s$", "", word.lower()).replace(".", "").strip("’'")
    country = countries.get(bare)
    if country:
        return (country.lower(),)
    return _SYNONYMS.get(bare, (bare,))


def title_words(words, countries: dict) -> frozenset:
    """The normalised words of a title ("U.S. Defense Secretary" -> united states, defense, secretary)."""
    out: set[str] = set()
    for word in words:
        out.update(_normal(word, countries))
    return frozenset(out)


class RoleIndex:
    """The people an article introduces with a title, in text order."""

    def __init__(self, text: str, person_name: Callable[[str], Optional[str]], is_person: Callable[[str], bool],
                 canonical: Callable[[str], str], countries: dict, title_vocabulary: set):
        self.countries = countries
        self.vocabulary = title_vocabulary
        self.introductions: list[Introduction] = []
        for match in _NAME_RUN.finditer(text):
            run = match.group(0)
            name = person_name(run)
            if not name:
                continue
            at = run.rfind(name.split()[0])
            words = _WORD.findall(run[:at])
            words += _title_before(text[max(0, match.start() - 80):match.start()], countries, title_vocabulary)
            words += _appositive(text, match.start(), match.end())
            words += _party_and_place(text, match.end())
            if any(_normal(w, countries)[-1] in ROLE_HEADS for w in words) and is_person(name):
                self.introductions.append(Introduction(match.start(), canonical(name), title_words(words, countries)))

    def resolve(self, mention: str, at: Optional[int] = None) -> Optional[str]:
        """The person a role mention ("the chancellor", "the Polish Prime Minister") stands for, or None."""
        wanted, leader = role_mention_words(mention, self.countries)
        if not wanted and not leader:
            return None
        words = _WORD.findall(mention)
        matches = [i for i in self.introductions if wanted <= i.words and (not leader or i.words & LEADER_WORDS)]
        if not matches:
            return None
        if "former" in (w.lower() for w in words):  # "the former prime minister": one introduced as former
            matches = [i for i in matches if "former" in i.words] or matches
        if len({i.person for i in matches}) == 1:
            return matches[0].person
        before = [i for i in matches if at is None or i.position < at]
        return (before[-1] if before else matches[0]).person


def role_mention_words(mention: str, countries: dict) -> tuple[frozenset, bool]:
    """The office words a role mention asks for ("the Polish Prime Minister" -> poland, prime, minister) and
    whether it asks for a leader of any kind ("the Lithuanian leader"); empty when it is no person's role."""
    words = _WORD.findall(mention.replace("’s", " ’s").replace("'s", " 's"))
    if not words:
        return frozenset(), False
    wanted = set(title_words(words, countries)) - _NEUTRAL
    head_words = words[:words.index("of")] if "of" in words[1:] else words  # "the prime minister of X"
    head = _normal(head_words[-1], countries)[-1] if head_words else ""
    if head not in ROLE_HEADS:
        return frozenset(), False
    wanted.discard("leader")
    return frozenset(wanted), head == "leader"


def names_a_past_holder(mention: str) -> bool:
    """Whether a role mention speaks of someone who held the office before ("the former premier", "the
    ex-president")."""
    return bool(PAST_HOLDER_WORDS & {w.lower() for w in re.findall(r"\w+", mention)})


def registry_role_holder(mention: str, countries: dict, offices: dict) -> Optional[str]:
    """The one person the article names who holds, on its date, an office of the registry that a role mention
    describes, when the article never introduced anyone with that title ("the prime minister" in an article
    that names only one serving prime minister). `offices`: each registry office held on that date by someone
    the article names -> that person. The office must have every word the mention asks for, and the mention every word
    that makes the office what it is ("the president" is not the vice president, "the minister" not the prime
    minister; the country or organisation may go unsaid); more than one such person: None."""
    wanted, leader = role_mention_words(mention, countries)
    if not wanted and not leader or names_a_past_holder(mention):
        return None  # "the former prime minister" is not today's holder
    holders = set()
    for office, holder in offices.items():
        words = title_words(office.split(), countries)
        titles = {w for w in words if w in ROLE_HEADS or w in _OFFICE_MODIFIERS}
        if leader and not words & LEADER_WORDS:
            continue
        if wanted <= words and (leader or titles <= wanted):
            holders.add(holder)
    return holders.pop() if len(holders) == 1 else None


def _title_before(before: str, countries: dict, vocabulary: set) -> list[str]:
    """The title words just before a name ("former prime minister", "Japan's Minister of Defense")."""
    before = before.rsplit("\n", 1)[-1]  # within the line
    if not before or before[-1] not in " \t":
        return []
    words = []
    for token in reversed(before.split()[-6:]):  # the plain words just before (no punctuation between)
        if not _PLAIN_WORD.fullmatch(token):
            break
        words.insert(0, token)
    taken: list[str] = []
    for word in reversed(words):
        bare = re.sub(r"[’']s$", "", word.lower()).replace(".", "")
        if bare in vocabulary or _normal(bare, countries)[-1] in ROLE_HEADS or bare in countries or bare == "of":
            taken.insert(0, word)
            continue
        break
    while taken and taken[0].lower() == "of":
        taken.pop(0)
    return taken


_PARTY_PLACE = re.compile(r"[ \t]*\(([RD])-[ \t]?([A-Z][\w.]*(?:[ \t][A-Z][\w.]*)?)\)|[ \t]+of[ \t]+([A-Z][\w.]+(?:[ \t][A-Z][\w.]+)?)")
_PARTIES = {"R": "republican", "D": "democrat"}


def _party_and_place(text: str, end: int) -> list[str]:
    """Party and home state after a name: "Jane Doe (R-Ohio)", "Jane Doe of Ohio" (for "the Ohio Republican")."""
    match = _PARTY_PLACE.match(text, end, min(len(text), end + 40))
    if not match:
        return []
    if match.group(1):
        return [_PARTIES[match.group(1)], *match.group(2).split()]
    return match.group(3).split()


def _appositive(text: str, start: int, end: int) -> list[str]:
    """The words of a title in an appositive beside a name: "Jane Doe, the president of Finland," or
    "The president of Finland, Jane Doe,"."""
    words: list[str] = []
    after = _APPOSITIVE_AFTER.match(text, end, min(len(text), end + 90))
    if after:
        words += _WORD.findall(after.group(1))
    before = _APPOSITIVE_BEFORE.search(text[max(0, start - 90):start])
    if before:
        words += _WORD.findall(before.group(1))
    return words if any(w.lower() in ROLE_HEADS for w in words) else []
