"""A tiny real training run (CamVid frames, ESPNet teacher) lowers the loss and resumes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from spic.cli import main
from spic.segmentation.checkpoint import load_model
from spic.segmentation.training import (IGNORE, TrainConfig, Trainer, distillation_loss,
                                        make_batch)

TINY = {"stem_channels": 8, "channels": [8, 16, 16], "blocks": [1, 1, 1], "decoder_channels": 8}


def _config(camvid_dir, out, teachers=(), **kw) -> TrainConfig:
    base = dict(data=f"camvid:{camvid_dir}", out=str(out), model=TINY, teachers=tuple(teachers),
                crop=(96, 72), batch=2, max_train=3, max_val=1, lr=1e-2, warmup=1,
                eval_every=1000, progress=False, cache=str(out.parent / "cache"))
    base.update(kw)
    return TrainConfig(**base)


def _fixed_loss(trainer: Trainer, batch) -> float:
    x, y, _ = batch
    trainer.model.eval()
    with torch.no_grad():
        return F.cross_entropy(trainer.model(x), y, weight=trainer.weights,
                               ignore_index=IGNORE).item()


def test_tiny_training_reduces_loss(camvid_dir, models_dir, tmp_path):
    torch.set_num_threads(1)
    cfg = _config(camvid_dir, tmp_path / "run", teachers=[str(models_dir / "espnet_camvid.onnx")],
                  max_steps=40)
    trainer = Trainer(cfg)
    batch = make_batch(trainer.images, trainer.labels, [], np.arange(3), cfg, 11,
                       np.random.default_rng(5))
    before = _fixed_loss(trainer, batch)
    result = trainer.run()
    after = _fixed_loss(trainer, batch)
    assert after < 0.8 * before, (before, after)
    assert result["step"] == 40 and result["history"][-1]["kd"] > 0
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert history[-1]["step"] == 40 and 0 <= history[-1]["val_miou"] <= 100
    run_config = json.loads((tmp_path / "run" / "train_config.json").read_text())
    assert run_config["device"] == trainer.device.type  # resolved from "auto", as it ran
    best = load_model(tmp_path / "run" / "best")
    assert best.config.channels == (8, 16, 16)
    assert main(["export-segmenter", "--weights", str(tmp_path / "run" / "best"), "--as-weights",
                 "-o", str(tmp_path / "shipped")]) == 0
    card = (tmp_path / "shipped" / "MODEL_CARD.md").read_text()
    assert "Learning curve" in card and f"| {history[-1]['step']} |" in card
    assert load_model(tmp_path / "shipped").config == best.config


def test_resume_continues_from_last_checkpoint(camvid_dir, tmp_path):
    torch.set_num_threads(1)
    Trainer(_config(camvid_dir, tmp_path / "run", max_steps=3, eval_every=3)).run()
    resumed = Trainer(_config(camvid_dir, tmp_path / "run", max_steps=5, eval_every=5),
                      resume=True)
    assert resumed.state["step"] == 3
    saved = load_model(tmp_path / "run" / "last").state_dict()
    for name, value in resumed.model.state_dict().items():
        assert torch.equal(value, saved[name]), name
    assert resumed.optimizer.state_dict()["state"], "optimizer moments were not restored"
    assert resumed.run()["step"] == 5


def test_init_starts_from_given_weights_with_their_architecture_and_lineage(camvid_dir,
                                                                            models_dir, tmp_path):
    torch.set_num_threads(1)
    Trainer(_config(camvid_dir, tmp_path / "first", max_steps=2, eval_every=2)).run()
    start = load_model(tmp_path / "first" / "last")
    teacher = str(models_dir / "espnet_camvid.onnx")
    warm = Trainer(_config(camvid_dir, tmp_path / "warm", model={}, teachers=[teacher],
                           init=str(tmp_path / "first" / "last"), max_steps=1, eval_every=1))
    assert warm.model.config.channels == start.config.channels == (8, 16, 16)
    for name, value in warm.model.state_dict().items():
        assert torch.equal(value, start.state_dict()[name]), name
    assert warm.model.config.extra["distilled_from"] == ["espnet_camvid.onnx"]
    assert warm.run()["step"] == 1


@pytest.mark.parametrize("teacher", ["espnet_camvid", "espnetv2_cityscapes"])
def test_augmented_batch_keeps_labels_and_teacher_aligned(camvid_dir, models_dir, tmp_path,
                                                          teacher):
    """Each teacher, its own label set or Cityscapes mapped into CamVid-11, agrees with the
    training labels where the warped geometry does, under every camera effect."""
    cfg = _config(camvid_dir, tmp_path / "run", teachers=[str(models_dir / f"{teacher}.onnx")],
                  max_steps=1, crop=(160, 120), scale=(0.5, 1.5), max_train=2, gamma=(0.6, 1.8),
                  channel_gain=0.1, blur=1.0, noise=1.0)
    trainer = Trainer(cfg)
    x, y, t = make_batch(trainer.images, trainer.labels, trainer.teachers, np.arange(2), cfg, 11,
                         np.random.default_rng(0))
    assert x.shape == (2, 3, 120, 160) and y.shape == (2, 120, 160) and t.shape[:3] == (1, 2, 11)
    assert 0 <= x.min() and x.max() <= 1
    known = (y != IGNORE) & ~torch.isnan(t[0, :, 0])
    mass = t[0].exp().sum(1)[known]  # log-probabilities (bilinear warping loses a little mass)
    assert mass.max() <= 1.02 and mass.median() >= 0.98
    agreement = (t[0].argmax(1) == y)[known].float().mean().item()
    assert agreement > (0.85 if teacher == "espnet_camvid" else 0.6), agreement


def test_distillation_loss_is_zero_at_the_target_and_skips_nan():
    logits = torch.randn(2, 11, 4, 4)
    assert distillation_loss(logits, logits[None], 2.0).item() == pytest.approx(0, abs=1e-5)
    # a mixture's target is the weighted mean of the tempered teachers: reached exactly
    a, b = torch.randn(2, 2, 11, 4, 4)
    target = 0.25 * F.softmax(a / 2, 1) + 0.75 * F.softmax(b / 2, 1)
    student = 2 * torch.log(target)
    teachers = torch.stack([a, b])
    assert distillation_loss(student, teachers, 2.0, [0.25, 0.75]).item() == pytest.approx(
        0, abs=1e-5)
    assert distillation_loss(logits, teachers, 2.0, [0.25, 0.75]).item() > 0.01
    teachers[1, :, :, :2] = float("nan")  # outside one teacher's frame: skipped
    assert torch.isfinite(distillation_loss(logits + 1, teachers, 2.0))


def test_bad_config_is_rejected(tmp_path):
    with pytest.raises(ValueError):
        TrainConfig(data="camvid:x", out=str(tmp_path))
    with pytest.raises(ValueError):
        TrainConfig(data="camvid:x", out=str(tmp_path), max_steps=1, batch=0)
    with pytest.raises(ValueError, match="architecture from its weights"):
        TrainConfig(data="camvid:x", out=str(tmp_path), max_steps=1, init="w", model=TINY)
    with pytest.raises(ValueError, match="one teacher weight per teacher"):
        TrainConfig(data="camvid:x", out=str(tmp_path), max_steps=1, teachers=("a.onnx",),
                    teacher_weights=(1.0, 2.0))
