"""Which device and precision to run on: `auto` picks CUDA when present, else the CPU."""

from __future__ import annotations

from bench.errors import UserError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str = "auto") -> str:
    if device not in DEVICES:
        raise UserError(f"unknown device '{device}' (choose {', '.join(DEVICES)}).")
    if device == "cpu":
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if device == "cuda":
        raise UserError("--device cuda was asked for, but no CUDA device is available.")
    return "cpu"


def bf16_supported(device: str) -> bool:
    """bf16 where the hardware runs it natively: CUDA (Ampere+) or CPUs with AVX-512 bf16 / AMX."""
    import torch

    if device == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return bool(getattr(torch.backends.mkldnn, "is_available", lambda: False)()) and \
        torch.ops.mkldnn._is_mkldnn_bf16_supported()
