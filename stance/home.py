"""Where stance finds its shipped defaults and where it keeps trained models.

The label sets, actor registry, default training config, seed labels and composed
training data ship inside the package (`stance/resources/`, read with
importlib.resources). In a source checkout those entries are symlinks to the
repository's `configs/` and `seeds/`, so there is one copy to edit; a wheel holds
real files.

One model ships too (`stance/resources/models/default`): the default config trained here on its data and on
real news kept as features; it is the default model until one is trained into the home below.
Models trained by users never go inside the installed package. Their home is, first match wins:
1. `$STANCE_HOME` when set;
2. the source checkout the package runs from (an editable install or PYTHONPATH), so
   `models/default` of the checkout keeps working for developers;
3. the per-user data folder of platformdirs (e.g. ~/.local/share/stance on Linux).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Optional

from stance.errors import StanceError

ENV_HOME = "STANCE_HOME"
PROJECT_FILE = "stance.yaml"
PACKAGE_DIR = Path(__file__).resolve().parent
RESOURCES = Path(str(resources.files("stance").joinpath("resources")))


def resources_root() -> Path:
    """The folder of the package data (configs/ and seeds/ laid out as in the repository)."""
    root = resources.files("stance").joinpath("resources")
    if not isinstance(root, Path) or not root.joinpath("configs", "default.yaml").is_file():
        # a zipped install, or a wheel built without its package data
        raise StanceError(f"{root}: stance's package data (configs/default.yaml) is missing; "
                          "expected it installed with the package (reinstall from a wheel or the checkout)")
    return root


def resource(*parts: str) -> Path:
    """A file shipped with stance, e.g. resource("configs", "labels.yaml")."""
    return resources_root().joinpath(*parts)


def checkout_root() -> Optional[Path]:
    """The repository folder when stance runs from a source checkout, else None."""
    root = PACKAGE_DIR.parent
    if (root / "pyproject.toml").is_file() and (root / "configs" / "default.yaml").is_file():
        return root
    return None


def stance_home() -> Path:
    """The folder trained models live in: $STANCE_HOME, else the checkout, else the user data dir."""
    env = os.environ.get(ENV_HOME, "").strip()
    if env:
        return Path(env).expanduser()
    checkout = checkout_root()
    if checkout is not None:
        return checkout
    from platformdirs import user_data_path

    return user_data_path("stance", appauthor=False)


def home_model_dir() -> Path:
    """Where the default model (trained from the shipped default config) is kept."""
    return stance_home() / "models" / "default"


def shipped_model_dir() -> Optional[Path]:
    """The model trained here and shipped inside the package (heads and TF-IDF partner only; see README,
    "Classifier"), or None when this install has none."""
    path = RESOURCES / "models" / "default"
    return path if (path / "stance_model.json").is_file() else None


def is_packaged(path: Path) -> bool:
    """True when `path` is the shipped default config (also through the checkout's symlinks)."""
    try:
        return Path(path).resolve() == resource("configs", "default.yaml").resolve()
    except StanceError:
        return False
