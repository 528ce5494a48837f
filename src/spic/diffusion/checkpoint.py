"""SCSRDM checkpoints: safetensors weights + JSON config, nothing else (no pickle).

A model folder holds ``config.json`` (architecture, label set, schedule, the coarse codec
used for training, free-form training info) and ``model.safetensors`` (inference weights,
the EMA during training). A training checkpoint adds ``train_state.safetensors`` (online
weights, optimiser moments) and ``train_state.json`` (step counters, timings).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from spic.diffusion.data import CoarseSpec
from spic.diffusion.schedulers import ScheduleConfig
from spic.diffusion.unet import SCSRDMUNet, UNetConfig
from spic.errors import SpicError
from spic.labelsets import get_label_set

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
STATE_NAME = "train_state.safetensors"
STATE_JSON = "train_state.json"
FORMAT = "spic-scsrdm"
FORMAT_VERSION = 1


class CheckpointError(SpicError):
    """A checkpoint is missing, not safetensors + JSON, or inconsistent with its config."""


@dataclass
class ModelCard:
    """Everything ``config.json`` says about a model besides its weights."""

    unet: UNetConfig
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    label_set: str = "camvid11"
    coarse: CoarseSpec = field(default_factory=CoarseSpec)
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": FORMAT_VERSION, "unet": self.unet.to_dict(),
                "schedule": self.schedule.to_dict(), "label_set": self.label_set,
                "coarse": self.coarse.to_dict(), "info": self.info}

    @classmethod
    def from_dict(cls, d: dict) -> "ModelCard":
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise CheckpointError(f"not an SCSRDM config (format must be {FORMAT!r})")
        if d.get("version") != FORMAT_VERSION:
            raise CheckpointError(f"unsupported SCSRDM config version {d.get('version')!r}")
        try:
            card = cls(unet=UNetConfig.from_dict(d["unet"]),
                       schedule=ScheduleConfig(**d["schedule"]), label_set=d["label_set"],
                       coarse=CoarseSpec(**d["coarse"]), info=dict(d.get("info", {})))
            labels = get_label_set(card.label_set)
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"malformed SCSRDM config: {exc}") from exc
        if labels.num_classes != card.unet.num_classes:
            raise CheckpointError(f"label set {card.label_set} has {labels.num_classes} classes, "
                                  f"the U-Net {card.unet.num_classes}")
        return card


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"missing {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"cannot read {path}: {exc}") from exc


def _read_tensors(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix != ".safetensors":
        raise CheckpointError(f"{path}: only .safetensors weights are accepted")
    if not path.is_file():
        raise CheckpointError(f"missing {path}")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is not a valid safetensors file: {exc}") from exc


def save_model(folder: str | Path, model: SCSRDMUNet, card: ModelCard) -> Path:
    """Write ``config.json`` + ``model.safetensors`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    _atomic_write(folder / WEIGHTS_NAME, lambda p: save_file(tensors, str(p)))
    _atomic_write(folder / CONFIG_NAME,
                  lambda p: p.write_text(json.dumps(card.to_dict(), indent=2) + "\n"))
    return folder


def load_state_into(module: torch.nn.Module, tensors: dict[str, torch.Tensor], source: Path) -> None:
    """Copy tensors into ``module``, refusing missing/unexpected keys and shape mismatches."""
    expected = module.state_dict()
    missing, unexpected = set(expected) - set(tensors), set(tensors) - set(expected)
    if missing or unexpected:
        raise CheckpointError(f"{source}: weights do not match the config "
                              f"(missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]})")
    for key, value in tensors.items():
        if value.shape != expected[key].shape:
            raise CheckpointError(f"{source}: {key} has shape {tuple(value.shape)}, "
                                  f"config expects {tuple(expected[key].shape)}")
    module.load_state_dict(tensors)


def load_model(folder: str | Path) -> tuple[SCSRDMUNet, ModelCard]:
    """Load a model folder (``config.json`` + ``model.safetensors``); the model is in eval mode."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointError(f"{folder}: expected a folder with {CONFIG_NAME} and {WEIGHTS_NAME}")
    card = ModelCard.from_dict(_read_json(folder / CONFIG_NAME))
    model = SCSRDMUNet(card.unet)
    load_state_into(model, _read_tensors(folder / WEIGHTS_NAME), folder / WEIGHTS_NAME)
    return model.eval(), card


def save_train_state(folder: str | Path, model: torch.nn.Module,
                     optimizer: torch.optim.Optimizer, state: dict) -> None:
    """Online weights + AdamW moments (safetensors) and counters (JSON) for resuming."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    params = [p for group in optimizer.param_groups for p in group["params"]]
    steps = {}
    for i, p in enumerate(params):
        s = optimizer.state.get(p)
        if s:
            tensors[f"adam.{i}.exp_avg"] = s["exp_avg"].detach().cpu().contiguous()
            tensors[f"adam.{i}.exp_avg_sq"] = s["exp_avg_sq"].detach().cpu().contiguous()
            steps[str(i)] = float(s["step"])
    _atomic_write(folder / STATE_NAME, lambda p: save_file(tensors, str(p)))
    payload = dict(state, adam_steps=steps, num_params=len(params))
    _atomic_write(folder / STATE_JSON, lambda p: p.write_text(json.dumps(payload, indent=2) + "\n"))


def load_train_state(folder: str | Path, model: torch.nn.Module,
                     optimizer: torch.optim.Optimizer) -> dict:
    """Restore :func:`save_train_state` output into ``model`` and ``optimizer``; returns the JSON."""
    folder = Path(folder)
    state = _read_json(folder / STATE_JSON)
    tensors = _read_tensors(folder / STATE_NAME)
    weights = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    load_state_into(model, weights, folder / STATE_NAME)
    params = [p for group in optimizer.param_groups for p in group["params"]]
    if state.get("num_params") != len(params):
        raise CheckpointError(f"{folder}: optimiser state is for {state.get('num_params')} "
                              f"parameters, the model has {len(params)}")
    device = params[0].device if params else torch.device("cpu")
    for key, step in state.get("adam_steps", {}).items():
        i = int(key)
        p = params[i]
        try:
            avg, sq = tensors[f"adam.{i}.exp_avg"], tensors[f"adam.{i}.exp_avg_sq"]
        except KeyError as exc:
            raise CheckpointError(f"{folder}: missing optimiser tensor {exc}") from None
        if avg.shape != p.shape or sq.shape != p.shape:
            raise CheckpointError(f"{folder}: optimiser moment {i} has the wrong shape")
        optimizer.state[p] = {"step": torch.tensor(step), "exp_avg": avg.to(device),
                              "exp_avg_sq": sq.to(device)}
    return state
