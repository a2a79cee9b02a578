"""The words of names: titles, particles, body and group nouns, organisation words, sentence openers; the
personal name inside a mention, and the body an unnamed spokesperson speaks for. General English, no names of
any corpus (the registry is the one place for names)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Optional

# Words that describe a person's office or standing rather than name them.
TITLE_WORDS = {
    "mr", "mrs", "ms", "miss", "dr", "sir", "dame", "lord", "lady", "prof", "professor", "rev", "gov", "atty",
    "sgt", "capt", "adm", "maj", "reps", "sens", "hon",
    "president", "vice", "prime", "minister", "premier", "chancellor", "secretary", "general", "chief",
    "senator", "sen", "rep", "representative", "congressman", "congresswoman", "governor", "mayor",
    "ambassador", "envoy", "spokesperson", "spokesman", "spokeswoman", "leader", "head", "deputy",
    "foreign", "defence", "defense", "treasury", "state", "interior", "finance", "trade", "commerce",
    "major", "lieutenant", "colonel", "admiral", "commander", "captain", "sergeant", "gen", "lt", "col",
    "king", "queen", "prince", "princess", "pope", "former", "acting", "incoming", "outgoing", "then",
    "chairman", "chairwoman", "chair", "director", "commissioner", "speaker", "justice", "judge",
    "officer", "official", "adviser", "advisor", "analyst", "expert", "professor", "candidate",
    "nominee", "pick", "his", "her", "their", "its", "the", "a", "an", "of", "for", "and", "policy",
    "security", "national", "council", "commission", "house", "senate", "congress", "party", "us",
    "u.s.", "uk", "eu", "un", "nato", "european", "american", "british", "french", "german", "danish",
    "japanese", "russian", "ukrainian", "chinese", "greenlandic", "canadian", "polish", "dutch",
    "mp", "mps", "mep", "meps", "lawmaker", "legislator", "congressman", "assemblyman", "assemblywoman",
    "councillor", "councilor", "alderman", "deputy", "spokesperson", "dr", "mayor",
}
# Lower-case particles inside surnames ("Joost van Dam", "Ursula von der Leyen").
NAME_PARTICLES = {"van", "von", "der", "den", "de", "da", "di", "du", "la", "le", "bin", "al", "ter", "ten"}
# Nouns that mark an unnamed body or a person described only by role.
BODY_NOUNS = {
    "spokesperson", "spokesman", "spokeswoman", "spokespeople", "official", "officials", "ministry",
    "embassy", "department", "government", "office", "agency", "campaign", "administration",
    "house", "kremlin", "pentagon", "commission", "council", "alliance", "diplomat", "diplomats",
    "source", "sources", "statement", "readout", "command", "army", "military", "parliament", "cabinet",
}
# Capitalised words that open sentences rather than names.
FUNCTION_WORDS = {
    "however", "but", "and", "in", "at", "on", "this", "those", "these", "such", "while", "earlier", "recently",
    "meanwhile", "officially", "notably", "for", "some", "several", "during", "after", "before", "amid", "even",
    "yet", "so", "then", "also", "still", "it", "if", "when", "as", "since", "although", "though", "because",
    "separately", "both", "neither", "either", "many", "most", "asked", "speaking", "according", "with", "without",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "doubtful", "asserting",
    # page furniture, verbs and pronouns opening a run ("Said Russia …", "Read Next", "The Hague. He …")
    "said", "says", "called", "calls", "told", "added", "keep", "regarding", "more", "next", "click", "related", "advertisement", "article", "chapter", "section", "he", "she", "they", "we",
    "i", "you", "like", "unlike", "dear", "thanks",
}
# Last words of names of organisations, events, places and documents, never of a person ("Greek Delian League",
# "New York University", "Foreign Ministers Meeting", "Center for Strategic and International Studies").
ORGANISATION_WORDS = {
    "league", "meeting", "studies", "university", "institute", "center", "centre", "party", "committee", "forum",
    "summit", "treaty", "agreement", "act", "conference", "group", "association", "organization", "organisation",
    "union", "foundation", "corporation", "company", "inc", "ltd", "bank", "fund", "court", "assembly",
    "ministry", "department", "agency", "office", "times", "post", "news", "journal", "guard", "forces", "army",
    "navy", "airport", "street", "square", "palace", "hall", "school", "college", "club", "republican",
    "republicans", "democrat", "democrats", "democratic", "war", "day", "week", "index", "report", "service",
    "network", "channel", "magazine", "program", "programme", "initiative", "plan", "strategy", "review", "fest",
    "festival", "games", "cup", "prize", "award", "base", "island", "islands", "ocean", "sea", "river", "canal",
}
# Plural nouns of groups that speak together ("22 Republican members of the committee", "European leaders").
GROUP_NOUNS = {"members", "lawmakers", "leaders", "officials", "democrats", "republicans", "ministers", "diplomats",
               "allies", "governments", "senators", "legislators", "critics", "analysts", "experts", "residents",
               "protesters", "parties", "delegates", "aides", "advisers", "advisors", "sources", "commentators",
               "opponents", "supporters", "activists", "economists", "politicians", "lawyers", "negotiators"}
# Of those, the organisations that speak: "The Trayvon Martin Foundation said" is that foundation (a body).
SPEAKING_ORGANISATIONS = {"league", "studies", "university", "institute", "center", "centre", "party", "committee",
                          "association", "organization", "organisation", "union", "foundation", "corporation",
                          "company", "inc", "bank", "fund", "court", "assembly", "agency", "office", "times", "post",
                          "news", "journal", "network", "magazine", "watch", "group", "forum", "council"}
# Abbreviations whose stop does not end a sentence inside a name run ("Sen. Jane Doe", "Jane Doe Jr.").
ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "jr", "sr", "st", "gen", "sen", "rep", "gov", "lt", "col", "sgt", "capt",
                  "adm", "maj", "prof", "rev", "atty", "hon", "sens", "reps", "mt", "ft"}


def words_of(text: str) -> list[str]:
    return re.findall(r"[\w’'.-]+", text)


def initial(word: str) -> str:
    """The first two letters of a word without diacritics ("Løkke" and "Loekke" both "lo")."""
    folded = unicodedata.normalize("NFKD", word.replace("ø", "o").replace("Ø", "O"))
    return "".join(c for c in folded if not unicodedata.combining(c))[:2].lower()


@lru_cache(maxsize=65536)  # called for every name run of every article: most repeat
def person_name(mention: str) -> Optional[str]:
    """The personal name inside a mention: the trailing run of capitalised non-title words."""
    words = words_of(re.sub(r"\[|\]", "", mention))
    name: list[str] = []
    for index in range(len(words) - 1, -1, -1):
        bare = words[index].strip(".’'").replace("’s", "").replace("'s", "")
        if bare in NAME_PARTICLES and name and index > 0 and words[index - 1][:1].isupper() \
                and words[index - 1].lower().strip(".") not in TITLE_WORDS | FUNCTION_WORDS:
            name.insert(0, bare)  # "van" in "Joost van Dam", only between name words
            continue
        if not bare or not bare[0].isupper() or bare.lower().strip(".") in TITLE_WORDS | FUNCTION_WORDS \
                or all(part in TITLE_WORDS for part in bare.lower().split("-")):  # "Secretary-General"
            break
        if name and words[index].endswith(".") and len(bare) > 2 and bare.lower() not in ABBREVIATIONS:
            break  # a sentence ends here: "… in The Hague. Doe said" names Doe, not "Hague Doe"
        name.insert(0, bare)
    while name and name[0] in NAME_PARTICLES:
        name.pop(0)
    return " ".join(name) if name else None


_SPOKES = r"(?:spokesperson|spokesman|spokeswoman|spokespeople|official|officials|source|sources)"
_BODY_BEFORE = re.compile(r"(?:(?:a|an|the|one)\s+)?(?:(?:senior|top|chief|deputy|unnamed|anonymous|press)\s+)*"
                          r"([A-Z].*?)\s+" + _SPOKES, re.IGNORECASE)
_BODY_AFTER = re.compile(r"(?:(?:a|an|the|one)\s+)?(?:(?:senior|top|chief|deputy|unnamed|anonymous|press)\s+)*"
                         + _SPOKES + r"\s+(?:for|of|at|from)\s+(?:the\s+)?([A-Z].*)", re.IGNORECASE)


def body_of_spokesperson(mention: str) -> Optional[str]:
    """The body an unnamed spokesperson or official speaks for: "a White House official" -> White House,
    "a spokesperson for the Port Authority" -> Port Authority."""
    mention = re.sub(r"\s+", " ", mention.strip(" ,"))
    for pattern in (_BODY_AFTER, _BODY_BEFORE):
        match = pattern.fullmatch(mention)
        if match and match.group(1)[:1].isupper() and not match.group(1).lower().startswith(("a ", "an ", "the ")) \
                and match.group(1).lower() not in {"the", "a", "an", "one", "this", "that"}:
            return match.group(1).replace("’", "'")
    return None
