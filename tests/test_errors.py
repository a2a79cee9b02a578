"""No traceback for a user's mistake: output paths checked before the work, OSError and Ctrl-C at the boundary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.errors import StanceError
from _tiny import tiny_config, toy_rows, trained_tiny, write_jsonl

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "seeds" / "000_bf9abceab3bffed9.txt"
runner = CliRunner()


def _clean_failure(result, code: int = 1) -> str:
    """The output of a run that failed the way a user's mistake should: one line, no traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.output


@pytest.fixture
def a_file(tmp_path) -> Path:
    path = tmp_path / "plain.txt"
    path.write_text("I am a file, not a folder.\n")
    return path


def _never(*args, **kwargs):
    raise AssertionError("the work started although the output path is wrong")


def test_extract_out_under_a_file(a_file, monkeypatch):
    monkeypatch.setattr("stance.engine.extract_articles", _never)
    output = _clean_failure(runner.invoke(app, ["extract", str(ARTICLE), "--out", str(a_file / "x.jsonl")]))
    assert f"--out {a_file / 'x.jsonl'}: {a_file} is a file, not a folder" in output


def test_extract_out_where_nothing_can_be_created(monkeypatch):
    monkeypatch.setattr("stance.engine.extract_articles", _never)
    output = _clean_failure(runner.invoke(app, ["extract", str(ARTICLE), "--out", "/proc/x/y.jsonl"]))
    assert "--out /proc/x/y.jsonl: cannot create the statements in /proc" in output


def test_extract_out_is_a_folder(tmp_path):
    output = _clean_failure(runner.invoke(app, ["extract", str(ARTICLE), "--out", str(tmp_path)]))
    assert f"--out {tmp_path}: is a folder; expected a file path" in output


def test_extract_out_in_new_folders_is_created(tmp_path):
    out = tmp_path / "new" / "deeper" / "s.jsonl"
    result = runner.invoke(app, ["extract", str(ARTICLE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").count("\n") > 5
    assert not list(out.parent.glob("*.part"))


def test_predict_output_under_a_file(a_file, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": "We fully stand behind the alliance."}])
    output = _clean_failure(runner.invoke(app, ["predict", "--input", str(src), "--model", str(trained_tiny()),
                                                "--output", str(a_file / "p.jsonl")]))
    assert f"{a_file} is a file, not a folder" in output


def test_predict_output_is_checked_before_the_model_is_looked_up(a_file, tmp_path, monkeypatch):
    monkeypatch.setenv("STANCE_HOME", str(tmp_path / "home"))  # no default model there
    monkeypatch.chdir(tmp_path)
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": "We fully stand behind the alliance."}])
    output = _clean_failure(runner.invoke(app, ["predict", "--input", str(src), "--output", str(a_file / "x.jsonl")]))
    assert output.startswith(f"Error: --output {a_file / 'x.jsonl'}: {a_file} is a file, not a folder")


def test_training_data_errors_name_each_file_with_its_count(tmp_path):
    from stance.classify.traindata import check_trainable, load_labelled
    from stance.config import load_labels

    first = write_jsonl(tmp_path / "a.jsonl", [{"text": "We stand behind it.", "target": "NATO", "stance": "support"}] * 2)
    second = write_jsonl(tmp_path / "b.jsonl", [{"text": "It is a relic.", "target": "NATO", "stance": "doubt"}])
    rows = load_labelled([first, second], load_labels())
    with pytest.raises(StanceError, match=rf"^training data {first} \(2 statements\), {second} \(1 statement\): "):
        check_trainable(rows, load_labels())


def test_train_output_under_a_file_fails_before_training(a_file, tmp_path, monkeypatch):
    monkeypatch.setattr("stance.train.train", _never)
    data = write_jsonl(tmp_path / "toy.jsonl", toy_rows())
    output = _clean_failure(runner.invoke(app, ["train", "--config", str(tiny_config(tmp_path)), "--data", str(data),
                                                "--output", str(a_file / "m")]))
    assert f"--output {a_file / 'm'}: {a_file} is a file, not a folder" in output
    output = _clean_failure(runner.invoke(app, ["train", "--config", str(tiny_config(tmp_path)), "--data", str(data),
                                                "--output", str(a_file)]))
    assert f"--output {a_file}: is a file; expected a folder for the model" in output


def test_analyze_db_and_out_checked_before_any_work(a_file, monkeypatch):
    monkeypatch.setattr("stance.analyze.analyze", _never)
    output = _clean_failure(runner.invoke(app, ["analyze", str(ARTICLE), "--model", str(trained_tiny()),
                                                "--db", str(a_file / "s.db"), "--out", str(a_file.parent / "r")]))
    assert f"--db {a_file / 's.db'}: {a_file} is a file, not a folder" in output
    output = _clean_failure(runner.invoke(app, ["analyze", str(ARTICLE), "--model", str(trained_tiny()),
                                                "--db", str(a_file.parent / "s.db"), "--out", str(a_file)]))
    assert f"--out {a_file}: is a file; expected a folder for the reports" in output


def test_report_and_evaluate_outputs_checked(a_file, tmp_path, monkeypatch):
    output = _clean_failure(runner.invoke(app, ["report", "--db", str(tmp_path / "none.db"), "--out", str(a_file)]))
    assert f"--out {a_file}: is a file" in output
    monkeypatch.setattr("stance.evaluate.extraction.evaluate_extraction", _never)
    output = _clean_failure(runner.invoke(app, ["evaluate", "extraction", "--json", str(a_file / "e.json")]))
    assert f"--json {a_file / 'e.json'}: {a_file} is a file, not a folder" in output
    monkeypatch.setattr("stance.evaluate.classifier.evaluate_model", _never)
    output = _clean_failure(runner.invoke(app, ["evaluate", "classifier", "--model", str(trained_tiny()), "--data",
                                                str(a_file), "--markdown", str(a_file / "r.md")]))
    assert f"--markdown {a_file / 'r.md'}: {a_file} is a file, not a folder" in output


@pytest.mark.parametrize("args, option, work", [
    (["evaluate", "positions", str(ARTICLE), "--gold", "g.jsonl", "--json", "{bad}"], "--json", "stance.ingest.corpus.load_corpus"),
    (["agreement", "a.jsonl", "b.jsonl", "--json", "{bad}"], "--json", "stance.review.agreement.agreement"),
    (["export", "--format", "dna", "--db", "none.db", "--out", "{bad}"], "--out", "stance.export.export_network"),
    (["review", "queue", "--db", "none.db", "--out", "{bad}"], "--out", "stance.review.queue.build_queue"),
    (["evaluate", "classifier", "--json", "{bad}"], "--json", "stance.evaluate.classifier.cross_validate"),
])
def test_other_commands_check_their_output_first(a_file, monkeypatch, args, option, work):
    monkeypatch.setattr(work, _never)
    bad = a_file / "out.x"
    output = _clean_failure(runner.invoke(app, [a.replace("{bad}", str(bad)) for a in args]))
    assert f"{option} {bad}: {a_file} is a file, not a folder" in output


def test_any_os_error_at_the_boundary_is_one_line(tmp_path, monkeypatch):
    def unwritable(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "locked.jsonl"))

    monkeypatch.setattr("stance.engine.extract_articles", unwritable)
    output = _clean_failure(runner.invoke(app, ["extract", str(ARTICLE)]))
    assert output.strip() == f"Error: {tmp_path / 'locked.jsonl'}: permission denied"


def test_one_class_training_data_is_a_clear_error_before_training(tmp_path, monkeypatch):
    from stance import train as train_module

    monkeypatch.setattr(train_module, "fit_finetune", _never)
    one_class = [{"text": f"We stand behind the alliance, part {i}.", "target": "NATO", "stance": "support"} for i in range(6)]
    data = write_jsonl(tmp_path / "one.jsonl", one_class)
    output = _clean_failure(runner.invoke(app, ["train", "--config", str(tiny_config(tmp_path)), "--data", str(data),
                                                "--output", str(tmp_path / "m")]))
    assert f"Error: training data {data} (6 statements): only 1 target label(s) ('NATO'); at least two are needed" \
        in " ".join(output.split())
    assert "no statement labelled target 'Article 5', 'Japan treaty', 'Greenland', 'none'" in output
    assert "only 1 stance label(s) ('support')" in output
    assert not (tmp_path / "m").exists()


def test_label_of_the_config_without_examples_is_named(tmp_path):
    from stance.config import load_labels
    from stance.classify.traindata import check_trainable

    rows = [r for r in toy_rows() if r["target"] != "Japan treaty" and r["stance"] != "conditional"]
    with pytest.raises(StanceError, match=r"target labels found: 'Article 5', 'NATO', 'Greenland', 'none'; "
                                          r"no statement labelled target 'Japan treaty'; .*stance 'conditional'"):
        check_trainable(rows, load_labels())
    check_trainable(toy_rows(), load_labels())  # every label present: no error


def test_ctrl_c_during_train_exits_130_without_traceback(tmp_path, monkeypatch):
    from stance import train as train_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_module, "fit_finetune", interrupted)
    data = write_jsonl(tmp_path / "toy.jsonl", toy_rows())
    output = _clean_failure(runner.invoke(app, ["train", "--config", str(tiny_config(tmp_path)), "--data", str(data),
                                                "--output", str(tmp_path / "m")]), code=130)
    assert "Interrupted: no model was saved." in output
    assert not (tmp_path / "m").exists()


def test_ctrl_c_during_extract_leaves_no_partial_file(tmp_path, monkeypatch):
    from stance.extract import extractor as extract_module

    calls = []
    real = extract_module.Extractor.extract

    def second_article_interrupted(self, article):
        calls.append(article.id)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, article)

    monkeypatch.setattr(extract_module.Extractor, "extract", second_article_interrupted)
    out = tmp_path / "s.jsonl"
    output = _clean_failure(runner.invoke(app, ["extract", str(ROOT / "seeds"), "--out", str(out)]), code=130)
    assert "Interrupted: no output file was written." in output
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_predict_leaves_no_partial_file(tmp_path, monkeypatch):
    from stance.classify import predict as classify

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(classify, "predict_rows", interrupted)
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": "We fully stand behind the alliance."}])
    out = tmp_path / "out" / "p.jsonl"
    _clean_failure(runner.invoke(app, ["predict", "--input", str(src), "--model", str(trained_tiny()),
                                       "--output", str(out)]), code=130)
    assert not out.exists() and not list(out.parent.glob("*.part"))


def test_default_outputs_in_a_fresh_folder_pass_the_checks(tmp_path):
    from stance.outputs import check_output_dir, check_output_file

    assert check_output_file(tmp_path / "a" / "b" / "c.jsonl", "--out") == tmp_path / "a" / "b" / "c.jsonl"
    assert check_output_dir(tmp_path / "x" / "y", "--out") == tmp_path / "x" / "y"
    assert list(tmp_path.iterdir()) == []  # the checks create nothing
    existing = write_jsonl(tmp_path / "old.jsonl", [{"text": "x"}])
    assert check_output_file(existing, "--out") == existing
    assert json.loads(existing.read_text()) == {"text": "x"}
