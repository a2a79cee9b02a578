"""Actor × target networks from the statement store.

Built from the same aggregation the reports use (one utterance reported by
several outlets counts once; statements with an unknown speaker or no target
are left out), so an exported network says what the report says; like the
reports, the store is aggregated one speaker at a time and the utterances are
written as they are read back (stance.report.spooled_store).

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
from typing import Iterable, Optional

from stance.errors import StanceError
from stance.report import spooled_store
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


def edges(utterances: Iterable[Utterance]) -> list[dict]:
    """One edge per actor, target and stance: utterance count, distinct source articles, first and last date."""
    groups: dict[tuple, dict] = {}
    for u in utterances:
        edge = groups.setdefault((u.speaker, u.target, u.stance), {"weight": 0, "articles": set(), "dates": [], "ids": []})
        edge["weight"] += 1
        edge["articles"].update(s.article for s in u.sources)
        edge["dates"] += [u.date] if u.date else []
        edge["ids"] += [u.id] if u.id else []
    out = []
    for (actor, target, stance), edge in sorted(groups.items(), key=lambda kv: (kv[0][0].casefold(), kv[0][1], kv[0][2])):
        out.append({
            "actor": actor, "target": target, "stance": stance, "weight": edge["weight"],
            "sources": len(edge["articles"]), "first_date": min(edge["dates"], default=""),
            "last_date": max(edge["dates"], default=""), "utterances": " ".join(edge["ids"]),
        })
    return out


def congruence(utterances: Iterable[Utterance]) -> list[tuple[str, str, int, str]]:
    """Actor pairs sharing (target, stance) pairs: (actor a, actor b, how many, which)."""
    return _congruence(utterances)[1]


def _congruence(utterances: Iterable[Utterance]) -> tuple[set[str], list[tuple[str, str, int, str]]]:
    """The actors, and the pairs of them sharing (target, stance) pairs, in one pass."""
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    actors = set()
    for u in utterances:
        holders[(u.target, u.stance)].add(u.speaker)
        actors.add(u.speaker)
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (target, stance), holding in sorted(holders.items()):
        for a, b in combinations(sorted(holding, key=str.casefold), 2):
            shared[(a, b)].append(f"{target}: {stance}")
    return actors, [(a, b, len(which), "; ".join(which)) for (a, b), which in sorted(shared.items())]


def write_dna(utterances: Iterable[Utterance], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=DNA_COLUMNS)
        writer.writeheader()
        for u in utterances:
            count += 1
            first = u.sources[0] if u.sources else None
            writer.writerow({
                "id": u.id, "date": u.date or "", "person": u.speaker, "concept": u.target,
                "agreement": DNA_AGREEMENT.get(u.stance, u.stance), "stance": u.stance,
                "confidence": u.confidence, "text": u.text, "source": (first.source if first else None) or "",
                "documents": " ".join(str(s.article) for s in u.sources),
                "speaker_mention": (first.speaker_mention if first else None) or "",
            })
    return count


def write_graphml(utterances: Iterable[Utterance], path: Path, with_congruence: bool = False) -> int:
    import networkx as nx

    if with_congruence:
        actors, pairs = _congruence(utterances)
        graph = nx.Graph(name="actor congruence")
        for actor in sorted(actors, key=str.casefold):
            graph.add_node(actor, kind="actor")
        for a, b, weight, which in pairs:
            graph.add_edge(a, b, weight=weight, shared=which)
    else:
        nodes: dict[str, str] = {}  # in order of first appearance, as networkx keeps them

        def noting_nodes():
            for u in utterances:
                nodes[u.speaker], nodes[u.target] = "actor", "target"
                yield u

        network = edges(noting_nodes())
        graph = nx.MultiDiGraph(name="actor x target")
        for name, kind in nodes.items():
            graph.add_node(name, kind=kind)
        for e in network:
            graph.add_edge(e["actor"], e["target"], key=e["stance"], stance=e["stance"], weight=e["weight"],
                           sources=e["sources"], first_date=e["first_date"], last_date=e["last_date"])
    nx.write_graphml(graph, str(path))
    return graph.number_of_edges()


def write_edge_csv(utterances: Iterable[Utterance], path: Path) -> int:
    rows = edges(utterances)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=EDGE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


class _Counted:
    """An iterable that counts what passed through it."""

    def __init__(self, items: Iterable):
        self.items, self.count = items, 0

    def __iter__(self):
        for item in self.items:
            self.count += 1
            yield item


def export_network(db_path: Path, fmt: str, out: Path, *, congruence_network: bool = False,
                   actor: Optional[str] = None, target: Optional[str] = None,
                   since: Optional[str] = None, until: Optional[str] = None) -> dict:
    """Write the store's positions as `fmt` (dna, graphml, csv) to `out`; returns what was written."""
    if fmt not in EXPORT_FORMATS:
        raise StanceError(f"--format {fmt!r} is not known; expected one of {', '.join(EXPORT_FORMATS)}")
    if congruence_network and fmt != "graphml":
        raise StanceError("--congruence needs --format graphml")
    with spooled_store(db_path, actor=actor, target=target, since=since, until=until) as view:
        utterances = _Counted(view.position_utterances())
        out = Path(out)
        if out.parent and not out.parent.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "dna":
            count, unit = write_dna(utterances, out), "statements"
        elif fmt == "graphml":
            count, unit = write_graphml(utterances, out, congruence_network), "edges"
        else:
            count, unit = write_edge_csv(utterances, out), "edges"
    return {"path": str(out), "format": fmt, "count": count, "unit": unit, "utterances": utterances.count}
