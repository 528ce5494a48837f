"""Process-wide runtime settings that plug-ins must not fight over, the device a training
command runs on, and the onnxruntime CPU session every plug-in opens the same way."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

_torch_threads: int | None = None


def set_torch_threads(threads: int | None) -> int | None:
    """Set torch's intra-op thread count for this process, once.

    torch has one process-wide pool: when several plug-ins (segmenter, reconstructor) each
    set it, the last one silently wins. Here the first explicit request wins and a later,
    different one is logged and ignored. ``None`` asks for nothing. Returns the count in force.
    """
    global _torch_threads
    import torch

    if threads is None:
        return _torch_threads
    threads = int(threads)
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    if _torch_threads is None:
        torch.set_num_threads(threads)
        _torch_threads = threads
    elif threads != _torch_threads:
        logging.getLogger("spic").warning(
            "torch threads already set to %d for this process; ignoring a request for %d",
            _torch_threads, threads)
    return _torch_threads


def resolve_device(name: str) -> torch.device:
    """A torch device for a training command's ``--device``: ``auto`` = CUDA when available,
    else CPU; any other torch device name as given."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def cpu_session(model: str | bytes, threads: int = 2, spinning: bool = False):
    """An onnxruntime CPU session; ``spinning=False`` idles waiting threads (shared CPUs)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(threads)
    opts.inter_op_num_threads = 1
    if not spinning:
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
