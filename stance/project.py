"""Project configs: which config a command uses, where its model lives, and `stance init`.

A project is a folder with a `stance.yaml` (written by `stance init`): a training
config whose `labels:` and `actors:` point at editable copies next to it.
Which config a command uses, first match wins:
1. `--config FILE`;
2. `./stance.yaml` in the current folder;
3. the default config shipped with stance.
The default model of a project config is `<its folder>/models/default`; the default
model of the shipped config is `<stance home>/models/default` (see stance/home.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from stance.config import DEFAULT_ACTORS, DEFAULT_CONFIG, DEFAULT_LABELS, TrainConfig, load_labels, load_train_config, LabelSet
from stance.errors import StanceError
from stance.home import PROJECT_FILE, home_model_dir, is_packaged, shipped_model_dir

INIT_FILES = {PROJECT_FILE: DEFAULT_CONFIG, "labels.yaml": DEFAULT_LABELS, "actors.yaml": DEFAULT_ACTORS}

_HEADER = """\
# stance project config, written by `stance init` from stance's default config.
# Commands run in this folder use it (or pass --config FILE). Unknown keys are errors.
# Relative paths resolve against this file's folder, then the current folder, then the
# data shipped with stance (so seeds/... below is the shipped training data).
# Trained models for this config go to models/default next to this file.
"""


@dataclass(frozen=True)
class Project:
    """The config a command runs with, and where its default model lives."""

    config_path: Path
    config: TrainConfig
    packaged: bool  # True: the default config shipped with stance (no project)

    @property
    def model_dir(self) -> Path:
        """Where `stance train` writes and `analyze`/`predict` look when --model is not given."""
        return home_model_dir() if self.packaged else self.config_path.resolve().parent / "models" / "default"

    def default_model(self) -> Optional[Path]:
        """The model commands use without --model: the one trained into model_dir, else (for the config shipped
        with stance) the model shipped with it; None when there is neither (it must be trained first)."""
        if (self.model_dir / "stance_model.json").is_file():
            return self.model_dir
        return shipped_model_dir() if self.packaged else None

    @property
    def labels_path(self) -> Path:
        return self.config.resolve(self.config.labels)

    @property
    def actors_path(self) -> Path:
        return self.config.resolve(self.config.actors)

    def labels(self) -> LabelSet:
        """The project's label set (as `stance review import` and `agreement` check labels against)."""
        return load_labels(self.labels_path)

    def describe(self) -> str:
        return "the default config shipped with stance" if self.packaged else str(self.config_path)


def find_config(config: Optional[Path] = None, cwd: Optional[Path] = None) -> Optional[Path]:
    """The config file to use: `config` when given (it must exist), else ./stance.yaml, else None."""
    if config is not None:
        if not Path(config).is_file():
            raise StanceError(f"{config}: config file not found; expected a YAML file such as the stance.yaml `stance init` writes")
        return Path(config)
    local = (Path(cwd) if cwd is not None else Path.cwd()) / PROJECT_FILE
    return local if local.is_file() else None


def load_project(config: Optional[Path] = None, cwd: Optional[Path] = None) -> Project:
    """Find and validate the config in use (see the module docstring for the order)."""
    path = find_config(config, cwd)
    if path is None:
        return Project(DEFAULT_CONFIG, load_train_config(DEFAULT_CONFIG), packaged=True)
    return Project(path, load_train_config(path), packaged=is_packaged(path))


def init_project(folder: Path, force: bool = False) -> list[Path]:
    """Write editable copies of the default config, labels and actors into `folder`.

    Refuses to replace existing files unless `force`. Returns the files written.
    """
    folder = Path(folder)
    targets = [folder / name for name in INIT_FILES]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise StanceError(f"{', '.join(map(str, existing))}: already exist(s); expected a folder without "
                          f"{', '.join(INIT_FILES)} (pass --force to overwrite)")
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in INIT_FILES.items():
        text = source.read_text(encoding="utf-8")
        if name == PROJECT_FILE:
            text = project_config_text(text)
        (folder / name).write_text(text, encoding="utf-8")
    load_project(folder / PROJECT_FILE)  # what we wrote must load
    return targets


def project_config_text(default_text: str) -> str:
    """The default config's text with labels/actors pointing at the copies next to it (comments kept)."""
    ours = ["labels: labels.yaml          # the label set next to this file: add or rename targets and stances there",
            "actors: actors.yaml          # the actor registry next to this file: actors, aliases, dated roles"]
    lines, placed = [], False
    for line in default_text.splitlines():
        if re.match(r"(labels|actors)\s*:", line):
            if not placed:
                lines += ours
                placed = True
            continue
        lines.append(line)
    return _HEADER + "\n".join(lines + ([] if placed else ours)) + "\n"
