"""Prediction: save/load round trip, batching, the CLI and bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.errors import StanceError
from stance.records import Statement
from _tiny import tiny_config, toy_rows, trained_tiny, write_jsonl

runner = CliRunner()


def test_round_trip_probabilities_and_order():
    from stance.classify import load_classifier

    clf = load_classifier(trained_tiny())
    rows = [{"text": r["text"], "speaker": r["speaker"]} for r in toy_rows()]
    batched = clf.predict(rows, batch_size=5)
    single = [clf.predict([r], batch_size=1)[0] for r in rows[:6]]
    assert [(p.target, p.stance) for p in batched[:6]] == [(p.target, p.stance) for p in single]
    for p in batched:
        assert abs(sum(p.target_probs.values()) - 1) < 1e-3 and abs(sum(p.stance_probs.values()) - 1) < 1e-3
        # the relevance gate may set an argmax target to none (off_target); otherwise the target is the argmax
        assert p.target == ("none" if p.off_target else max(p.target_probs, key=p.target_probs.get))
        assert p.model_id == clf.model_id
        if p.target == "none":
            assert p.stance == "none"
    assert clf.predict([]) == []


def test_accepts_statement_records():
    from stance.classify import load_classifier

    clf = load_classifier(trained_tiny())
    st = Statement(article="a", speaker="X", speaker_mention="X", text="We fully stand behind the alliance.",
                   kind="direct", start=0, end=10, context="X said: We fully stand behind the alliance.")
    (pred,) = clf.predict([st])
    (as_dict,) = clf.predict([{"speaker": "X", "text": st.text, "context": st.context}])
    assert pred == as_dict  # a Statement is read as its fields: speaker, text and context
    (no_context,) = clf.predict([{"speaker": "X", "text": st.text}])
    assert no_context.stance_probs != pred.stance_probs  # ...the context among them


def test_predict_cli_adds_labels(tmp_path):
    rows = [{"id": 1, "text": "I seriously doubt the island of Greenland and question it.", "speaker": "S"}, {"id": 2, "text": "Budget vote delayed."}]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["predict", "--input", str(src), "--model", str(trained_tiny()), "--output", str(out)])
    assert result.exit_code == 0, result.output
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert [g["id"] for g in got] == [1, 2]
    from stance.classify import load_classifier

    clf = load_classifier(trained_tiny())
    expected = clf.predict(rows)
    for g, row, p in zip(got, rows, expected):
        assert {k: g[k] for k in row} == row  # the input row is kept as it was
        assert (g["target"], g["stance"], g["target_probs"], g["stance_probs"]) == \
            (p.target, p.stance, p.target_probs, p.stance_probs)  # each row gets its own labels
        assert g["model_id"] == clf.model_id and g["model_id"].startswith("model@")
    assert got[0]["stance"] == "doubt"  # "I seriously doubt ..." is the toy set's doubt pattern


def test_predict_missing_model_dir(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": "x"}])
    result = runner.invoke(app, ["predict", "--input", str(src), "--model", str(tmp_path / "nomodel")])
    assert result.exit_code == 1
    assert "model directory not found" in result.output


def test_predict_not_a_model_dir(tmp_path):
    from stance.classify import load_classifier

    with pytest.raises(StanceError, match="not a stance model directory"):
        load_classifier(tmp_path)


def test_predict_jsonl_without_text(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": "ok"}, {"quote": "no text here"}])
    result = runner.invoke(app, ["predict", "--input", str(src), "--model", str(trained_tiny())])
    assert result.exit_code == 1
    assert "in.jsonl:2: no 'text' field" in result.output


def _is_int8(classifier) -> bool:
    from torch.ao.nn.quantized.dynamic import Linear as DynamicInt8Linear

    return any(isinstance(m, DynamicInt8Linear) for m in classifier.model.modules())


def test_int8_only_when_measured_equal(tmp_path, monkeypatch):
    import shutil

    from stance import train as train_module
    from stance.classify import load_classifier
    from stance.config import load_train_config

    # a model whose int8 copy changed an argmax on the training data: saved and loaded as fp32
    monkeypatch.setattr(train_module, "int8_agreement", lambda *a, **k: 0.96)
    data = write_jsonl(tmp_path / "toy.jsonl", toy_rows())
    meta = train_module.train(load_train_config(tiny_config(tmp_path)), tmp_path / "m", data=[data], progress=False)
    assert meta["int8_equal"] is False
    assert json.loads((tmp_path / "m" / "metrics.json").read_text())["int8_argmax_agreement"] == 0.96
    assert not _is_int8(load_classifier(tmp_path / "m"))
    assert _is_int8(load_classifier(tmp_path / "m", int8=True))  # the caller can still ask for it
    # the saved flag alone decides on load
    flipped = tmp_path / "flipped"
    shutil.copytree(tmp_path / "m", flipped)
    (flipped / "stance_model.json").write_text(json.dumps({**meta, "int8_equal": True}))
    assert _is_int8(load_classifier(flipped))
    assert not _is_int8(load_classifier(flipped, int8=False))
    # the shared tiny model, measured for real
    metrics = json.loads((trained_tiny() / "metrics.json").read_text())
    tiny_meta = json.loads((trained_tiny() / "stance_model.json").read_text())
    assert tiny_meta["int8_equal"] is (metrics["int8_argmax_agreement"] == 1.0)
    assert _is_int8(load_classifier(trained_tiny())) is tiny_meta["int8_equal"]


def test_evaluate_model_cli(tmp_path):
    data = write_jsonl(tmp_path / "gold.jsonl", toy_rows())
    report = tmp_path / "r.json"
    result = runner.invoke(app, ["evaluate", "classifier", "--model", str(trained_tiny()), "--data", str(data),
                                 "--json", str(report), "--markdown", str(tmp_path / "r.md")])
    assert result.exit_code == 0, result.output
    got = json.loads(report.read_text())
    assert got["results"]["model"]["target"]["macro_f1"] > 0.5
    assert "Confusion" in (tmp_path / "r.md").read_text()


def test_cross_validation_leaves_one_event_out(tmp_path):
    rows = toy_rows()
    other = [("Greenland is not for sale and never will be", "Greenland", "support"),
             ("Tariffs on steel rise again next month", "none", "none"),
             ("Copenhagen must pay for Arctic radar or we take over", "Greenland", "conditional")]
    gold = [{**r, "article": "a"} for r in rows[:10]] + [{**r, "article": "b"} for r in rows[:10]] \
        + [{"text": t, "target": tg, "stance": st, "article": "c"} for t, tg, st in other]
    composed = [{**r, "composed": True} for r in rows]
    data = write_jsonl(tmp_path / "gold.jsonl", gold + composed)
    report = tmp_path / "cv.json"
    result = runner.invoke(app, ["evaluate", "classifier", "--config", str(tiny_config(tmp_path, tfidf_weight=0.5)),
                                 "--data", str(data), "--methods", "majority,tfidf,finetune", "--json", str(report),
                                 "--markdown", str(tmp_path / "cv.md")])
    assert result.exit_code == 0, result.output
    got = json.loads(report.read_text())
    assert sorted(got["events"]) == ["a+b", "c"]  # a and b share their quotes: one fold
    assert [f["test"] for f in got["folds"]] == [20, 3]
    assert got["supplement"] == len(composed)
    assert len(got["predictions"]) == 23
    assert set(got["predictions"][0]) >= {"where", "gold", "majority", "tfidf", "finetune", "finetune+tfidf"}
    assert list(got["results"]) == ["majority", "tfidf", "finetune", "finetune+tfidf"]
    assert got["results"]["tfidf"]["target"]["macro_f1"] > got["results"]["majority"]["target"]["macro_f1"]
    assert "## Per fold" in (tmp_path / "cv.md").read_text()


def test_model_saved_before_window_and_partner_loads_as_it_was_trained(tmp_path):
    import shutil

    from stance.classify import load_classifier

    old = tmp_path / "old"
    shutil.copytree(trained_tiny(), old)
    meta = json.loads((old / "stance_model.json").read_text())
    del meta["train_config"]["context_words"]
    del meta["train_config"]["tfidf_weight"]
    (old / "stance_model.json").write_text(json.dumps(meta))
    assert load_classifier(old).config.context_words == 0
    assert load_classifier(old).config.tfidf_weight == 0.0 and load_classifier(old).lexical is None
    assert load_classifier(trained_tiny()).config.context_words == 16
