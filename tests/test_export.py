"""`stance export`: DNA statements, GraphML networks and CSV edges, each read back."""

from __future__ import annotations

import csv

import networkx as nx
from typer.testing import CliRunner

from stance.cli import app
from test_report import make_store

runner = CliRunner()


def _export(tmp_path, *args):
    db = make_store(tmp_path / "s.db")
    result = runner.invoke(app, ["export", "--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result


def test_dna_export_one_row_per_utterance_with_agreement(tmp_path):
    out = tmp_path / "dna.csv"
    result = _export(tmp_path, "--format", "dna", "--out", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    # make_store: Trump's three reports of one quote on 2025-03-07/08 merge into one utterance; the unknown speaker
    # and the target-none statement are not positions
    assert "wrote 5 statements from 5 utterances" in result.output
    assert [(r["person"], r["concept"], r["agreement"], r["date"]) for r in rows] == [
        ("Donald Trump", "Article 5", "conditional", "2024-02-12"),
        ("Donald Trump", "Article 5", "conditional", "2025-03-07"),
        ("Donald Trump", "Article 5", "no", "2026-01"),
        ("Donald Trump", "NATO", "no", "2026-01"),
        ("Mark Rutte", "Article 5", "yes", ""),
    ]
    merged = rows[1]
    assert sorted(merged["documents"].split()) == ["a2", "a3", "a4"]
    assert rows[0]["source"] == "Wire"


def test_graphml_two_mode_network_reads_back(tmp_path):
    out = tmp_path / "net.graphml"
    _export(tmp_path, "--format", "graphml", "--out", str(out))
    graph = nx.read_graphml(out)
    assert graph.nodes["Donald Trump"]["kind"] == "actor" and graph.nodes["Article 5"]["kind"] == "target"
    edges = {(a, b, d["stance"]): d for a, b, d in graph.edges(data=True)}
    assert set(edges) == {("Donald Trump", "Article 5", "conditional"), ("Donald Trump", "Article 5", "doubt"),
                          ("Donald Trump", "NATO", "doubt"), ("Mark Rutte", "Article 5", "support")}
    conditional = edges[("Donald Trump", "Article 5", "conditional")]
    assert conditional["weight"] == 2 and conditional["sources"] == 4
    assert (conditional["first_date"], conditional["last_date"]) == ("2024-02-12", "2025-03-07")


def test_graphml_congruence_links_actors_sharing_a_stance(tmp_path):
    db = make_store(tmp_path / "s.db")
    from stance.records import Article, Prediction, Statement
    from stance.store import Store

    with Store(db) as store:  # a second actor who, like Trump, doubts NATO
        [sid] = store.replace_article(Article(id="b1", text="...", content_hash="b1", date="2026-02-01", date_precision="day"),
                                      [Statement(article="b1", speaker="Jane Roe", speaker_mention="Roe", text="What is NATO for now?",
                                                 kind="direct", start=0, end=20, context="")])
        store.add_predictions("m1", [(sid, Prediction(target="NATO", stance="doubt", target_probs={"NATO": 0.9},
                                                      stance_probs={"doubt": 0.8}))])
    out = tmp_path / "congruence.graphml"
    result = runner.invoke(app, ["export", "--db", str(db), "--format", "graphml", "--congruence", "--out", str(out)])
    assert result.exit_code == 0, result.output
    graph = nx.read_graphml(out)
    assert set(graph.nodes) == {"Donald Trump", "Mark Rutte", "Jane Roe"}
    assert [(a, b, d["weight"], d["shared"]) for a, b, d in graph.edges(data=True)] == [("Donald Trump", "Jane Roe", 1, "NATO: doubt")]


def test_csv_edges_match_the_graphml_edges(tmp_path):
    out = tmp_path / "edges.csv"
    _export(tmp_path, "--format", "csv", "--out", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["actor"], r["target"], r["stance"], r["weight"]) for r in rows] == [
        ("Donald Trump", "Article 5", "conditional", "2"), ("Donald Trump", "Article 5", "doubt", "1"),
        ("Donald Trump", "NATO", "doubt", "1"), ("Mark Rutte", "Article 5", "support", "1")]


def test_export_rejects_unknown_format_and_congruence_without_graphml(tmp_path):
    db = make_store(tmp_path / "s.db")
    result = runner.invoke(app, ["export", "--db", str(db), "--format", "gexf", "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "--format 'gexf' is not known; expected one of dna, graphml, csv" in result.output
    result = runner.invoke(app, ["export", "--db", str(db), "--format", "csv", "--congruence", "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "--congruence needs --format graphml" in result.output
