"""Save/load SpicSegNet weights (safetensors + JSON config) and resumable training state."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from spic.segmentation.spic_net import SpicSegNet, SpicSegNetConfig

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
OPTIMIZER_FILE = "optimizer.safetensors"
STATE_FILE = "train_state.json"


class CheckpointError(ValueError):
    """A weights folder is missing files or does not match its config."""


def save_model(model: SpicSegNet, folder: str | Path) -> None:
    """Write ``model.safetensors`` (float32, BN statistics included) and ``config.json``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    save_file(tensors, str(folder / MODEL_FILE), metadata={"format": "pt"})
    (folder / CONFIG_FILE).write_text(json.dumps(model.config.to_dict(), indent=1) + "\n")


def load_model(folder: str | Path) -> SpicSegNet:
    """A SpicSegNet in eval mode from a folder written by :func:`save_model`."""
    folder = Path(folder)
    try:
        config = SpicSegNetConfig.from_dict(json.loads((folder / CONFIG_FILE).read_text()))
        tensors = load_file(str(folder / MODEL_FILE))
    except (OSError, json.JSONDecodeError, TypeError) as exc:
        raise CheckpointError(f"cannot load segmenter weights from {folder}: {exc}") from exc
    model = SpicSegNet(config)
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"weights in {folder} do not match config.json: {exc}") from exc
    return model.eval()


def save_training_state(folder: str | Path, model: SpicSegNet,
                        optimizer: torch.optim.Optimizer, state: dict) -> None:
    """Model + optimizer moments (safetensors) + JSON counters; written atomically per file."""
    folder = Path(folder)
    save_model(model, folder)
    flat: dict[str, torch.Tensor] = {}
    for index, moments in optimizer.state_dict()["state"].items():
        for name, value in moments.items():
            flat[f"{index}.{name}"] = torch.as_tensor(value).detach().cpu().clone().contiguous()
    tmp = folder / (OPTIMIZER_FILE + ".tmp")
    save_file(flat, str(tmp))
    tmp.replace(folder / OPTIMIZER_FILE)
    (folder / STATE_FILE).write_text(json.dumps(state, indent=1) + "\n")


def load_training_state(folder: str | Path, model: SpicSegNet,
                        optimizer: torch.optim.Optimizer) -> dict:
    """Restore model and optimizer from :func:`save_training_state`; returns the counters."""
    folder = Path(folder)
    model.load_state_dict(load_model(folder).state_dict())
    flat = load_file(str(folder / OPTIMIZER_FILE))
    sd = optimizer.state_dict()
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in flat.items():
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = value
    sd["state"] = state
    optimizer.load_state_dict(sd)
    return json.loads((folder / STATE_FILE).read_text())
