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


def _config(camvid_dir, out, teacher=None, **kw) -> TrainConfig:
    base = dict(data=f"camvid:{camvid_dir}", out=str(out), model=TINY, teacher=teacher,
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
    cfg = _config(camvid_dir, tmp_path / "run", teacher=str(models_dir / "espnet_camvid.onnx"),
                  max_steps=40)
    trainer = Trainer(cfg)
    batch = make_batch(trainer.images, trainer.labels, None, np.arange(3), cfg, 11,
                       np.random.default_rng(5))
    before = _fixed_loss(trainer, batch)
    result = trainer.run()
    after = _fixed_loss(trainer, batch)
    assert after < 0.8 * before, (before, after)
    assert result["step"] == 40 and result["history"][-1]["kd"] > 0
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert history[-1]["step"] == 40 and 0 <= history[-1]["val_miou"] <= 100
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


def test_augmented_batch_keeps_labels_and_teacher_aligned(camvid_dir, models_dir, tmp_path):
    cfg = _config(camvid_dir, tmp_path / "run", teacher=str(models_dir / "espnet_camvid.onnx"),
                  max_steps=1, crop=(160, 120), scale=(0.5, 1.5))
    trainer = Trainer(cfg)
    x, y, t = make_batch(trainer.images, trainer.labels, trainer.teacher, np.arange(3), cfg, 11,
                         np.random.default_rng(0))
    assert x.shape == (3, 3, 120, 160) and y.shape == (3, 120, 160) and t.shape[1] == 12
    known = (y != IGNORE) & ~torch.isnan(t[:, 0])
    agreement = (t[:, :11].argmax(1) == y)[known].float().mean().item()
    assert agreement > 0.85  # the teacher matches training labels where geometry agrees


def test_distillation_loss_is_zero_for_identical_logits_and_skips_nan():
    logits = torch.randn(2, 11, 4, 4)
    teacher = torch.cat([logits, torch.randn(2, 1, 4, 4)], 1)  # extra void channel dropped
    assert distillation_loss(logits, teacher, 2.0).item() == pytest.approx(0, abs=1e-5)
    teacher[:, :, :2] = float("nan")
    assert torch.isfinite(distillation_loss(logits + 1, teacher, 2.0))


def test_bad_config_is_rejected(tmp_path):
    with pytest.raises(ValueError):
        TrainConfig(data="camvid:x", out=str(tmp_path))
    with pytest.raises(ValueError):
        TrainConfig(data="camvid:x", out=str(tmp_path), max_steps=1, batch=0)
