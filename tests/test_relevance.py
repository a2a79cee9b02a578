"""The relevance gate (off-topic statements get no target), its config, and off-target statements in the reports."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from stance.analyze import AnalyzeSummary, summary_lines
from stance.cli import app
from stance.config import DEFAULT_LABELS, labels_from_dict, load_labels
from stance.errors import StanceError
from stance.records import Article, Prediction, Statement
from stance.classify.relevance import RelevanceGate
from stance.report.writers import write_store_reports
from stance.store import Store

runner = CliRunner()
LABELS = load_labels()
NAMES = LABELS.target_names  # Article 5, NATO, Japan treaty, Greenland, none


def probs(target: str, p: float = 0.9) -> list[float]:
    """A probability row giving `target` p and spreading the rest."""
    rest = (1 - p) / (len(NAMES) - 1)
    return [p if n == target else rest for n in NAMES]


def judge(rows, targets, labels=LABELS, p=0.9):
    return RelevanceGate(labels).judge(rows, np.array([probs(t, p) for t in targets]), NAMES)


def test_on_topic_statements_are_kept_and_off_topic_dropped():
    rows = [
        {"text": "The alliance has never been stronger", "context": "The minister said the alliance has never been stronger."},
        {"text": "we will defend every ally that is attacked", "context": "She said we will defend every ally that is attacked."},
        {"text": "Denmark will never give up the island", "context": "\"Denmark will never give up the island,\" he said."},
        {"text": "The school levy will pass by ten points", "context": "\"The school levy will pass by ten points,\" the mayor said."},
        {"text": "the senator's allies defended her vote on the budget", "context": ""},
    ]
    verdicts = judge(rows, ["NATO", "Article 5", "Greenland", "Article 5", "Article 5"])
    assert [v.relevant for v in verdicts] == [True, True, True, False, True]
    assert verdicts[0].anchored == ("NATO",) and verdicts[2].anchored == ("Greenland",)
    assert verdicts[3].score == 0.0 and verdicts[3].anchored == ()
    # "allies" + "defended": anchored (the model, trained on such sentences, then has to say none)
    assert verdicts[4].anchored == ("Article 5",)


def test_a_nearby_anchor_in_the_same_article_keeps_a_confident_target():
    rows = [
        {"article": "a", "start": 100, "text": "NATO must stay strong", "context": ""},
        {"article": "a", "start": 300, "text": "If they don't pay, we won't protect them", "context": ""},
        {"article": "a", "start": 9000, "text": "If they don't pay, we won't protect them", "context": ""},
        {"article": "b", "start": 300, "text": "If they don't pay, we won't protect them", "context": ""},
        {"text": "If they don't pay, we won't protect them"},
    ]
    near, far, other, alone = judge(rows, ["NATO"] + ["Article 5"] * 4)[1:]
    assert near.relevant and near.near and near.score == pytest.approx(0.9)
    assert not far.relevant and not far.near  # beyond window_chars
    assert not other.relevant and not alone.relevant
    unsure = judge(rows[:2], ["NATO", "Article 5"], p=LABELS.relevance.min_probability - 0.1)[1]
    assert unsure.near and not unsure.relevant  # near, but the model is not sure enough


def test_without_offsets_the_same_article_counts_as_near():
    rows = [{"article": "s", "text": "Article 5 is the heart of the treaty"}, {"article": "s", "text": "I'm not so sure"}]
    assert judge(rows, ["Article 5", "Article 5"])[1].relevant


def test_a_new_target_brings_its_own_anchors():
    data = yaml.safe_load(DEFAULT_LABELS.read_text(encoding="utf-8"))
    data["targets"] = {"Ukraine aid": {"description": "Aid to Ukraine.", "anchors": ["Ukrain*", "Kyiv"]}, **data["targets"]}
    labels = labels_from_dict(data, "test")
    gate = RelevanceGate(labels)
    assert gate.anchored({"text": "the aid package for Kyiv must pass this month"}) == ("Ukraine aid",)
    assert gate.anchored({"text": "Ukrainian farmers need the money"}) == ("Ukraine aid",)
    assert gate.anchored({"text": "the farm bill must pass this month"}) == ()


@pytest.mark.parametrize("change, message", [
    (lambda d: d["targets"]["NATO"].update(colour="blue"), "unknown key(s) ['colour']"),
    (lambda d: d["targets"]["NATO"].update(anchors="NATO"), "'anchors' must be a non-empty list"),
    (lambda d: d["targets"]["NATO"].update(anchors=["*ATO"]), "'*' may only end a word"),
    (lambda d: d["targets"]["NATO"].update(anchors=["NATO (alliance)"]), "is not valid"),
    (lambda d: d["targets"].update(NATO="The alliance."), "['NATO'] have no anchors"),
    (lambda d: d.pop("relevance"), "there is no 'relevance' section"),
    (lambda d: d["relevance"].update(window=3), "relevance has unknown key(s) ['window']"),
    (lambda d: d["relevance"].update(min_probability=1.5), "min_probability must be a number in [0, 1]"),
    (lambda d: d["relevance"].update(window_chars=-1), "window_chars must be a whole number"),
    (lambda d: d["targets"].update(none={"description": "x", "anchors": ["trade"]}), "cannot have anchors"),
    (lambda d: d.update(gate=True), "unknown key(s) ['gate']"),
])
def test_bad_relevance_config_is_an_error(change, message):
    data = yaml.safe_load(DEFAULT_LABELS.read_text(encoding="utf-8"))
    change(data)
    with pytest.raises(StanceError) as info:
        labels_from_dict(data, "labels.yaml")
    assert message in str(info.value) and "labels.yaml" in str(info.value)


def test_label_set_round_trips_through_model_metadata():
    assert labels_from_dict(LABELS.to_dict(), "meta") == LABELS
    plain = labels_from_dict({"targets": ["A", "none"], "stances": ["s", "none"]}, "old")
    assert plain.relevance is None and plain.anchors == {}


def test_models_saved_before_the_gate_get_the_configured_gate():
    from stance.classify.relevance import with_default_gate

    old = replace(LABELS, anchors={}, relevance=None)
    assert with_default_gate(old) == LABELS
    other = labels_from_dict({"targets": ["A", "none"], "stances": ["s", "none"]}, "old")
    assert with_default_gate(other) is other


def test_classifier_calls_never_split_an_article(monkeypatch):
    """The gate judges a statement with the rest of its article: each classifier call holds whole articles."""
    import stance.engine.memory as memory

    def statement(article):
        return Statement(article=article, speaker="X", speaker_mention="X", text="t", kind="direct", start=0, end=1,
                         context="")

    calls = []

    from stance.classify.relevance import predict_articles

    class Recording:
        def predict(self, statements, batch_size):
            calls.append("".join(s.article for s in statements))
            return [Prediction(target="none", stance="none") for _ in statements]

        def predict_articles(self, articles, call_size, batch_size):
            return predict_articles(self.predict, articles, call_size, batch_size)

    monkeypatch.setattr(memory, "PREDICT_BATCH", 2)
    found = [[statement(a) for a in group] for group in ("aaa", "bbbb", "c", "d")]
    out = memory.classify_chunk(Recording(), found)
    assert calls == ["aaa", "bbbb", "cd"] and [len(p) for p in out] == [3, 4, 1, 1]


def test_analyze_summary_says_how_many_statements_were_off_target():
    summary = AnalyzeSummary(statements_total=40, off_target=31, off_target_by_gate=25)
    assert ("Off-target: 31 of 40 statements judged about none of the targets (25 by the relevance gate); "
            "listed apart, not aggregated into positions") in summary_lines(summary)


def test_reports_list_off_target_statements_apart(tmp_path):
    db = tmp_path / "s.db"
    labelled = [("Ann Lee", "The alliance is our bedrock and always will be.", "NATO", "support", False),
                ("Ann Lee", "The school levy will pass by ten points.", "none", "none", True),
                ("Bo Park", "Our bus line opens in May next year.", "none", "none", False)]
    with Store(db) as store:
        article = Article(id="a1", text="...", content_hash="h", date="2024-05-02", date_precision="day")
        ids = store.replace_article(article, [Statement(article="a1", speaker=sp, speaker_mention=sp, text=text,
                                                        kind="direct", start=i * 80, end=i * 80 + len(text), context="")
                                              for i, (sp, text, *_) in enumerate(labelled)])
        store.add_predictions("m", [(sid, Prediction(target=t, stance=s, target_probs={t: 0.8}, stance_probs={s: 0.8},
                                                     relevance=0.0 if gated else 1.0, off_target=gated))
                                    for sid, (_, _, t, s, gated) in zip(ids, labelled)])
        rows = store.load_labelled("m")
    assert [r["off_target"] for r in rows] == [False, True, False] and rows[1]["relevance"] == 0.0
    write_store_reports(db, tmp_path / "out").paths
    data = json.loads((tmp_path / "out" / "positions.json").read_text(encoding="utf-8"))
    assert [(p["actor"], p["target"]) for p in data["positions"]] == [("Ann Lee", "NATO")]
    assert sorted(u["quote"] for u in data["off_target"]) == ["Our bus line opens in May next year.",
                                                              "The school levy will pass by ten points."]
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    section = report.split("## Not about a tracked target", 1)[1]
    assert "2 utterance(s) were judged off-target" in section
    assert "Ann Lee: “The school levy will pass by ten points.”" in section and "Bo Park:" in section
    assert "levy" not in report.split("## Not about a tracked target", 1)[0]


def test_predict_cli_marks_off_target_statements(tmp_path):
    from _tiny import trained_tiny, write_jsonl

    rows = [{"article": "x", "start": 0, "text": "The budget vote on school lunches was delayed again.", "speaker": "S"},
            {"article": "x", "start": 90, "text": "We fully stand behind the alliance and its future.", "speaker": "S"}]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["predict", "--input", str(src), "--model", str(trained_tiny()), "--output", str(out)])
    assert result.exit_code == 0, result.output
    first, second = [json.loads(line) for line in out.read_text().splitlines()]
    assert (first["target"], first["stance"]) == ("none", "none")
    assert first["off_target"] == (max(first["target_probs"], key=first["target_probs"].get) != "none")
    assert second["relevance"] == 1.0 and not second["off_target"]


def test_evaluate_offtopic_on_a_small_invented_corpus(tmp_path):
    from _tiny import trained_tiny, write_jsonl

    on_topic = "“The alliance has never been stronger,” the minister said on Monday."
    articles = [
        {"id": "d1", "split": "dev", "date": "2016-05-02", "text": on_topic + "\n\n" + "The weather was mild. " * 90
         + "\n\n“The school levy will pass by ten points,” Mayor Ann Lee said on Monday.\n\n“Our bus line opens in May,” "
         "said Bo Park, a council member."},
        {"id": "t1", "split": "train", "text": "“We will win the county,” Senator Cy Dale said."},
    ]
    folder = tmp_path / "polnear"
    folder.mkdir()
    write_jsonl(folder / "articles.jsonl", articles)
    start = articles[0]["text"].index("The alliance")
    gold = write_jsonl(tmp_path / "gold.jsonl", [{"split": "dev", "article": "d1", "start": start, "end": start + 36,
                                                  "target": "NATO", "stance": "support"}])
    out = tmp_path / "off.json"
    result = runner.invoke(app, ["evaluate", "offtopic", "--polnear", str(folder), "--model", str(trained_tiny()),
                                 "--gold", str(gold), "--json", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["articles"] == 1 and report["all"]["statements"] == 3
    assert report["off_topic"]["statements"] == 2 and report["on_topic"]["matched"] == 1
    assert report["off_topic"]["given_a_target"] == 0  # no anchor within window_chars of them: never a target
    assert "levy" not in out.read_text(encoding="utf-8")  # ids and offsets only, never the words
    assert "given a target:" in result.output
    bad = runner.invoke(app, ["evaluate", "offtopic", "--polnear", str(folder), "--split", "test", "--model", str(trained_tiny())])
    assert bad.exit_code == 1 and "no article with split 'test'" in bad.output


def test_an_off_target_statement_never_votes_its_utterance_into_a_position():
    from stance.track import aggregate

    base = {"speaker": "Ann Lee", "date": "2024-05-02", "date_precision": "day", "stance": "none",
            "stance_probs": {"support": 0.7, "none": 0.3}}
    rows = [dict(base, statement_id=1, article="a1", text="The school levy will pass by ten points.", target="none",
                 target_probs={"NATO": 0.8, "none": 0.2}, off_target=True),
            dict(base, statement_id=2, article="a2", text="The school levy will pass by ten points.", target="none",
                 target_probs={"NATO": 0.7, "none": 0.3}, off_target=True)]
    result = aggregate(rows)
    assert result.positions == [] and [u.target for u in result.no_target] == ["none"]
    assert len(result.no_target[0].sources) == 2  # still merged as one utterance reported twice
