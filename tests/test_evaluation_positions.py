"""`stance evaluate positions`: the scorer on a hand-checked toy set, the three settings, the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from stance.track.aggregate import ChangeRule
from stance.cli import app
from stance.errors import StanceError
from stance.evaluate.position_inputs import position_inputs
from stance.evaluate.positions import evaluate_positions, score_rows
from stance.records import Article, Prediction, Statement
from stance.store import Store

# A hand-checked toy: (speaker, target, date, stance, confidence of the tool's label)
TEXTS = iter(f"Statement number {i} about the alliance, in words of its own: " + " ".join(["w%d" % (i * 7 + j) for j in range(6)])
             for i in range(100))


def _row(i, speaker, target, date, stance, p=None):
    row = {"statement_id": i, "article": f"a{i}", "speaker": speaker, "speaker_mention": speaker, "text": next(TEXTS),
           "kind": "direct", "start": 0, "end": 10, "context": "", "date": date, "date_precision": "day",
           "source": None, "title": None, "url": None, "target": target, "stance": stance,
           "target_probs": {}, "stance_probs": {}}
    if p is not None:
        row["target_probs"] = {target: 0.99, "none": 0.01}
        row["stance_probs"] = {stance: p, **{k: round((1 - p) / 3, 4) for k in ("support", "conditional", "doubt", "none")
                                            if k != stance}}
    return row


GOLD = [("Donald Trump", "Article 5", "2025-01-10", "conditional"), ("Donald Trump", "Article 5", "2025-01-20", "conditional"),
        ("Donald Trump", "Article 5", "2025-02-10", "support"), ("Donald Trump", "Article 5", "2025-02-20", "doubt"),
        ("Donald Trump", "Article 5", "2025-03-10", "doubt"), ("Donald Trump", "Article 5", "2025-03-20", "doubt"),
        ("Mark Rutte", "NATO", "2025-01-10", "support"), ("Mark Rutte", "NATO", "2025-02-10", "doubt"),
        ("Joe Biden", "NATO", "2025-01-10", "support"), ("Jens Stoltenberg", "Article 5", "2025-01-10", "support"),
        ("Jens Stoltenberg", "Article 5", "2025-02-10", "none")]
TOOL = [("Donald Trump", "Article 5", "2025-01-10", "conditional", 0.9), ("Donald Trump", "Article 5", "2025-01-20", "conditional", 0.9),
        ("Donald Trump", "Article 5", "2025-02-10", "support", 0.9), ("Donald Trump", "Article 5", "2025-02-20", "doubt", 0.9),
        ("Donald Trump", "Article 5", "2025-03-10", "doubt", 0.9),
        ("Mark Rutte", "NATO", "2025-01-10", "support", 0.9), ("Mark Rutte", "NATO", "2025-02-10", "doubt", 0.5),
        ("Joe Biden", "NATO", "2025-01-10", "support", 0.9), ("Joe Biden", "NATO", "2025-01-20", "doubt", 0.9),
        ("Emmanuel Macron", "Article 5", "2025-01-10", "support", 0.9),
        ("Emmanuel Macron", "Article 5", "2025-02-10", "conditional", 0.9)]


def test_scorer_on_a_hand_checked_toy_set():
    gold = [_row(i, *g) for i, g in enumerate(GOLD, 1)]
    tool = [_row(100 + i, *t) for i, t in enumerate(TOOL, 1)]
    result = score_rows(gold, tool, "month", ChangeRule(min_utterances=2, min_confidence=0.7, clear_sides=False))
    cells, changes = result["cells"], result["changes"]
    # Gold cells: Trump Jan {conditional}, Feb {support, doubt} (a tie), Mar {doubt}; Rutte Jan, Feb; Biden Jan;
    # Stoltenberg Jan (his Feb says nothing: no position, so no cell).
    assert cells["gold"] == 7
    # Right: Trump's three (the tie matched by the same tie) and Rutte's two. Biden's single support is wrong
    # against the tool's support/doubt tie; Stoltenberg is missed; Macron's two cells are invented.
    assert (cells["right"], cells["accuracy"]) == (5, 0.7143)
    assert cells["wrong_cells"] == ["Joe Biden on NATO in 2025-01: support (tool: support/doubt)"]
    assert cells["missed_cells"] == ["Jens Stoltenberg on Article 5 in 2025-01: support"]
    assert (cells["tool"], cells["invented"]) == (8, 2)
    # Gold changes: Trump conditional -> support/doubt (Jan -> Feb; Feb -> Mar shares doubt: no change), Rutte
    # support -> doubt. The tool: Trump's (firm, right), Rutte's (tentative: one statement at 0.5), Macron's
    # (firm, invented: a single statement, but confident).
    assert changes["gold"] == 2
    assert (changes["firm"], changes["firm_right"], changes["precision"], changes["recall"]) == (2, 1, 0.5, 0.5)
    assert (changes["tentative"], changes["tentative_right"]) == (1, 1)
    assert (changes["all_precision"], changes["all_recall"]) == (0.6667, 1.0)
    assert changes["right_changes"] == ["Donald Trump on Article 5: conditional (2025-01) → support/doubt (2025-02)"]
    assert changes["wrong_changes"] == ["Emmanuel Macron on Article 5: support (2025-01) → conditional (2025-02)"]
    assert changes["tentative_right_changes"] == ["Mark Rutte on NATO: support (2025-01) → doubt (2025-02)"]

    # By year every statement falls in one period: no change anywhere; Trump's year is conditional/doubt on both sides.
    by_year = score_rows(gold, tool, "year")
    assert by_year["changes"]["gold"] == 0 and by_year["changes"]["firm"] == 0
    assert by_year["changes"]["precision"] is None  # no change stated: precision undefined, not 1

    # Gold against itself scores perfectly.
    same = score_rows(gold, gold, "month")
    assert same["cells"]["accuracy"] == 1.0 and same["cells"]["invented"] == 0
    assert (same["changes"]["precision"], same["changes"]["recall"]) == (1.0, 1.0)


ARTICLES = {
    "a1": ("2025-01-10", 'Trade talks resumed in Brussels.\n\n"We will defend our allies only if they pay their bills," '
                         "Donald Trump told reporters.\n\nMark Rutte said NATO is the strongest alliance in history."),
    "a2": ("2025-02-10", '"I doubt they would ever come to help us," Donald Trump said.\n\n'
                         "Mark Rutte said he doubts the alliance can survive without more money."),
}
GOLD_LABELS = [
    ("a1", "Donald Trump", "We will defend our allies only if they pay their bills", "Article 5", "conditional"),
    ("a1", "Mark Rutte", "NATO is the strongest alliance in history", "NATO", "support"),
    ("a2", "Donald Trump", "I doubt they would ever come to help us", "Article 5", "doubt"),
    ("a2", "Mark Rutte", "he doubts the alliance can survive without more money", "NATO", "doubt"),
]


def _articles():
    return [Article(id=k, text=t, content_hash=k, date=d, date_precision="day") for k, (d, t) in ARTICLES.items()]


def _gold_file(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps({"article": a, "speaker": s, "text": t, "target": tg, "stance": st}) + "\n"
                            for a, s, t, tg, st in GOLD_LABELS), encoding="utf-8")
    return path


def _fake_classify(wrong: set[str]):
    """A stand-in classifier: gold labels looked up by text, except that texts in `wrong` are called support."""
    by_text = {t: (tg, st) for _, _, t, tg, st in GOLD_LABELS}

    def classify(rows):
        out = []
        for r in rows:
            target, stance = by_text.get(r["text"], ("none", "none"))
            stance = "support" if r["text"] in wrong else stance
            out.append(Prediction(target=target, stance=stance, target_probs={target: 0.9}, stance_probs={stance: 0.55}))
        return out

    return classify


def test_settings_separate_classifier_and_extraction_errors(tmp_path):
    gold = _gold_file(tmp_path)
    wrong = {"I doubt they would ever come to help us"}
    report = evaluate_positions(position_inputs(_articles(), gold, classify=_fake_classify(wrong)),
                                rule=ChangeRule(2, 0.6), json_path=tmp_path / "r.json")
    assert report["statements"] == {"gold": 4, "tool": 4, "matched": 4}
    end, clf, ext = (report["settings"][k] for k in ("end_to_end", "classifier_only", "extraction_only"))
    # The classifier calls Trump's doubt support: his February cell is wrong and his change is lost, in both
    # settings that use its labels; with gold labels on the extracted statements everything is right.
    for r in (end, clf):
        assert (r["cells"]["right"], r["cells"]["gold"]) == (3, 4)
        assert r["changes"]["missed_changes"] == ["Donald Trump on Article 5: conditional (2025-01) → doubt (2025-02)"]
    assert ext["cells"]["accuracy"] == 1.0 and (ext["changes"]["precision"], ext["changes"]["recall"]) == (1.0, 1.0)
    # Rutte's change rests on single statements labelled at 0.55: tentative under a rule at 0.6.
    assert end["changes"]["tentative_right_changes"] == ["Mark Rutte on NATO: support (2025-01) → doubt (2025-02)"]
    grid = {(g["min_utterances"], g["min_confidence"]): g for g in report["rule_grid"]["end_to_end"]}
    # and Trump's wrong change (conditional -> support) is tentative too; trusting every change states both.
    assert (end["changes"]["firm"], end["changes"]["tentative"]) == (0, 2)
    assert {k: grid[(2, 0.0)][k] for k in ("firm", "firm_right", "precision", "recall")} == \
        {"firm": 2, "firm_right": 1, "precision": 0.5, "recall": 0.5}
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["settings"]["end_to_end"] == end


def test_gold_text_missing_from_article_is_an_error(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"article": "a1", "speaker": "X", "text": "never said", "target": "NATO",
                                "stance": "support"}) + "\n", encoding="utf-8")
    with pytest.raises(StanceError, match="text not found in article 'a1'"):
        position_inputs(_articles(), gold, classify=_fake_classify(set()))
    gold.write_text(json.dumps({"article": "a1", "speaker": "Donald Trump",
                                "text": "We will defend our allies only if they pay their bills"}) + "\n", encoding="utf-8")
    with pytest.raises(StanceError, match="gold statement has no 'target'"):
        position_inputs(_articles(), gold, classify=_fake_classify(set()))


def _article_folder(tmp_path):
    """The test articles as .txt files with a manifest of their dates."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for article_id, (date, text) in ARTICLES.items():
        (folder / f"{article_id}.txt").write_text(text, encoding="utf-8")
    (folder / "manifest.jsonl").write_text("".join(json.dumps({"article": k, "date": d, "date_precision": "day"}) + "\n"
                                                   for k, (d, _) in ARTICLES.items()), encoding="utf-8")
    return folder


def test_cli_scores_a_store(tmp_path):
    folder = _article_folder(tmp_path)
    gold = _gold_file(tmp_path)
    db = tmp_path / "s.db"
    labels = {"We will defend our allies only if they pay their bills": ("Article 5", "conditional"),
              "NATO is the strongest alliance in history": ("NATO", "support"),
              "I doubt they would ever come to help us": ("Article 5", "support"),  # the model's mistake
              "he doubts the alliance can survive without more money": ("NATO", "doubt")}
    with Store(db) as store:
        for article in _articles():
            statements = []
            for _, speaker, text, _, _ in (g for g in GOLD_LABELS if g[0] == article.id):
                start = article.text.index(text)
                statements.append(Statement(article=article.id, speaker=speaker, speaker_mention=speaker, text=text,
                                            kind="direct", start=start, end=start + len(text), context="",
                                            date=article.date, date_precision="day"))
            store.replace_article(article, statements)
        pending = [pair for page in store.pages_needing_prediction("m1") for pair in page]
        store.add_predictions("m1", [(sid, Prediction(*labels[s.text], target_probs={labels[s.text][0]: 0.95},
                                                      stance_probs={labels[s.text][1]: 0.95})) for sid, s in pending])
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["evaluate", "positions", str(folder), "--gold", str(gold), "--db", str(db),
                                      "--json", str(out)])
    assert result.exit_code == 0, result.output
    # the store's one wrong label: a wrong cell, a wrong change instead of the right one, and only there
    assert "| end_to_end | 0.750 | 4 | 3 | 0 | 0.500 | 0.500 | 2 | 2 (1) | 0 (0) |" in result.output
    assert "| classifier_only | not measured (needs a model)" in result.output
    assert "| extraction_only | 1.000 | 4 | 4 | 0 | 1.000 | 1.000 | 2 | 2 (2) | 0 (0) |" in result.output
    assert "- wrong cell: Donald Trump on Article 5 in 2025-02: doubt (tool: support)" in result.output
    assert "- wrong change: Donald Trump on Article 5: conditional (2025-01) → support (2025-02)" in result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["settings"]["classifier_only"] is None and report["statements"]["matched"] == 4
    assert report["source"] == {"db": str(db), "model": None, "db_model": "m1"}

    missing = CliRunner().invoke(app, ["evaluate", "positions", str(folder), "--gold", str(gold), "--db",
                                       str(tmp_path / "none.db")])
    assert missing.exit_code == 1 and "no such database" in missing.output


def test_loeo_script_scores_recorded_heldout_labels(tmp_path):
    """scripts/positions_loeo.py --cv-json: each statement takes the recorded held-out label of its gold match."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("positions_loeo", Path(__file__).parent.parent / "scripts" / "positions_loeo.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    folder = _article_folder(tmp_path)
    gold = _gold_file(tmp_path)
    recorded = [[tg, "support" if line == 3 else st] for line, (_, _, _, tg, st) in enumerate(GOLD_LABELS, 1)]
    cv = tmp_path / "cv.json"
    cv.write_text(json.dumps({"cv": "event", "predictions": [
        {"where": f"seeds/gold.jsonl:{line}", "text": g[2], "finetune+tfidf": label}
        for line, (g, label) in enumerate(zip(GOLD_LABELS, recorded), 1)]}), encoding="utf-8")
    out = tmp_path / "r.json"
    assert script.main([str(folder), "--gold", str(gold), "--cv-json", str(cv), "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["classifier"]["cv_json"] == str(cv)
    for setting in ("end_to_end", "classifier_only"):  # Trump's February doubt recorded as support
        cells = report["settings"][setting]["cells"]
        assert cells["wrong_cells"] == ["Donald Trump on Article 5 in 2025-02: doubt (tool: support)"]
    assert report["settings"]["extraction_only"]["cells"]["accuracy"] == 1.0
    cv.write_text(json.dumps({"cv": "event", "predictions": []}), encoding="utf-8")
    assert script.main([str(folder), "--gold", str(gold), "--cv-json", str(cv)]) == 1  # nothing recorded: an error


def test_pipeline_and_store_modes_score_what_the_report_says(tmp_path):
    """One run of `stance analyze`: `evaluate positions` in pipeline mode and with --db see the same cells and
    changes, and those are the report's; statements the relevance gate set aside vote for no target in any of them."""
    import shutil
    from pathlib import Path

    from _tiny import trained_tiny

    seeds = Path(__file__).resolve().parent.parent / "seeds"
    folder = tmp_path / "news"
    shutil.copytree(seeds, folder, ignore=shutil.ignore_patterns("extra", "labels.jsonl"))
    offtopic = ('The council met on Tuesday.\n\n"We will cut the property tax next spring," Mayor Jane Doe said. '
                '"Our schools need the money more than anyone," she added.')
    (folder / "zz_offtopic.txt").write_text(offtopic, encoding="utf-8")
    with (folder / "manifest.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"article": "zz_offtopic", "date": "2025-03-04"}) + "\n")
    gold = tmp_path / "gold.jsonl"
    gold.write_text((seeds / "labels.jsonl").read_text(encoding="utf-8") + json.dumps(
        {"article": "zz_offtopic", "speaker": "Jane Doe", "text": "We will cut the property tax next spring",
         "target": "none", "stance": "none"}) + "\n", encoding="utf-8")
    model, db, out = trained_tiny(), tmp_path / "s.db", tmp_path / "reports"
    run = CliRunner().invoke(app, ["analyze", str(folder), "--model", str(model), "--db", str(db), "--out", str(out),
                                   "--workers", "0"])
    assert run.exit_code == 0, run.output
    with Store(db) as store:
        gated = [r for r in store.load_labelled() if r["off_target"]]
    assert gated, "the run should have statements the relevance gate set aside"

    reports = {}
    for mode, args in (("pipeline", ["--model", str(model)]), ("store", ["--db", str(db)])):
        result = CliRunner().invoke(app, ["evaluate", "positions", str(folder), "--gold", str(gold), *args,
                                          "--json", str(tmp_path / f"{mode}.json")])
        assert result.exit_code == 0, result.output
        reports[mode] = json.loads((tmp_path / f"{mode}.json").read_text(encoding="utf-8"))
    pipeline, stored = (reports[m]["settings"]["end_to_end"] for m in ("pipeline", "store"))
    assert pipeline == stored
    report = json.loads((out / "positions.json").read_text(encoding="utf-8"))
    said = {(p["actor"], p["target"], e["period"]): e["top"] for p in report["positions"] for e in p["periods"] if e["top"]}
    assert stored["cells"]["tool"] == len(said) > 0
    assert sorted(stored["changes"]["right_changes"] + stored["changes"]["wrong_changes"]) == sorted(report["changes"])
