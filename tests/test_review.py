"""The review loop: queue choice, import validation, human labels winning in the reports."""

from __future__ import annotations

import csv
import json
import sqlite3

from typer.testing import CliRunner

from stance.cli import app
from stance.records import Article, Prediction, Statement
from stance.review.queue import rank, spread
from stance.store import Store

runner = CliRunner()

# (article, date, speaker, text, target, stance, confidence)
ROWS = [
    ("a1", "2025-01-10", "Jane Roe", "We will always defend our allies.", "Article 5", "support", 0.95),
    ("a1", "2025-01-10", "Jane Roe", "The alliance is strong.", "NATO", "support", 0.55),
    ("a2", "2025-02-10", "Jane Roe", "Maybe we will not defend them.", "Article 5", "doubt", 0.90),
    ("a2", "2025-02-10", "John Poe", "The budget passed today.", "NATO", "none", 0.40),
    ("a3", "2025-03-10", "John Poe", "Greenland is not for sale.", "Greenland", "doubt", 0.70),
    ("a3", "2025-03-10", "John Poe", "Talks with Denmark resume.", "Greenland", "none", 0.65),
]


def make_store(path):
    with Store(path) as store:
        ids = []
        for article in sorted({r[0] for r in ROWS}):
            mine = [r for r in ROWS if r[0] == article]
            ids += store.replace_article(
                Article(id=article, text="...", content_hash=article, date=mine[0][1], date_precision="day"),
                [Statement(article=article, speaker=r[2], speaker_mention=r[2], text=r[3], kind="direct", start=i * 50,
                           end=i * 50 + len(r[3]), context=f"Context of: {r[3]}") for i, r in enumerate(mine)])
        store.add_predictions("m1", [(sid, Prediction(target=r[4], stance=r[5], target_probs={r[4]: 0.99},
                                                      stance_probs={r[5]: r[6]})) for sid, r in zip(ids, ROWS)])
    return path, ids


def _queue(tmp_path, db, n=10):
    out = tmp_path / "queue.jsonl"
    result = runner.invoke(app, ["review", "queue", "--db", str(db), "--n", str(n), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_queue_puts_lone_change_witnesses_first_then_least_confident(tmp_path):
    db, ids = make_store(tmp_path / "s.db")
    rows = _queue(tmp_path, db)
    # Jane Roe on Article 5: support (Jan) -> doubt (Feb), each side one statement: both come first
    assert {rows[0]["id"], rows[1]["id"]} == {ids[0], ids[2]}
    assert rows[0]["reasons"][0] == "the only evidence for one side of a change"
    # then by confidence, lowest first: 0.40, 0.55, 0.65, 0.70
    assert [r["id"] for r in rows[2:]] == [ids[3], ids[1], ids[5], ids[4]]
    assert set(rows[0]) >= {"id", "article", "date", "speaker", "speaker_mention", "text", "context", "target", "stance",
                            "target_probs", "stance_probs"}
    assert len({r["id"] for r in rows}) == len(rows) == 6


def test_queue_spreads_over_speakers_and_targets():
    rows = [{"statement_id": i, "article": "a", "speaker": sp, "text": "t", "target": "NATO", "stance": "support",
             "target_probs": {"NATO": 1.0}, "stance_probs": {"support": conf}}
            for i, (sp, conf) in enumerate([("A", 0.1), ("A", 0.2), ("A", 0.3), ("B", 0.5), ("C", 0.6)])]
    chosen = spread(rank(rows, reviewed=set()), 3)
    # one from each speaker before a second from A, although A's second is less confident than B's
    assert [r["speaker"] for r in chosen] == ["A", "B", "C"]


def test_reviewed_statements_never_return_and_import_wins_in_reports(tmp_path):
    db, ids = make_store(tmp_path / "s.db")
    rows = _queue(tmp_path, db, n=2)
    reviewed = tmp_path / "reviewed.jsonl"
    rows[0].update(stance="conditional")  # Jane Roe's January statement, corrected
    rows[1].update(statement=False)
    reviewed.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = runner.invoke(app, ["review", "import", str(reviewed), "--db", str(db), "--annotator", "kim"])
    assert result.exit_code == 0, result.output
    assert "imported 2 review(s) by kim (1 marked not a statement)" in result.output
    again = _queue(tmp_path, db)
    assert not {r["id"] for r in again} & {rows[0]["id"], rows[1]["id"]}

    out = tmp_path / "reports"
    result = runner.invoke(app, ["report", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = {int(r["statement_id"]): r for r in csv.DictReader((out / "statements.csv").open(encoding="utf-8"))}
    corrected = table[rows[0]["id"]]
    assert (corrected["stance"], corrected["human"], corrected["annotator"]) == ("conditional", "yes", "kim")
    assert corrected["model_stance"] in ("support", "doubt")  # the model's guess stays beside it
    assert rows[1]["id"] not in table  # not a statement: out of the reports
    assert table[ids[3]]["human"] == ""


def test_human_labels_survive_reanalysis_of_a_changed_article(tmp_path):
    db, ids = make_store(tmp_path / "s.db")
    reviewed = tmp_path / "r.jsonl"
    reviewed.write_text(json.dumps({"id": ids[4], "target": "Greenland", "stance": "support", "speaker": "John Q. Poe"}) + "\n")
    assert runner.invoke(app, ["review", "import", str(reviewed), "--db", str(db)]).exit_code == 0
    with Store(db) as store:  # the article changes (new hash); the reviewed sentence is still in it
        store.replace_article(Article(id="a3", text="....", content_hash="a3-v2", date="2025-03-10", date_precision="day"),
                              [Statement(article="a3", speaker="John Poe", speaker_mention="Poe", text="Greenland is not for sale.",
                                         kind="direct", start=10, end=36, context="")])
        [(new_id, _)] = [pair for page in store.pages_needing_prediction("m1") for pair in page]
        store.add_predictions("m1", [(new_id, Prediction(target="Greenland", stance="doubt"))])
        [row] = [r for r in store.load_labelled() if r["article"] == "a3"]
    assert (row["speaker"], row["stance"], row["human"], row["model_stance"]) == ("John Q. Poe", "support", True, "doubt")


def test_import_lists_every_bad_row_and_imports_nothing(tmp_path):
    db, ids = make_store(tmp_path / "s.db")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(json.dumps(r) for r in [
        {"id": ids[0], "target": "Article 5", "stance": "support"},   # fine
        {"id": ids[1], "target": "Trade", "stance": "support"},        # unknown label
        {"id": 99999, "target": "NATO", "stance": "doubt"},            # unknown statement
        {"id": "7", "target": "NATO", "stance": "doubt"},              # wrong type
        {"id": ids[2], "stance": "doubt"},                             # missing target
    ]) + "\n")
    result = runner.invoke(app, ["review", "import", str(bad), "--db", str(db)])
    assert result.exit_code == 1
    assert "4 bad row(s), nothing imported" in result.output
    for line, message in [(2, "target 'Trade' is not in the label config"), (3, "statement id 99999 is not in"),
                          (4, "'id' is '7'; expected the statement's integer id"), (5, "'target' is None")]:
        assert f"bad.jsonl:{line}: {message}" in result.output
    with Store(db) as store:
        assert store.reviewed_ids() == set()


def test_a_version_1_store_gains_the_reviews_table(tmp_path):
    db, _ = make_store(tmp_path / "s.db")
    con = sqlite3.connect(db)
    con.execute("DROP TABLE reviews")  # back to the version-1 schema
    con.execute("ALTER TABLE articles DROP COLUMN text")
    con.execute("ALTER TABLE statements DROP COLUMN speaker_confidence")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with Store(db) as store:
        assert store.reviewed_ids() == set() and len(store.load_labelled()) == len(ROWS)
        assert store.paragraph_of(1) is None  # stored before article text was kept
        assert {r["speaker_confidence"] for r in store.load_labelled()} == {1.0}  # stored before the field


def test_a_version_2_store_gains_speaker_confidence_and_new_statements_keep_theirs(tmp_path):
    from dataclasses import replace

    db, _ = make_store(tmp_path / "s.db")
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE statements DROP COLUMN speaker_confidence")
    con.execute("PRAGMA user_version = 2")
    con.commit()
    con.close()
    with Store(db) as store:
        rows = store.load_labelled()
        assert rows and {r["speaker_confidence"] for r in rows} == {1.0}
        article = Article(id="late", text="Jane Roe said the alliance is strong.", content_hash="h-late")
        statement = Statement(article="late", speaker="Jane Roe", speaker_mention="she", text="the alliance is strong",
                              kind="indirect", start=14, end=36, context="", speaker_confidence=0.42)
        store.replace_article(article, [statement])
        pending = [pair for page in store.pages_needing_prediction("m-late", 100) for pair in page]
        (sid, stored), = [(i, s) for i, s in pending if s.article == "late"]
        assert stored == replace(statement, date=None, date_precision=None)
