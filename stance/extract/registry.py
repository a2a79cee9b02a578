"""The actor registry (configs/actors.yaml): canonical people with aliases and dated roles, bodies,
countries (a country speaking is its government; its ministries by name), outlets and places; loaded and
validated once, and the phrase normalisation every lookup uses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional

from stance.config import DEFAULT_ACTORS, load_yaml
from stance.errors import StanceError

_LEADING = re.compile(r"^(?:the|a|an|former|then|also)\s+", re.IGNORECASE)


@lru_cache(maxsize=65536)  # called for every name run of every article: most repeat
def normalise_phrase(text: str) -> str:
    """Lower-case, unify apostrophes and spacing, drop a leading article."""
    text = text.replace("’", "'").replace("‘", "'").replace(".", "")
    text = re.sub(r"\s+", " ", text).strip(" ,;:").lower()
    while True:
        stripped = _LEADING.sub("", text)
        if stripped == text:
            return text
        text = stripped


@dataclass
class RoleSpan:
    actor: str
    start: str
    end: Optional[str]


@dataclass
class ActorRegistry:
    """Canonical actors, their aliases, dated roles and unnamed bodies."""

    aliases: dict[str, str] = field(default_factory=dict)  # normalised alias -> canonical
    role_phrases: dict[str, str] = field(default_factory=dict)  # normalised phrase -> role
    role_holders: dict[str, list[RoleSpan]] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)  # normalised phrase -> canonical body
    outlets: dict[str, str] = field(default_factory=dict)  # normalised name -> canonical outlet
    places: set[str] = field(default_factory=set)  # normalised names of places that never speak
    countries: dict[str, str] = field(default_factory=dict)  # normalised name, demonym or capital -> country

    def holder(self, role: str, date: Optional[str], named: frozenset = frozenset()) -> Optional[str]:
        """Who held `role` on `date` (YYYY[-MM[-DD]]); None if unknown or ambiguous.

        A role passes to the successor on the day the successor takes it (a `to` day that is another
        holder's `from` day belongs to the newcomer). When a month or year spans a handover, the holder
        the article names (`named`, canonical names) decides; otherwise None."""
        spans = self.role_holders.get(role, [])
        if date is None:  # undated: the one holder there ever was, or the one holder the article names
            holders = {s.actor for s in spans} if len(spans) == 1 else {s.actor for s in spans} & set(named)
            return holders.pop() if len(holders) == 1 else None
        starts = {s.start for s in spans}
        # compare on the common prefix so month or year precision still resolves
        matches = {s.actor for s in spans if s.start[: len(date)] <= date and (
            s.end is None or date < s.end[: len(date)] or date == s.end[: len(date)]
            and not (len(date) == 10 and s.end in starts))}
        if len(matches) > 1 and named:
            matches &= set(named)
        return matches.pop() if len(matches) == 1 else None


def load_registry(path: Path = DEFAULT_ACTORS) -> ActorRegistry:
    """Load and validate the actor registry YAML."""
    data = load_yaml(path) or {}
    where = str(path)
    if not isinstance(data, dict) or set(data) - set(REGISTRY_KEYS):
        raise StanceError(f"{where}: expected top-level keys {', '.join(REGISTRY_KEYS)}; "
                          f"found {sorted(data) if isinstance(data, dict) else type(data).__name__}")
    registry = ActorRegistry()
    for index, actor in enumerate(data.get("actors") or [], start=1):
        if not isinstance(actor, dict) or not actor.get("name") or set(actor) - {"name", "aliases", "roles"}:
            raise StanceError(f"{where}: actor #{index} needs a name and only the keys name, aliases, roles")
        name = str(actor["name"])
        for alias in [name, *(actor.get("aliases") or [])]:
            registry.aliases[normalise_phrase(str(alias))] = name
        for role in actor.get("roles") or []:
            if not isinstance(role, dict) or "role" not in role or "from" not in role:
                raise StanceError(f"{where}: a role of {name} needs 'role' and 'from'")
            span = RoleSpan(name, str(role["from"]), str(role["to"]) if role.get("to") else None)
            registry.role_holders.setdefault(str(role["role"]), []).append(span)
    for role, phrases in (data.get("roles") or {}).items():
        for phrase in [role, *(phrases or [])]:
            registry.role_phrases[normalise_phrase(str(phrase))] = str(role)
    for body, phrases in (data.get("bodies") or {}).items():
        for phrase in [body, *(phrases or [])]:
            registry.bodies[normalise_phrase(str(phrase))] = str(body)
    _load_countries(registry, data.get("countries") or {}, where)
    for outlet, names in (data.get("outlets") or {}).items():
        for name in [outlet, *(names or [])]:
            registry.outlets[normalise_phrase(str(name))] = str(outlet)
    registry.places.update(normalise_phrase(str(place)) for place in data.get("places") or [])
    return registry


REGISTRY_KEYS = ("actors", "roles", "bodies", "countries", "outlets", "places")
_MINISTRIES = {"Ministry of Foreign Affairs": ["foreign ministry", "ministry of foreign affairs", "foreign affairs ministry",
                                              "foreign office"],
               "Ministry of Defense": ["defense ministry", "defence ministry", "ministry of defense", "ministry of defence"]}


def _load_countries(registry: ActorRegistry, countries: dict, where: str) -> None:
    """A country's names, demonyms and capitals: as a speaker, its government; its ministries by name."""
    if not isinstance(countries, dict):
        raise StanceError(f"{where}: 'countries' must map each country to its aliases, demonyms and capitals")
    for country, info in countries.items():
        info = info or {}
        if not isinstance(info, dict) or set(info) - {"aliases", "demonyms", "capitals", "government"}:
            raise StanceError(f"{where}: country {country!r} takes only the keys aliases, demonyms, capitals, government")
        name = str(country)
        government = str(info.get("government") or f"Government of {'the ' if name in _WITH_THE else ''}{name}")
        names = [name, *map(str, info.get("aliases") or [])]
        demonyms = [str(d) for d in info.get("demonyms") or []]
        for phrase in names + [str(c) for c in info.get("capitals") or []]:
            registry.countries[normalise_phrase(phrase)] = name
            registry.bodies.setdefault(normalise_phrase(phrase), government)
        for form in names:
            for phrase in (f"{form} government", f"government of {form}", f"{form}'s government", f"{form} administration"):
                registry.bodies[normalise_phrase(phrase)] = government
        for demonym in demonyms:
            registry.countries.setdefault(normalise_phrase(demonym), name)
            for phrase in (f"{demonym} government", f"{demonym} administration"):
                registry.bodies[normalise_phrase(phrase)] = government
        _add_ministries(registry, name, names + demonyms)


def _add_ministries(registry: ActorRegistry, country: str, forms: list[str]) -> None:
    """"Japanese Foreign Ministry", "Japan's defence ministry" -> Japan Ministry of Foreign Affairs / of Defense."""
    for ministry, kinds in _MINISTRIES.items():
        phrases = [f"{form}{joint} {kind}" for kind in kinds for form in forms for joint in ("", "'s")]
        for phrase in phrases:
            registry.bodies.setdefault(normalise_phrase(phrase), f"{country} {ministry}")


_WITH_THE = {"United States", "United Kingdom", "Netherlands", "Philippines", "Czech Republic", "United Arab Emirates"}
