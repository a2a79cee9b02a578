"""Which device runs the encoder: `auto` picks CUDA, then Apple MPS, then the CPU.

Nothing needs an accelerator; every model is saved in float32 on the CPU side, so
a model trained on a GPU loads and predicts on a CPU-only machine. On CUDA with
bfloat16 support, training uses bf16 mixed precision and prediction runs in
bf16; dynamic int8 stays a CPU-only path.
"""

from __future__ import annotations

from dataclasses import dataclass

from stance.errors import StanceError

CHOICES = ("auto", "cpu", "cuda", "mps")


@dataclass(frozen=True)
class Device:
    """The chosen device ("cpu", "cuda", "mps"), its compute dtype and why it was chosen."""

    name: str
    dtype: str  # "float32" | "bfloat16"
    reason: str

    def describe(self) -> str:
        return f"device: {self.name} ({self.dtype}; {self.reason})"


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def _bf16_on_cuda() -> bool:
    import torch

    return bool(torch.cuda.is_bf16_supported())


def choose_device(requested: str = "auto") -> Device:
    """Resolve --device / the config's `device`; a requested accelerator that is absent is an error."""
    requested = (requested or "auto").lower()
    if requested not in CHOICES:
        raise StanceError(f"device {requested!r} is not one of {', '.join(CHOICES)}")
    if requested == "cpu":
        return Device("cpu", "float32", "requested")
    if requested in ("auto", "cuda") and _cuda_available():
        bf16 = _bf16_on_cuda()
        return Device("cuda", "bfloat16" if bf16 else "float32", ("requested" if requested == "cuda" else "auto: CUDA found")
                      + ("" if bf16 else ", no bf16 support"))
    if requested == "cuda":
        raise StanceError("--device cuda: torch sees no CUDA device (torch.cuda.is_available() is False); "
                          "use --device auto or cpu, or install a CUDA build of torch")
    if requested in ("auto", "mps") and _mps_available():
        return Device("mps", "float32", "requested" if requested == "mps" else "auto: Apple MPS found, no CUDA")
    if requested == "mps":
        raise StanceError("--device mps: torch sees no Apple MPS device; use --device auto or cpu")
    return Device("cpu", "float32", "auto: no CUDA or MPS device found")


def place(model, device: Device):
    """Move a model for prediction: float32 on CPU/MPS, bfloat16 on CUDA when supported."""
    import torch

    model = model.to(device.name)
    if device.dtype == "bfloat16":
        model = model.to(torch.bfloat16)
    return model
