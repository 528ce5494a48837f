"""SCSRDM training: overfitting, data, checkpoints (safetensors + JSON only), resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from spic.diffusion.checkpoint import (CheckpointError, ModelCard, load_model, load_train_state,
                                       save_model, save_train_state)
from spic.diffusion.data import CoarseSpec, CropSampler, Frame, dataset_frames, make_coarse
from spic.diffusion.schedulers import NoiseSchedule, ScheduleConfig
from spic.diffusion.train import TrainConfig, diffusion_loss, learning_rate, train
from spic.diffusion.unet import SCSRDMUNet, UNetConfig
from spic.image_ops import area_downscale

TINY = UNetConfig(base_channels=16, channel_mult=(1, 2), spade_hidden=8, mid_attention=False)
WEBP = CoarseSpec("webp", 60, 4)  # always available (Pillow); the default run's fallback


@pytest.fixture(scope="module")
def frames(camvid_dir, tmp_path_factory) -> list[Frame]:
    cache = tmp_path_factory.mktemp("coarse-cache")
    return dataset_frames(f"camvid:{camvid_dir}", "train", WEBP, cache, limit=2)


def test_frames_use_the_run_time_coarse_path(frames, camvid_dir):
    f = frames[0]
    assert f.rgb.shape == (360, 480, 3) and f.labels.shape == (360, 480)
    coarse, nbytes = make_coarse(f.rgb, WEBP)
    assert coarse.shape == (90, 120, 3) and nbytes > 100
    # The cached, upsampled coarse image is the decoded codec output (not the clean downscale).
    assert np.array_equal(area_downscale(f.coarse_up, 4).shape, coarse.shape)
    assert not np.array_equal(coarse, area_downscale(f.rgb, 4))


def test_crop_sampler_aligned_flipped_and_in_range(frames):
    sampler = CropSampler(frames, crop=64, align=4)
    batch = sampler.batch(3, np.random.default_rng(0))
    assert batch["target"].shape == (3, 3, 64, 64) and batch["labels"].shape == (3, 64, 64)
    assert batch["target"].min() >= -1 and batch["target"].max() <= 1
    with pytest.raises(ValueError, match="smaller than crop"):
        CropSampler(frames, crop=512)


@pytest.mark.parametrize("prediction", ["epsilon", "residual"])
def test_fifty_steps_overfit_two_crops(frames, prediction):
    torch.manual_seed(0)
    batch = CropSampler(frames, crop=32).batch(2, np.random.default_rng(1))
    model = SCSRDMUNet(TINY)
    schedule = NoiseSchedule(ScheduleConfig(prediction_type=prediction))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    t = torch.tensor([50, 150])
    losses = []
    for _ in range(50):
        gen = torch.Generator().manual_seed(7)  # the same noise every step: a fixed target
        loss = diffusion_loss(model, schedule, batch, t, 0.0, gen, TINY.num_classes)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses[::10]


def test_checkpoint_round_trip_and_refusals(tmp_path):
    torch.manual_seed(0)
    model = SCSRDMUNet(TINY)
    with torch.no_grad():
        next(model.parameters()).add_(1.0)
    card = ModelCard(TINY, coarse=WEBP, info={"step": 3})
    save_model(tmp_path / "m", model, card)
    loaded, card2 = load_model(tmp_path / "m")
    assert card2.to_dict() == card.to_dict()
    for (k, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), k
    # A pickle in place of the weights is refused, never unpickled.
    torch.save(model.state_dict(), tmp_path / "m" / "model.safetensors")
    with pytest.raises(CheckpointError, match="safetensors"):
        load_model(tmp_path / "m")
    with pytest.raises(CheckpointError):
        load_model(tmp_path / "m" / "model.safetensors")
    # Weights that do not match the config are refused with the key named.
    save_model(tmp_path / "m", SCSRDMUNet(UNetConfig(base_channels=8, channel_mult=(1, 2),
                                                     mid_attention=False)), card)
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    config["unet"]["base_channels"] = 16
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="shape"):
        load_model(tmp_path / "m")
    (tmp_path / "m" / "config.json").write_text('{"format": "other"}')
    with pytest.raises(CheckpointError, match="format"):
        load_model(tmp_path / "m")


def test_train_state_round_trip(tmp_path):
    torch.manual_seed(0)
    model = SCSRDMUNet(TINY)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randn(1, 3, 32, 32)
    model(x, torch.tensor([3]), x, torch.zeros(1, 32, 32, dtype=torch.long)).sum().backward()
    opt.step()
    save_train_state(tmp_path, model, opt, {"step": 1})
    model2 = SCSRDMUNet(TINY)
    opt2 = torch.optim.AdamW(model2.parameters(), lr=1e-3)
    assert load_train_state(tmp_path, model2, opt2)["step"] == 1
    p, p2 = next(model.parameters()), next(model2.parameters())
    assert torch.equal(p, p2)
    assert torch.equal(opt.state[p]["exp_avg_sq"], opt2.state[p2]["exp_avg_sq"])


def test_train_resume_equals_uninterrupted_run(camvid_dir, tmp_path):
    def config(out: str, steps: int) -> TrainConfig:
        return TrainConfig(data=f"camvid:{camvid_dir}", out_dir=str(tmp_path / out),
                           cache_dir=str(tmp_path / "cache"), coarse=WEBP, unet=TINY, crop=32,
                           batch_size=2, steps=steps, checkpoint_every=2, val_every=4,
                           val_frames=1, train_limit=2, progress=False)
    full = train(config("full", 4)).summary
    train(config("split", 2))
    resumed = train(config("split", 4)).summary
    assert resumed["step"] == full["step"] == 4
    a, _ = load_model(tmp_path / "full" / "checkpoint")
    b, card = load_model(tmp_path / "split" / "checkpoint")
    assert card.info["step"] == 4 and card.coarse == WEBP
    assert (tmp_path / "full" / "val" / "step_0000004.png").exists()
    assert "val_psnr" in json.loads((tmp_path / "full" / "log.jsonl").read_text().splitlines()[-1])
    for (k, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.allclose(x, y, atol=1e-6), k


def test_cli_trains_and_exports(camvid_dir, tmp_path, capsys):
    from spic.cli import main

    run = tmp_path / "run"
    common = ["--out", str(run)]
    assert main(["train-decoder", "--data", f"camvid:{camvid_dir}", *common, "--steps", "2",
                 "--base-channels", "8", "--channel-mult", "1,2", "--no-mid-attention",
                 "--coarse-codec", "webp", "--coarse-quality", "60", "--train-limit", "2",
                 "--val-frames", "0", "--crop", "32", "--batch-size", "1", "--bf16",
                 "--cache-dir", str(tmp_path / "cache"), "--no-progress"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["step"] == 2
    assert main(["train-decoder", *common, "--export", str(tmp_path / "export")]) == 0
    model, card = load_model(tmp_path / "export")
    assert card.info["step"] == 2 and card.info["train"]["bf16"] is True
    assert card.coarse == WEBP and card.label_set == "camvid11"
    assert main(["train-decoder", "--out", str(tmp_path / "none"), "--export",
                 str(tmp_path / "x")]) == 1  # no checkpoint: a clear error, exit code 1


def test_learning_rate_warms_up_then_decays_to_zero():
    cfg = TrainConfig(lr=1e-3, warmup_steps=10, steps=100, decay_from=60)
    assert learning_rate(cfg, 0) == pytest.approx(1e-4)
    assert learning_rate(cfg, 30) == learning_rate(cfg, 60) == pytest.approx(1e-3)
    assert learning_rate(cfg, 80) == pytest.approx(5e-4)
    assert learning_rate(cfg, 100) == 0.0
    assert learning_rate(TrainConfig(lr=1e-3, steps=1000), 999) == pytest.approx(1e-3)


def test_condition_dropout_replaces_the_map_at_the_configured_rate():
    """SSM dropout trains the unconditional branch that guidance needs: about p of the maps."""
    seen = []

    class Recorder(SCSRDMUNet):
        def forward(self, x_t, t, coarse, labels, modulations=None):
            seen.append(labels.clone())
            return super().forward(x_t, t, coarse, labels, modulations)

    model = Recorder(TINY)
    gen = torch.Generator().manual_seed(0)
    n = 400
    batch = {"target": torch.zeros(n, 3, 8, 8), "coarse": torch.zeros(n, 3, 8, 8),
             "labels": torch.zeros(n, 8, 8, dtype=torch.uint8)}
    with torch.no_grad():
        diffusion_loss(model, NoiseSchedule(), batch, torch.zeros(n, dtype=torch.long), 0.1, gen,
                       void_label=TINY.num_classes)
    labels = seen[0]
    dropped = (labels == TINY.num_classes).flatten(1).all(dim=1)
    kept = (labels == 0).flatten(1).all(dim=1)
    assert bool((dropped | kept).all())  # a map is dropped whole or kept whole
    assert 0.06 < float(dropped.float().mean()) < 0.14  # p = 0.1, 400 draws: +-4 sigma
