"""Reports streamed from the store a speaker at a time: the same files as the in-memory aggregate, bounded
reads, and the model's own none label treated as none everywhere."""

from __future__ import annotations

import json
import random
from datetime import datetime, timezone

import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.errors import StanceError
from stance.records import Article, Prediction, Statement
from stance.report import load_aggregate, write_reports, write_store_reports
from stance.report.writers import REPORT_FILES
from stance.store import Review, Store
from stance.track import speaker_key

TRUMP = "Donald Trump"
NATO_DOUBT = "NATO is obsolete and we may not stay in it."

# (article, date, [(speaker, text, target, stance, p)]): one quote reported by three outlets, a speaker whose
# name comes in two casings, the unknown speaker, undated and month-precision articles, a none target.
ARTICLES = [
    ("a1", "2024-02-12", [(TRUMP, "We defend them only if they pay, period, no exceptions.", "Article 5", "conditional", 0.9),
                          ("Mark Rutte", "Article 5 is rock solid for every single ally.", "Article 5", "support", 0.8)]),
    ("a2", "2025-03-07", [(TRUMP, "If they don't pay, we won't protect them. No, we won't.", "Article 5", "conditional", 0.7),
                          ("unknown", "The alliance has never been stronger than today.", "NATO", "support", 0.6),
                          (TRUMP, "Tariffs are a very beautiful word, the best word.", "none", "none", 0.9)]),
    ("a3", "2025-03-08", [("DONALD TRUMP", "If they don’t pay, we won’t protect them. No, we won’t.", "Article 5", "doubt", 0.55),
                          ("unknown", "Nobody knows what the summit will bring this year.", "NATO", "doubt", 0.4),
                          ("Mark Rutte", "We will meet in The Hague and agree on spending.", "NATO", "support", 0.45)]),
    ("a4", "2025-03-09", [(TRUMP, "If they don't pay, we won't protect them", "Article 5", "conditional", 0.8),
                          ("unknown", "Some allies worry in private, one diplomat said.", "Article 5", "doubt", 0.5)]),
    ("a5", "2026-01", [(TRUMP, "I doubt they would ever be there for us at all.", "Article 5", "doubt", 0.9),
                       (TRUMP, NATO_DOUBT, "NATO", "doubt", 0.85),
                       ("unknown", "The alliance will adapt, as it always has.", "NATO", "support", 0.7)]),
    ("a6", None, [("Mark Rutte", "Article 5 is rock solid, and so is our resolve.", "Article 5", "support", 0.9),
                  ("Ursula von der Leyen", "Europe must spend more on its own defence.", "NATO", "conditional", 0.65)]),
]


def _prediction(target, stance, p, targets=("Article 5", "NATO", "none"), stances=("support", "conditional", "doubt", "none")):
    target_probs = {t: (p if t == target else round((1 - p) / (len(targets) - 1), 4)) for t in targets}
    stance_probs = {s: (p if s == stance else round((1 - p) / (len(stances) - 1), 4)) for s in stances}
    return Prediction(target=target, stance=stance, target_probs=target_probs, stance_probs=stance_probs)


def make_store(path, articles=ARTICLES, model_id="m1", **labels):
    with Store(path) as store:
        predictions = []
        for article_id, date, statements in articles:
            precision = {10: "day", 7: "month"}.get(len(date)) if date else None
            article = Article(id=article_id, text="...", content_hash=article_id, date=date, date_precision=precision,
                              source="Wire")
            records = [Statement(article=article_id, speaker=sp, speaker_mention=sp, text=text, kind="direct",
                                 start=i * 100, end=i * 100 + len(text), context="", date=date, date_precision=precision)
                       for i, (sp, text, *_rest) in enumerate(statements)]
            ids = store.replace_article(article, records)
            predictions += [(sid, _prediction(t, s, p, **labels)) for sid, (_, _, t, s, p) in zip(ids, statements)]
        store.add_predictions(model_id, predictions)
    return path


def _review(store, statement_id, **fields):
    store.save_reviews([Review(statement=statement_id, annotator="kim",
                               reviewed_at=datetime.now(timezone.utc).isoformat(), **fields)])


def _reviewed_store(path):
    """The store with a reviewer's work: a statement given to another speaker, one marked not a statement."""
    make_store(path)
    with Store(path) as store:
        rows = {r["text"]: r["statement_id"] for r in store.load_labelled()}
        _review(store, rows["Europe must spend more on its own defence."], speaker="Mark Rutte", target="NATO",
                stance="doubt")
        _review(store, rows["Some allies worry in private, one diplomat said."], is_statement=False)
    return path


def _files(folder) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in REPORT_FILES}


FILTERS = [{}, {"actor": "trump"}, {"actor": "Mark Rutte", "period": "year"}, {"target": "article 5"},
           {"since": "2025-03", "until": "2025-03-31"}, {"since": "2026"}, {"target": "NATO", "until": "2025"},
           {"period": "day"}]


@pytest.mark.parametrize("filters", FILTERS)
def test_streamed_reports_equal_the_in_memory_aggregate(tmp_path, filters):
    db = _reviewed_store(tmp_path / "s.db")
    streamed = write_store_reports(db, tmp_path / "streamed", **filters)
    write_reports(load_aggregate(db, **filters), tmp_path / "memory")
    assert _files(tmp_path / "streamed") == _files(tmp_path / "memory")
    data = json.loads((tmp_path / "streamed" / "positions.json").read_text(encoding="utf-8"))
    assert streamed.changes == data["changes"] and streamed.stats.to_json() == data["stats"]
    assert data["stats"]["statements"] > 0


@pytest.mark.parametrize("filters, message", [({"actor": "Obama"}, "no speaker matches 'Obama'"),
                                              ({"target": "Greenland"}, "no target matches 'Greenland'"),
                                              ({"actor": "rutte", "since": "2030"}, "no dated statements")])
def test_filters_that_match_nothing_fail_alike(tmp_path, filters, message):
    db = make_store(tmp_path / "s.db")
    with pytest.raises(StanceError, match=message) as streamed:
        write_store_reports(db, tmp_path / "out", **filters)
    with pytest.raises(StanceError) as in_memory:
        load_aggregate(db, **filters)
    if "actor" in filters and "since" not in filters:
        # --actor is matched before merging, in SQL: the store's names in every spelling, not only the
        # spelling each merged utterance kept ("DONALD TRUMP" was merged into a "Donald Trump" utterance)
        assert str(streamed.value) == str(in_memory.value).replace("store: Donald Trump", "store: DONALD TRUMP, Donald Trump")
    else:
        assert str(streamed.value) == str(in_memory.value)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())  # nothing half-written


def test_reports_read_the_store_one_speaker_at_a_time(tmp_path, monkeypatch):
    import stance.report.writers as writers

    db = _reviewed_store(tmp_path / "s.db")
    write_reports(load_aggregate(db), tmp_path / "memory")
    seen = []
    real = writers.aggregate_speaker

    def recording(rows, **options):
        seen.append([r["speaker"] for r in rows])
        return real(rows, **options)

    monkeypatch.setattr(writers, "aggregate_speaker", recording)
    monkeypatch.setattr(writers, "UNKNOWN_PAGE", 2)
    write_store_reports(db, tmp_path / "streamed")
    assert _files(tmp_path / "streamed") == _files(tmp_path / "memory")  # slicing the unknown speaker changes nothing
    assert all(len({speaker_key(s) for s in speakers}) == 1 for speakers in seen)  # never two speakers at once
    assert sorted(len(s) for s in seen if speaker_key(s[0]) == "unknown") == [1, 2]  # 3 unknown (1 not a statement)
    with Store(db) as store:
        rows = store.load_labelled()
    largest = max(sum(1 for r in rows if speaker_key(r["speaker"]) == key) for key in {speaker_key(s) for s in (r["speaker"] for r in rows)})
    assert max(len(s) for s in seen) == largest and sum(map(len, seen)) == len(rows)
    assert ["DONALD TRUMP"] in [sorted(set(s) - {TRUMP}) for s in seen]  # both casings in one group


def test_labelled_groups_give_load_labelled_rows_by_speaker(tmp_path):
    db = _reviewed_store(tmp_path / "s.db")
    with Store(db) as store:
        rows = store.load_labelled()
        groups = list(store.labelled_groups("m1", speaker_key, independent={"unknown"}, page=1))
        only = list(store.labelled_groups("m1", speaker_key, speakers=["Mark Rutte"]))
    assert sorted((r for g in groups for r in g), key=lambda r: r["statement_id"]) == rows
    keys = [speaker_key(g[0]["speaker"]) for g in groups]
    assert keys == sorted(keys) and all(len({speaker_key(r["speaker"]) for r in g}) == 1 for g in groups)
    assert all([r["statement_id"] for r in g] == sorted(r["statement_id"] for r in g) for g in groups)
    assert [len(g) for g in groups if keys[groups.index(g)] == "unknown"] == [1, 1, 1]
    # the reviewer gave von der Leyen's statement to Rutte: it is read with Rutte's, and only there
    (rutte,) = only
    assert {r["text"] for r in rutte} >= {"Europe must spend more on its own defence."}
    assert {r["speaker"] for r in rutte} == {"Mark Rutte"}
    assert not [r for g in groups for r in g if r["speaker"] == "Ursula von der Leyen"]


def test_json_writer_writes_what_json_dumps_writes():
    import io

    from stance.report.jsonout import Stream, write_json_object

    rnd = random.Random(3)

    def value(depth=0):
        kind = rnd.choice(["s", "n", "f", "l", "d", "none", "b"] if depth < 3 else ["s", "n", "f"])
        return {"s": lambda: rnd.choice(["", "é “quoted” \n line", "NATO", '"\\']), "n": lambda: rnd.randint(-5, 5),
                "f": lambda: rnd.random(), "none": lambda: None, "b": lambda: rnd.random() < 0.5,
                "l": lambda: [value(depth + 1) for _ in range(rnd.randint(0, 3))],
                "d": lambda: {f"k{i}": value(depth + 1) for i in range(rnd.randint(0, 3))}}[kind]()

    for _ in range(30):
        obj = {f"key {i}": value() for i in range(rnd.randint(0, 5))}
        streamed = {k: (Stream(iter(v)) if isinstance(v, list) and rnd.random() < 0.5 else v) for k, v in obj.items()}
        handle = io.StringIO()
        write_json_object(handle, streamed.items())
        assert handle.getvalue() == json.dumps(obj, ensure_ascii=False, indent=2) + "\n"


# -- the model's none label ------------------------------------------------------------

CUSTOM = {"none_label": "no_position", "targets": {"NATO": "The alliance.", "no_position": "Anything else."},
          "stances": {"support": "For.", "doubt": "Against.", "no_position": "No position."}}


def _custom_store(path):
    articles = [("c1", "2025-01-10", [("Ann Lee", "NATO keeps us safe, it always has.", "NATO", "support", 0.9),
                                      ("Ann Lee", "The harvest was good this year.", "no_position", "no_position", 0.9),
                                      ("Bo Park", "Taxes will rise in spring.", "no_position", "no_position", 0.8)]),
                ("c2", "2025-02-10", [("Ann Lee", "I doubt the alliance will last.", "NATO", "doubt", 0.9),
                                      ("Ann Lee", "The harvest was good this year, again.", "no_position", "no_position", 0.9)])]
    make_store(path, articles, targets=("NATO", "no_position"), stances=("support", "doubt", "no_position"))
    with Store(path) as store:
        store.save_model_labels("m1", CUSTOM)
    return path


def test_a_models_own_none_label_is_none_everywhere(tmp_path, monkeypatch):
    db = _custom_store(tmp_path / "s.db")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["report", "--db", str(db), "--out", "out"])
    assert result.exit_code == 0, result.output
    assert "3 utterance(s) with target 'no_position'" in result.output
    data = json.loads((tmp_path / "out" / "positions.json").read_text(encoding="utf-8"))
    assert [(p["actor"], p["target"]) for p in data["positions"]] == [("Ann Lee", "NATO")]  # Bo Park has no position
    assert data["changes"] == ["Ann Lee on NATO: support (2025-01) → doubt (2025-02)"]
    assert {u["target"] for u in data["off_target"]} == {"no_position"} and len(data["off_target"]) == 3
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert ">no_position</text>" not in html  # no lane for the none label in the timelines
    assert "conditional" not in html.split('<p class="legend">')[1].split("</p>")[0]  # the model's stances only
    with Store(db) as store:
        assert store.none_label("m1") == "no_position" and store.label_counts("m1")["off_target"] == 3
        assert store.model_labels("m1").stances == ("support", "doubt", "no_position")
        assert store.none_label("other model") == "none"  # nothing recorded: the shipped label set's


def test_model_labels_on_a_store_made_before_the_table(tmp_path):
    db = make_store(tmp_path / "s.db")
    with Store(db) as store:
        store._db.execute("DROP TABLE model_labels")  # as a store written before label sets were recorded
        assert store.model_labels("m1") is None and store.none_label("m1") == "none"
        store.save_model_labels("m1", None)  # a model saved without its label set: nothing to record
        assert store.model_labels("m1") is None
        store.save_model_labels("m1", CUSTOM)
        assert store.none_label("m1") == "no_position"
    assert write_store_reports(db, tmp_path / "out").stats.positions > 0


def test_analyze_records_the_models_label_set_and_reports_with_its_none_label(tmp_path):
    """A project whose none label is `no_position`: analyze stores the model's label set, counts its none label
    as off-target and never makes it a position (before: aggregated as a target like any other)."""
    import yaml
    from _tiny import tiny_config, toy_rows, write_jsonl

    from stance.config import load_train_config
    from stance.train import train

    labels = {"none_label": "no_position",
              "targets": {t: t for t in ("Article 5", "NATO", "Greenland", "Japan treaty")} | {"no_position": "Other."},
              "stances": {"support": "For.", "conditional": "If.", "doubt": "Against.", "no_position": "None."}}
    (tmp_path / "labels.yaml").write_text(yaml.safe_dump(labels, sort_keys=False), encoding="utf-8")
    rows = [dict(r, target=r["target"].replace("none", "no_position"), stance=r["stance"].replace("none", "no_position"))
            for r in toy_rows(repeat=2)]
    data = write_jsonl(tmp_path / "toy.jsonl", rows)
    train(load_train_config(tiny_config(tmp_path, epochs=12, labels=str(tmp_path / "labels.yaml"))), tmp_path / "model",
          data=[data], progress=False)
    corpus = tmp_path / "news"
    corpus.mkdir()
    (corpus / "a1.txt").write_text(
        'Ann Lee spoke on Monday.\n\n"We fully stand behind the alliance and its future," Ann Lee said.\n\n'
        '"Tariffs on steel imports rise next month," Ann Lee said.\n\n'
        '"The budget vote was delayed again," Bo Park said.\n', encoding="utf-8")
    out = tmp_path / "reports"
    result = CliRunner().invoke(app, ["analyze", str(corpus), "--model", str(tmp_path / "model"), "--db",
                                      str(tmp_path / "s.db"), "--out", str(out), "--workers", "0"])
    assert result.exit_code == 0, result.output
    model_id = json.loads((tmp_path / "model" / "stance_model.json").read_text(encoding="utf-8"))["model_id"]
    with Store(tmp_path / "s.db") as store:
        assert store.model_labels(model_id).none_label == "no_position"
        assert store.model_labels(model_id).targets == ("Article 5", "NATO", "Greenland", "Japan treaty", "no_position")
        off_target = sum(1 for r in store.load_labelled() if r["target"] == "no_position")
    assert off_target >= 1, "the toy model should label the tariff and budget lines no_position"
    assert f"Off-target: {off_target} of " in result.output
    data = json.loads((out / "positions.json").read_text(encoding="utf-8"))
    assert "no_position" not in {p["target"] for p in data["positions"]}
    assert len(data["off_target"]) == off_target


@pytest.mark.parametrize("filters", [{}, {"target": "NATO"}, {"actor": "trump", "since": "2025"}])
def test_export_reads_the_position_utterances_back_in_the_in_memory_order(tmp_path, filters):
    from stance.export.networks import position_utterances
    from stance.report import spooled_store

    db = _reviewed_store(tmp_path / "s.db")
    with spooled_store(db, **filters) as view:
        streamed = [u.to_json() for u in view.position_utterances()]
    assert streamed == [u.to_json() for u in position_utterances(load_aggregate(db, **filters))] and streamed
