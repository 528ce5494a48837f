"""The one-step (``fast``) SCSRDM: student checkpoints, one U-Net pass, coarse consistency."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spic.diffusion.checkpoint import ModelCard, load_model, save_model
from spic.diffusion.consistency import project_to_coarse
from spic.diffusion.data import CropSampler, Frame
from spic.diffusion.distill import (DistillConfig, DistillLoss, initial_student, one_step,
                                   student_from_teacher)
from spic.diffusion.pipeline import SAMPLING_MODES
from spic.diffusion.schedulers import NoiseSchedule, ScheduleConfig
from spic.diffusion.unet import SCSRDMUNet, UNetConfig
from spic.errors import UnsupportedInputError
from spic.image_ops import area_downscale, upscale_to
from spic.labelsets import CAMVID11
from spic.reconstruction import ReconstructionInput
from spic.reconstruction.scsrdm import MODE_WEIGHTS, ScsrdmReconstructor

TINY = UNetConfig(num_classes=11, base_channels=8, channel_mult=(1, 2), spade_hidden=4,
                  mid_attention=False)
SCHEDULE = ScheduleConfig(prediction_type="residual")


def perturbed(model: SCSRDMUNet, seed: int = 0) -> SCSRDMUNet:
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return model.eval()


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    """A tiny one-step student (teacher weights + full-resolution head) saved as a model folder."""
    student = perturbed(student_from_teacher(perturbed(SCSRDMUNet(TINY)), refine_channels=4), 1)
    folder = tmp_path_factory.mktemp("student")
    save_model(folder, student, ModelCard(student.config, SCHEDULE, "camvid11",
                                          info={"kind": "one-step student"}))
    return folder, student


def scene(h: int = 48, w: int = 64):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 12, (h, w)).astype(np.uint8)
    coarse = rng.integers(0, 256, (h // 4, w // 4, 3), dtype=np.uint8)
    return coarse, labels


def test_student_starts_as_the_teacher_plus_an_identity_head():
    teacher = perturbed(SCSRDMUNet(TINY))
    student = student_from_teacher(teacher, refine_channels=4).eval()
    assert student.config.refine_channels == 4 and student.refine is not None
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    labels = torch.randint(0, 12, (2, 32, 32))
    t = torch.tensor([192, 192])
    with torch.no_grad():
        assert torch.allclose(student(x, t, x, labels), teacher(x, t, x, labels), atol=1e-6)


def test_a_run_starts_from_its_init_or_the_teacher_with_the_spade_kernel_asked(student_dir):
    folder, student = student_dir
    teacher = perturbed(SCSRDMUNet(TINY))
    as_saved = initial_student(DistillConfig(init=str(folder)), teacher)
    for name, value in as_saved.state_dict().items():
        assert torch.equal(value, student.state_dict()[name]), name
    pointwise = initial_student(DistillConfig(init=str(folder), spade_kernel=1), teacher)
    assert pointwise.config.spade_kernel == 1 and pointwise.refine is not None
    assert initial_student(DistillConfig(spade_kernel=1), teacher).config.spade_kernel == 1
    assert initial_student(DistillConfig(refine_channels=4), teacher).config.spade_kernel == 3
    save_model(folder.parent / "pointwise", pointwise,
               ModelCard(pointwise.config, SCHEDULE, "camvid11"))
    with pytest.raises(ValueError, match="from 3 to 1 only"):
        initial_student(DistillConfig(init=str(folder.parent / "pointwise"), spade_kernel=3),
                        teacher)


def test_student_checkpoint_round_trip(student_dir, tmp_path):
    folder, student = student_dir
    loaded, card = load_model(folder)
    assert card.unet == student.config and card.info["kind"] == "one-step student"
    for (k, a), (_, b) in zip(student.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), k
    save_model(tmp_path, loaded, card)
    assert (tmp_path / "model.safetensors").read_bytes() == (folder / "model.safetensors").read_bytes()


def test_fast_mode_calls_the_unet_once_per_frame(student_dir):
    folder, _ = student_dir
    recon = ScsrdmReconstructor(mode="fast", weights=folder, precision="float32")
    assert recon.sampling == SAMPLING_MODES["fast"]
    model = recon.pipeline.model
    calls = {"encoder": [], "decoder": []}
    model.stem.register_forward_hook(lambda m, a, o: calls["encoder"].append(a[0].shape[0]))
    model.out.register_forward_hook(lambda m, a, o: calls["decoder"].append(a[0].shape[0]))
    coarse, labels = scene()
    for _ in range(3):
        out = recon.reconstruct(coarse, labels, CAMVID11, 4)
    assert out.shape == (48, 64, 3)
    assert calls == {"encoder": [1, 1, 1], "decoder": [1, 1, 1]}  # one pass, batch 1, per frame
    assert recon.pipeline.decoder_passes == 3  # the pipeline's count agrees with the modules'


def test_bf16_fast_mode_runs_frozen_graphs_once_per_frame(student_dir):
    """Hooks do not fire inside frozen graphs: the pipeline's count is the evidence there."""
    folder, _ = student_dir
    exact = ScsrdmReconstructor(mode="fast", weights=folder, precision="float32")
    recon = ScsrdmReconstructor(mode="fast", weights=folder, precision="bf16-frozen")
    coarse, labels = scene()
    outs = [recon.reconstruct(coarse, labels, CAMVID11, 4) for _ in range(3)]
    assert recon.pipeline.decoder_passes == 3
    assert all(np.array_equal(out, outs[0]) for out in outs)  # deterministic
    reference = exact.reconstruct(coarse, labels, CAMVID11, 4).astype(int)
    assert np.abs(outs[0].astype(int) - reference).mean() < 2.0


def test_a_batch_runs_each_frame_size_in_one_pass_and_matches_single_frames(student_dir):
    folder, _ = student_dir
    recon = ScsrdmReconstructor(mode="fast", weights=folder, precision="float32")
    passes = []
    recon.pipeline.model.stem.register_forward_hook(lambda m, a, o: passes.append(a[0].shape[0]))
    small, large = [scene(48, 64), scene(48, 64)], scene(64, 80)
    small[1] = (small[1][0][::-1].copy(), small[1][1][::-1].copy())  # another frame, same size
    frames = [ReconstructionInput(c, l, CAMVID11, 4) for c, l in [*small, large]]
    frames.insert(1, ReconstructionInput(*small[0], CAMVID11, 2))  # refused: another downscale
    results = recon.reconstruct_batch(frames)
    assert sorted(passes) == [1, 2]  # the two 48x64 frames together, the 64x80 one alone
    assert isinstance(results[1], UnsupportedInputError)
    for frame, result in zip(frames, results):
        if frame.downscale == 4:
            alone = recon.reconstruct(frame.coarse, frame.ssm, CAMVID11, 4)
            assert np.abs(result.astype(int) - alone).max() <= 1


def test_fast_mode_is_the_students_one_step(student_dir):
    folder, student = student_dir
    recon = ScsrdmReconstructor(mode="fast", weights=folder, precision="float32")
    coarse, labels = scene()
    up = upscale_to(coarse, 64, 48, 4)
    x = torch.from_numpy(up).permute(2, 0, 1)[None].float() / 127.5 - 1
    with torch.no_grad():
        direct = one_step(student, NoiseSchedule(SCHEDULE), x,
                          torch.from_numpy(labels).long()[None], SAMPLING_MODES["fast"].t_start)
    expected = ((direct[0].permute(1, 2, 0) + 1) * 127.5).round().byte().numpy()
    assert np.abs(recon.reconstruct(coarse, labels, CAMVID11, 4).astype(int) - expected).max() <= 1


def test_residual_scale_moves_the_sample_towards_the_upsampled_coarse_image(student_dir):
    folder, _ = student_dir
    coarse, labels = scene()
    up = upscale_to(coarse, 64, 48, 4).astype(float)

    def sample(scale: float) -> np.ndarray:
        recon = ScsrdmReconstructor(mode="fast", weights=folder, precision="float32",
                                    residual_scale=scale)
        return recon.reconstruct(coarse, labels, CAMVID11, 4).astype(float)

    full, half = sample(1.0), sample(0.5)
    assert np.abs(sample(0.0) - up).max() <= 1  # only rounding: the coarse image itself
    assert np.abs(half - (up + 0.5 * (full - up))).max() <= 1.5
    assert np.abs(full - up).mean() > 2  # the sample does depart from the coarse image
    with pytest.raises(ValueError, match="residual_scale"):
        ScsrdmReconstructor(mode="fast", weights=folder, residual_scale=3)


def test_fixed_seed_is_deterministic_in_both_modes(student_dir):
    folder, _ = student_dir
    coarse, labels = scene()
    for options in ({"mode": "fast", "weights": folder},
                    {"mode": "quality", "steps": 3, "seed": 7}):
        a = ScsrdmReconstructor(precision="float32", **options).reconstruct(coarse, labels, CAMVID11, 4)
        b = ScsrdmReconstructor(precision="float32", **options).reconstruct(coarse, labels, CAMVID11, 4)
        assert np.array_equal(a, b), options


def test_consistency_step_makes_the_area_average_equal_the_coarse_image(student_dir):
    folder, _ = student_dir
    recon = ScsrdmReconstructor(mode="fast", weights=folder, consistency="project")
    rng = np.random.default_rng(0)
    for _ in range(5):
        coarse = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
        labels = rng.integers(0, 12, (48, 64)).astype(np.uint8)
        out = recon.reconstruct(coarse, labels, CAMVID11, 4)
        assert np.array_equal(area_downscale(out, 4), coarse)
    with pytest.raises(ValueError, match="consistency"):
        ScsrdmReconstructor(mode="fast", weights=folder, consistency="maybe")


@pytest.mark.parametrize("seed", range(20))
def test_projection_is_exact_on_random_images(seed):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)
    coarse = rng.integers(0, 256, (10, 14, 3), dtype=np.uint8)
    coarse[:2] = 255 * (seed % 2)  # saturated blocks need several integer passes
    out = project_to_coarse(image, coarse, 4)
    assert np.array_equal(area_downscale(out, 4), coarse)
    same = project_to_coarse(out, coarse, 4)
    assert np.array_equal(same, out)  # a consistent image is left alone


def test_modes_and_their_weights():
    assert set(MODE_WEIGHTS) == {"fast", "quality"}
    with pytest.raises(ValueError, match="mode"):
        ScsrdmReconstructor(mode="turbo")
    for mode, folder in MODE_WEIGHTS.items():
        if (folder / "config.json").exists():
            _, card = load_model(folder)
            expected_head = mode == "fast"
            assert bool(card.unet.refine_channels) == expected_head


def test_crops_carry_the_teacher_and_the_coarse_image_aligned():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
    coarse = area_downscale(rgb, 4)
    frame = Frame("f", rgb, upscale_to(coarse, 48, 40, 4), np.zeros((40, 48), np.uint8), coarse)
    batch = CropSampler([frame], 16, teacher=[rgb]).batch(6, np.random.default_rng(1))
    assert torch.equal(batch["teacher"], batch["target"])
    pooled = torch.nn.functional.avg_pool2d(batch["target"], 4)
    assert (pooled - batch["coarse_small"]).abs().max() < 2 / 127.5 + 1e-6


def test_distill_loss_parts_and_gradient():
    cfg = DistillConfig(w_lpips=0.0, w_real=0.0, w_real_l1=0.0)
    loss_fn = DistillLoss(cfg, 4)
    target = torch.rand(2, 3, 16, 16) * 2 - 1
    batch = {"teacher": target, "target": target,
             "coarse_small": torch.nn.functional.avg_pool2d(target, 4)}
    x = target.clone().requires_grad_(True)
    loss, parts = loss_fn(x, batch)
    assert set(parts) == {"l1", "coarse"} and float(loss.detach()) == 0.0
    loss, _ = loss_fn(x + 0.1, batch)
    loss.backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


def test_grid_loss_sees_a_period_4_pattern_and_nothing_else():
    from spic.diffusion.distill import grid_loss

    smooth = torch.linspace(-1, 1, 64).view(1, 1, 1, 64).expand(2, 3, 64, 64)
    noise = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0)) * 0.02
    pattern = torch.zeros(4, 4)
    pattern[1, 2], pattern[3, 0] = 0.05, -0.05
    grid = pattern.repeat(16, 16).expand(2, 3, 64, 64)
    assert float(grid_loss(smooth, 4)) < 1e-6  # no 4-periodic structure
    assert float(grid_loss(noise, 4)) < 0.002  # phase means of noise average out
    assert float(grid_loss(noise + grid, 4)) > 5 * float(grid_loss(noise, 4))
    shifted = torch.roll(grid, 2, dims=-1)  # the same pattern at another phase: still seen
    assert float(grid_loss(shifted, 4)) == pytest.approx(float(grid_loss(grid, 4)), rel=1e-4)
    x = (noise + grid).clone().requires_grad_(True)
    cfg = DistillConfig(w_lpips=0.0, w_real=0.0, w_real_l1=0.0, w_grid=1.0)
    loss, parts = DistillLoss(cfg, 4)(x, {"teacher": noise, "target": noise,
                                          "coarse_small": torch.nn.functional.avg_pool2d(noise, 4)})
    assert "grid" in parts and parts["grid"] > 0
    loss.backward()
    assert float(x.grad.abs().sum()) > 0



def test_student_maps_are_the_labels_or_the_vehicle_segmenters(camvid_dir, tmp_path):
    """With ``student_maps="segmenter"`` the student sees the embedded segmenter's map of each
    frame (the map it decodes at run time); image, coarse image and name stay the frame's."""
    from spic.diffusion.data import CoarseSpec, dataset_frames
    from spic.diffusion.distill import student_frames
    from spic.segmentation.spic_segmenter import SpicSegmenter

    cfg = DistillConfig(data=f"camvid:{camvid_dir}", train_split="selection",
                        cache_dir=str(tmp_path), progress=False)
    frames = dataset_frames(cfg.data, cfg.train_split, CoarseSpec(), tmp_path)
    assert student_frames(frames, cfg, CoarseSpec()) is frames
    cfg.student_maps = "segmenter"
    seen = student_frames(frames, cfg, CoarseSpec())
    assert [f.name for f in seen] == [f.name for f in frames]
    first = seen[0]
    assert np.array_equal(first.labels, SpicSegmenter(threads=1).segment(first.rgb))
    assert not np.array_equal(first.labels, frames[0].labels)
    assert np.array_equal(first.coarse_up, frames[0].coarse_up)
    assert np.array_equal(first.rgb, frames[0].rgb)
    cfg.student_maps = "teacher"
    with pytest.raises(ValueError, match="labels or segmenter"):
        student_frames(frames, cfg, CoarseSpec())
