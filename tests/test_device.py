"""Device choice (accelerators mocked away: the suite runs on CPU) and the CPU round trip of a GPU-recorded model."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from stance.classify import device as dev
from stance.cli import app
from stance.errors import StanceError
from _tiny import toy_rows, trained_tiny, write_jsonl

runner = CliRunner()


@pytest.mark.parametrize("cuda,bf16,mps,requested,expected", [
    (True, True, True, "auto", ("cuda", "bfloat16")),
    (True, False, False, "auto", ("cuda", "float32")),
    (False, False, True, "auto", ("mps", "float32")),
    (False, False, False, "auto", ("cpu", "float32")),
    (True, True, True, "cpu", ("cpu", "float32")),
    (False, False, True, "mps", ("mps", "float32")),
])
def test_device_choice(monkeypatch, cuda, bf16, mps, requested, expected):
    monkeypatch.setattr(dev, "_cuda_available", lambda: cuda)
    monkeypatch.setattr(dev, "_bf16_on_cuda", lambda: bf16)
    monkeypatch.setattr(dev, "_mps_available", lambda: mps)
    chosen = dev.choose_device(requested)
    assert (chosen.name, chosen.dtype) == expected
    assert chosen.describe().startswith(f"device: {expected[0]}")


def test_absent_accelerator_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(dev, "_cuda_available", lambda: False)
    monkeypatch.setattr(dev, "_mps_available", lambda: False)
    with pytest.raises(StanceError, match="--device cuda: torch sees no CUDA device"):
        dev.choose_device("cuda")
    with pytest.raises(StanceError, match="--device mps"):
        dev.choose_device("mps")
    with pytest.raises(StanceError, match="device 'tpu' is not one of auto, cpu, cuda, mps"):
        dev.choose_device("tpu")


def test_model_recorded_as_gpu_trained_loads_and_predicts_on_cpu(tmp_path, monkeypatch):
    from safetensors import safe_open

    from stance.classify import load_classifier

    model = tmp_path / "m"
    shutil.copytree(trained_tiny(), model)
    meta_path = model / "stance_model.json"
    meta = json.loads(meta_path.read_text())
    assert meta["trained_on"] == {"device": "cpu", "dtype": "float32"}
    meta["trained_on"] = {"device": "cuda", "dtype": "bfloat16"}
    meta_path.write_text(json.dumps(meta))
    with safe_open(str(model / "model.safetensors"), "pt") as handle:
        assert all(str(handle.get_slice(k).get_dtype()) in ("F32", "I64") for k in handle.keys())
    monkeypatch.setattr(dev, "_cuda_available", lambda: False)
    monkeypatch.setattr(dev, "_mps_available", lambda: False)
    reference = load_classifier(trained_tiny()).predict(toy_rows())
    moved = load_classifier(model, device="auto").predict(toy_rows())
    assert [(p.target, p.stance) for p in moved] == [(p.target, p.stance) for p in reference]


def test_predict_cli_says_which_device(tmp_path, monkeypatch):
    monkeypatch.setattr(dev, "_cuda_available", lambda: False)
    monkeypatch.setattr(dev, "_mps_available", lambda: False)
    data = write_jsonl(tmp_path / "s.jsonl", [{"text": "We stand behind the alliance."}])
    result = runner.invoke(app, ["predict", "--input", str(data), "--model", str(trained_tiny()), "--output", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 0, result.output
    assert "device: cpu (float32; auto: no CUDA or MPS device found)" in result.output
    row = json.loads((tmp_path / "o.jsonl").read_text())
    assert 0 < row["confidence"] <= 1
    result = runner.invoke(app, ["predict", "--input", str(data), "--model", str(trained_tiny()), "--device", "cuda"])
    assert result.exit_code != 0
    assert "no CUDA device" in result.output
