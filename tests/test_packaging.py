"""Issue 15: the package carries its defaults, models live outside it, projects via `stance init`."""

from __future__ import annotations

import re
import json
import shutil
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from stance import home
from stance.cli import app
from stance.config import load_labels, load_train_config
from stance.errors import StanceError
from stance.project import init_project, load_project
from stance.extract.speakers import load_registry

from _tiny import tiny_config, toy_rows, write_jsonl

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _glob(pattern: str, path: str) -> bool:
    """setuptools' glob semantics: * stays within one folder, **/ spans any number of folders."""
    regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
    return re.fullmatch(regex, path) is not None


def _shipped(relative: str) -> bool:
    """Whether stance/<relative> matches pyproject's package-data globs and no exclusion."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    excluded = setup.get("exclude-package-data", {}).get("stance", [])
    return any(_glob(g, relative) for g in setup["package-data"]["stance"]) and \
        not any(_glob(g, relative) for g in excluded)


def test_defaults_load_through_importlib_resources():
    root = resources.files("stance").joinpath("resources")
    labels = load_labels(Path(str(root.joinpath("configs", "labels.yaml"))))
    assert "none" in labels.target_names and "none" in labels.stance_names
    assert load_registry(Path(str(root.joinpath("configs", "actors.yaml")))).aliases
    project = load_project(home.resource("configs", "default.yaml"))
    assert project.packaged and project.labels_path == home.resource("configs", "labels.yaml")
    for entry in project.config.data:  # the default model's training data all ships with the package
        path = project.config.resolve(entry)
        assert path.is_file(), entry
        assert path.is_relative_to(home.RESOURCES), path


@pytest.mark.skipif(home.checkout_root() is None, reason="needs the source checkout")
def test_package_data_is_the_checkout_files_not_copies():
    for name in ("configs", "seeds"):
        link = ROOT / "stance" / "resources" / name
        assert link.is_symlink() and link.resolve() == (ROOT / name).resolve()
    # every file a run needs is shipped, including any new seeds/extra/*.jsonl nobody registered
    for path in [*(ROOT / "configs").glob("*.yaml"), *(ROOT / "seeds").glob("*.jsonl"), *(ROOT / "seeds").glob("*.txt"),
                 *(ROOT / "seeds" / "extra").glob("*.jsonl")]:
        assert _shipped(f"resources/{path.relative_to(ROOT).as_posix()}"), path
    assert not _shipped("resources/seeds/extra/polnear_dev.jsonl")
    assert not _shipped("resources/seeds/extra/deeper/x.jsonl")  # the matcher is as strict as setuptools
    for entry in load_train_config(ROOT / "configs" / "default.yaml").data:
        assert _shipped(f"resources/{entry}"), f"{entry} is in configs/default.yaml but not in the wheel"


@pytest.mark.skipif(home.checkout_root() is None, reason="needs the source checkout")
def test_wheel_holds_real_files_equal_to_the_checkout(tmp_path):
    pytest.importorskip("setuptools")
    src = tmp_path / "src"  # build from a copy: an in-tree build would write build/ into the checkout
    for name in ("stance", "configs", "seeds"):
        shutil.copytree(ROOT / name, src / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("stance-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for path in [*(ROOT / "configs").glob("*.yaml"), ROOT / "seeds" / "labels.jsonl",
                     *(ROOT / "seeds" / "extra").glob("*.jsonl")]:
            member = f"stance/resources/{path.relative_to(ROOT).as_posix()}"
            assert member in names, member
            assert archive.read(member) == path.read_bytes(), member
        member = "stance/extract/speaker_model.json"  # the fitted speaker step ships with the code
        assert member in names and archive.read(member) == (ROOT / member).read_bytes()
        # the shipped model, its tuned encoder layer and the real-news features ship (derived data; no text)
        for path in [*(ROOT / "stance" / "resources" / "models" / "default").iterdir(),
                     *(ROOT / "stance" / "resources" / "features").iterdir(),
                     *(ROOT / "stance" / "resources" / "encoders").iterdir()]:
            member = path.relative_to(ROOT).as_posix()
            assert member in names and archive.read(member) == path.read_bytes(), member
    # code that reads a PolNeAR export from a path is fine; its data must never ship; no other model ships
    assert not [n for n in names if ("models/" in n and not n.startswith("stance/resources/models/default/"))
                or ("polnear" in n.lower() and "resources/" in n)]


def test_stance_home_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv(home.ENV_HOME, str(tmp_path / "h"))
    assert home.home_model_dir() == tmp_path / "h" / "models" / "default"
    monkeypatch.delenv(home.ENV_HOME)
    if home.checkout_root() is not None:
        assert home.home_model_dir() == home.checkout_root() / "models" / "default"
    monkeypatch.setattr(home, "checkout_root", lambda: None)  # as when installed from a wheel
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert home.home_model_dir() == tmp_path / "xdg" / "stance" / "models" / "default"


def test_init_writes_editable_copies_and_refuses_to_overwrite(tmp_path):
    folder = tmp_path / "proj"
    result = runner.invoke(app, ["init", str(folder)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["actors.yaml", "labels.yaml", "stance.yaml"]
    assert (folder / "labels.yaml").read_text(encoding="utf-8") == home.resource("configs", "labels.yaml").read_text(encoding="utf-8")
    project = load_project(folder / "stance.yaml")
    assert not project.packaged
    assert project.labels_path == folder / "labels.yaml" and project.actors_path == folder / "actors.yaml"
    assert project.model_dir == folder.resolve() / "models" / "default"
    assert project.config.resolve(project.config.data[0]).is_file()  # shipped seeds still found
    (folder / "labels.yaml").write_text("edited", encoding="utf-8")
    again = runner.invoke(app, ["init", str(folder)])
    assert again.exit_code == 1
    assert "already exist" in again.output and "--force" in again.output
    assert (folder / "labels.yaml").read_text(encoding="utf-8") == "edited"
    forced = runner.invoke(app, ["init", str(folder), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (folder / "labels.yaml").read_text(encoding="utf-8") != "edited"


def test_config_precedence_flag_then_local_file_then_shipped(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert load_project().packaged
    init_project(tmp_path)
    assert load_project().config_path == Path.cwd() / "stance.yaml"
    other = tmp_path / "other"
    init_project(other)
    assert load_project(other / "stance.yaml").config_path == other / "stance.yaml"
    with pytest.raises(StanceError, match="missing.yaml: config file not found"):
        load_project(tmp_path / "missing.yaml")


def test_project_labels_and_actors_are_used(monkeypatch, tmp_path):
    init_project(tmp_path)
    actors = yaml.safe_load((tmp_path / "actors.yaml").read_text(encoding="utf-8"))
    actors["actors"].append({"name": "Zorana Quillfeather", "aliases": ["Quillfeather"]})
    (tmp_path / "actors.yaml").write_text(yaml.safe_dump(actors), encoding="utf-8")
    article = tmp_path / "articles" / "a.txt"
    article.parent.mkdir()
    article.write_text("Alliance doubts\n\n\"We will not pay for it,\" Quillfeather said on Monday.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["extract", str(article)])
    assert result.exit_code == 0, result.output
    assert "Zorana Quillfeather" in result.output
    monkeypatch.chdir(tmp_path / "articles")  # no stance.yaml here: the shipped registry does not know her
    result = runner.invoke(app, ["extract", str(article)])
    assert result.exit_code == 0, result.output
    assert "Zorana Quillfeather" not in result.output


def test_train_and_predict_use_the_project_model(monkeypatch, tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    (project / "stance.yaml").write_text(tiny_config(tmp_path).read_text(encoding="utf-8"), encoding="utf-8")
    data = write_jsonl(tmp_path / "toy.jsonl", toy_rows())
    monkeypatch.setenv(home.ENV_HOME, str(tmp_path / "home"))
    monkeypatch.chdir(project)
    result = runner.invoke(app, ["train", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert (project / "models" / "default" / "model.safetensors").is_file()
    assert not (tmp_path / "home").exists()
    statements = write_jsonl(tmp_path / "in.jsonl", [{"text": "We fully stand behind the island of Greenland."}])
    result = runner.invoke(app, ["predict", "--input", str(statements)])
    assert result.exit_code == 0, result.output
    assert '"target"' in result.output
    monkeypatch.chdir(tmp_path)  # no project here and no home model: the model shipped with stance
    result = runner.invoke(app, ["predict", "--input", str(statements)])
    assert result.exit_code == 0, result.output
    shipped = json.loads((home.shipped_model_dir() / "stance_model.json").read_text())["model_id"]
    assert f'"model_id": "{shipped}"' in result.output
    monkeypatch.setattr(home, "shipped_model_dir", lambda: None)  # an install without it says where it looked
    monkeypatch.setattr("stance.project.shipped_model_dir", lambda: None)
    result = runner.invoke(app, ["predict", "--input", str(statements)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'home' / 'models' / 'default'}: no trained model there" in result.output
