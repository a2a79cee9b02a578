"""Actor × target networks from the statement store.

Built from the same aggregation the reports use (one utterance reported by
several outlets counts once; statements with an unknown speaker or no target
are left out), so an exported network says what the report says.

- `dna`: one row per utterance in the shape of a Discourse Network Analyzer
  statement table: person (actor), concept (target), agreement (stance), date,
  text, source outlet and the articles that carry it.
- `graphml`: actors and targets as nodes, one edge per actor, target and stance
  weighted by utterances, with dates and evidence counts (Gephi, visone,
  networkx); with `congruence`, the actor × actor network instead, an edge
  weighted by how many (target, stance) pairs two actors share.
- `csv`: the same edges as the graphml two-mode network, one per line.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from itertools import combinations
from pathlib import Path
from typing import Optional

from stance.errors import StanceError
from stance.track.records import Aggregate, Position, Utterance

EXPORT_FORMATS = ("dna", "graphml", "csv")
DNA_COLUMNS = ("id", "date", "person", "concept", "agreement", "stance", "confidence", "text", "source",
               "documents", "speaker_mention")
EDGE_COLUMNS = ("actor", "target", "stance", "weight", "sources", "first_date", "last_date", "utterances")
# DNA's agreement qualifier is yes/no; conditional support keeps its own value rather than being forced into either.
DNA_AGREEMENT = {"support": "yes", "doubt": "no"}


def position_utterances(result: Aggregate) -> list[Utterance]:
    """The utterances behind the positions of an aggregation (known speaker, some target), in date order."""
    by_id = {u.id: u for u in result.utterances}
    rows = [u for p in result.positions for u in _utterances_of(by_id, p)]
    return sorted(rows, key=lambda u: (u.date or "9999", u.speaker.casefold(), u.target, u.id or ""))


def _utterances_of(by_id: dict[str, Utterance], position: Position) -> list[Utterance]:
    return [by_id[e.utterance] for e in position.timeline]


def edges(utterances: list[Utterance]) -> list[dict]:
    """One edge per actor, target and stance: utterance count, distinct source articles, first and last date."""
    groups: dict[tuple, list[Utterance]] = defaultdict(list)
    for u in utterances:
        groups[(u.speaker, u.target, u.stance)].append(u)
    out = []
    for (actor, target, stance), members in sorted(groups.items(), key=lambda kv: (kv[0][0].casefold(), kv[0][1], kv[0][2])):
        dates = sorted(u.date for u in members if u.date)
        out.append({
            "actor": actor, "target": target, "stance": stance, "weight": len(members),
            "sources": len({s.article for u in members for s in u.sources}),
            "first_date": dates[0] if dates else "", "last_date": dates[-1] if dates else "",
            "utterances": " ".join(u.id for u in members if u.id),
        })
    return out


def congruence(utterances: list[Utterance]) -> list[tuple[str, str, int, str]]:
    """Actor pairs sharing (target, stance) pairs: (actor a, actor b, how many, which)."""
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for u in utterances:
        holders[(u.target, u.stance)].add(u.speaker)
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (target, stance), actors in sorted(holders.items()):
        for a, b in combinations(sorted(actors, key=str.casefold), 2):
            shared[(a, b)].append(f"{target}: {stance}")
    return [(a, b, len(which), "; ".join(which)) for (a, b), which in sorted(shared.items())]


def write_dna(utterances: list[Utterance], path: Path) -> int:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=DNA_COLUMNS)
        writer.writeheader()
        for u in utterances:
            first = u.sources[0] if u.sources else None
            writer.writerow({
                "id": u.id, "date": u.date or "", "person": u.speaker, "concept": u.target,
                "agreement": DNA_AGREEMENT.get(u.stance, u.stance), "stance": u.stance,
                "confidence": u.confidence, "text": u.text, "source": (first.source if first else None) or "",
                "documents": " ".join(str(s.article) for s in u.sources),
                "speaker_mention": (first.speaker_mention if first else None) or "",
            })
    return len(utterances)


def write_graphml(utterances: list[Utterance], path: Path, with_congruence: bool = False) -> int:
    import networkx as nx

    if with_congruence:
        graph = nx.Graph(name="actor congruence")
        for actor in sorted({u.speaker for u in utterances}, key=str.casefold):
            graph.add_node(actor, kind="actor")
        for a, b, weight, which in congruence(utterances):
            graph.add_edge(a, b, weight=weight, shared=which)
    else:
        graph = nx.MultiDiGraph(name="actor x target")
        for u in utterances:
            graph.add_node(u.speaker, kind="actor")
            graph.add_node(u.target, kind="target")
        for e in edges(utterances):
            graph.add_edge(e["actor"], e["target"], key=e["stance"], stance=e["stance"], weight=e["weight"],
                           sources=e["sources"], first_date=e["first_date"], last_date=e["last_date"])
    nx.write_graphml(graph, str(path))
    return graph.number_of_edges()


def write_edge_csv(utterances: list[Utterance], path: Path) -> int:
    rows = edges(utterances)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=EDGE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def export_network(db_path: Path, fmt: str, out: Path, *, congruence_network: bool = False,
                   actor: Optional[str] = None, target: Optional[str] = None,
                   since: Optional[str] = None, until: Optional[str] = None) -> dict:
    """Write the store's positions as `fmt` (dna, graphml, csv) to `out`; returns what was written."""
    from stance.report import load_aggregate

    if fmt not in EXPORT_FORMATS:
        raise StanceError(f"--format {fmt!r} is not known; expected one of {', '.join(EXPORT_FORMATS)}")
    if congruence_network and fmt != "graphml":
        raise StanceError("--congruence needs --format graphml")
    result = load_aggregate(db_path, actor=actor, target=target, since=since, until=until)
    utterances = position_utterances(result)
    out = Path(out)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "dna":
        count, unit = write_dna(utterances, out), "statements"
    elif fmt == "graphml":
        count, unit = write_graphml(utterances, out, congruence_network), "edges"
    else:
        count, unit = write_edge_csv(utterances, out), "edges"
    return {"path": str(out), "format": fmt, "count": count, "unit": unit, "utterances": len(utterances)}
