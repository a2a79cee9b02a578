"""The SQLite statement store: incremental writes, transactions, clear errors."""

from __future__ import annotations

import sqlite3

import pytest

from stance.errors import StanceError
from stance.records import Article, Prediction, Statement
from stance.store.database import SCHEMA_VERSION, Store


def article(id="a1", hash="h1", date="2025-03-07", **kw) -> Article:
    return Article(id=id, text="...", content_hash=hash, date=date, date_precision="day" if date else None, **kw)


def statement(text, article_id="a1", speaker="Donald Trump", start=0) -> Statement:
    return Statement(article=article_id, speaker=speaker, speaker_mention="Mr Trump", text=text, kind="direct",
                     start=start, end=start + len(text), context=f"... {text} ...")


def label(store, model_id="m1", target="Article 5", stance="conditional") -> int:
    todo = [pair for page in store.pages_needing_prediction(model_id) for pair in page]
    return store.add_predictions(model_id, [
        (sid, Prediction(target=target, stance=stance, target_probs={target: 0.9}, stance_probs={stance: 0.7}))
        for sid, _ in todo
    ])


def test_new_unchanged_changed_and_replace(tmp_path):
    with Store(tmp_path / "s.db") as store:
        a = article()
        assert store.article_status(a) == "new"
        ids = store.replace_article(a, [statement("If they don't pay, I won't defend them."), statement("Second.", start=50)])
        assert len(ids) == 2
        assert store.article_status(a) == "unchanged"
        assert store.article_status(article(hash="h2")) == "changed"
        assert store.article_status(article(date="2025-03-08")) == "changed"  # corrected metadata counts too
        assert label(store) == 2
        assert label(store) == 0  # unchanged: nothing left to label

        store.replace_article(article(hash="h2"), [statement("Only one now.")])
        rows = store.load_labelled()
        assert rows == []  # the old statements and their predictions are gone; the new one is unlabelled
        assert store.counts()["labelled"] == 0  # gone from the table, not only hidden by a join
        assert [s.text for _, s in [pair for page in store.pages_needing_prediction("m1") for pair in page]] == ["Only one now."]
        assert store.counts()["statements"] == 1


def test_replacing_an_article_deletes_its_predictions_and_only_its(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.replace_article(article(), [statement("One."), statement("Two.", start=9)])
        store.replace_article(article(id="a2"), [statement("Other article.", article_id="a2")])
        assert label(store, "m1") == 3 and label(store, "m2") == 3
        store.replace_article(article(hash="h2"), [statement("Changed.")])
    with sqlite3.connect(tmp_path / "s.db") as db:  # the table itself, not what a join shows
        left = db.execute("SELECT s.article, p.model_id FROM predictions p JOIN statements s ON s.id = p.statement "
                          "ORDER BY p.model_id").fetchall()
        assert db.execute("SELECT COUNT(*) FROM predictions").fetchone()[0] == 2
    assert left == [("a2", "m1"), ("a2", "m2")]


def test_store_persists_and_reopens(tmp_path):
    path = tmp_path / "s.db"
    with Store(path) as store:
        store.replace_article(article(source="Reuters"), [statement("We stand with our allies.")])
        label(store, stance="support")
    with Store(path, create=False) as store:
        (row,) = store.load_labelled()
        assert row["speaker"] == "Donald Trump" and row["source"] == "Reuters"
        assert row["date"] == "2025-03-07" and row["date_precision"] == "day"
        assert row["stance"] == "support" and row["stance_probs"] == {"support": 0.7}
        assert row["start"] == 0 and row["end"] == len("We stand with our allies.")
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_new_model_relabels_and_is_used_by_default(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.replace_article(article(), [statement("One."), statement("Two.", start=9)])
        label(store, "m1", stance="support")
        assert store.latest_model_id() == "m1"
        assert len([pair for page in store.pages_needing_prediction("m2") for pair in page]) == 2
        label(store, "m2", stance="doubt")
        assert store.latest_model_id() == "m2"
        assert {r["stance"] for r in store.load_labelled()} == {"doubt"}
        assert {r["stance"] for r in store.load_labelled("m1")} == {"support"}
        assert store.model_ids() == ["m2", "m1"]


def test_load_labelled_filters_and_undated_articles(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.replace_article(article("a1"), [statement("One.", "a1")])
        store.replace_article(article("a2", date=None), [statement("Two.", "a2", speaker="Jens Stoltenberg")])
        label(store)
        assert [r["article"] for r in store.load_labelled(actor="jens stoltenberg")] == ["a2"]
        assert store.load_labelled(target="NATO") == []
        (undated,) = store.load_labelled(article="a2")
        assert undated["date"] is None and undated["date_precision"] is None


def test_interrupted_write_leaves_no_half_written_article(tmp_path):
    path = tmp_path / "s.db"
    with Store(path) as store:
        store.replace_article(article(), [statement("Old quote.")])
        label(store)

        def statements_then_interrupt():
            yield statement("New quote one.")
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            store.replace_article(article(hash="h2"), statements_then_interrupt())
        assert store.article_status(article()) == "unchanged"
        assert [r["text"] for r in store.load_labelled()] == ["Old quote."]

        with pytest.raises(StanceError, match="belongs to article"):
            store.replace_article(article("a2"), [statement("Wrong article.", "a1")])
        assert store.article_status(article("a2")) == "new"

        bad = [(1, Prediction("NATO", "doubt")), (999, Prediction("NATO", "doubt"))]
        with pytest.raises(StanceError, match="999"):
            store.add_predictions("m2", bad)
        assert store.latest_model_id() == "m1"  # the failed batch left nothing, not even the model
    with Store(path) as store:  # and a fresh connection sees the same
        assert [r["text"] for r in store.load_labelled()] == ["Old quote."]


def test_locked_database_is_a_clear_error(tmp_path):
    path = tmp_path / "s.db"
    Store(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StanceError, match=r"s\.db: the database is locked"):
            with Store(path, timeout=0.1) as store:
                store.replace_article(article(), [])
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_write_while_another_writer_holds_the_lock(tmp_path):
    path = tmp_path / "s.db"
    with Store(path) as first, Store(path, timeout=0.1) as second:
        first._db.execute("BEGIN IMMEDIATE")
        with pytest.raises(StanceError, match="locked"):
            second.replace_article(article(), [statement("x")])
        first._db.execute("ROLLBACK")
        second.replace_article(article(), [statement("x")])


@pytest.mark.parametrize("content", [b"this is not a database at all\n" * 200, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_corrupt_or_foreign_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    with pytest.raises(StanceError, match=r"notes\.db: not a readable stance database"):
        Store(path)


def test_other_sqlite_database_and_newer_schema(tmp_path):
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE things (x)")
    con.commit()
    con.close()
    with pytest.raises(StanceError, match="not a stance database"):
        Store(other)
    newer = tmp_path / "newer.db"
    Store(newer).close()
    con = sqlite3.connect(newer)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    with pytest.raises(StanceError, match="newer"):
        Store(newer)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(StanceError, match="no such database"):
        Store(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(StanceError, match="is a directory"):
        Store(tmp_path)
    with Store(tmp_path / "sub" / "dir" / "s.db") as store:  # creates the folders
        assert store.counts()["articles"] == 0
