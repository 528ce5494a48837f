"""Sampling: (coarse image, semantic map) -> full-resolution frame with a U-Net and a scheduler.

Start modes:

* ``paper``  — the upsampled coarse image itself is x_t at ``t_start`` (no noise added);
* ``noised`` — the upsampled coarse image noised to ``t_start`` (SDEdit-style);
* ``noise``  — pure Gaussian noise at the last training timestep.

Classifier-free guidance with scale ``s``: eps = eps_uncond + s (eps_cond - eps_uncond),
where the unconditional branch sees an all-void map (trained by condition dropout).
``s == 1`` runs one U-Net pass per step.

``residual_scale`` r scales the sample's departure from the upsampled coarse image (the prior
mean of the ``residual`` parametrisation): x = coarse + r (x0 - coarse). r < 1 trades
synthesised texture, which a per-pixel metric counts as error, for PSNR.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from spic.cancellation import raise_if_cancelled
from spic.diffusion.data import from_model_range, to_model_range
from spic.diffusion.frozen import FrozenUNet
from spic.diffusion.onnx_unet import OnnxUNet
from spic.diffusion.schedulers import SCHEDULERS, NoiseSchedule, create_scheduler
from spic.diffusion.unet import Modulations, SCSRDMUNet

START_MODES = ("paper", "noised", "noise")


@dataclass(frozen=True)
class SamplingConfig:
    """How to sample (defaults: the paper's 20 steps from the coarse image at t = 192)."""

    num_steps: int = 20
    start: str = "paper"
    t_start: int = 192
    guidance_scale: float = 1.0
    sampler: str = "ddim"
    seed: int = 0
    eta: float = 0.0  # DDIM only: 0 deterministic, 1 = DDPM's variance
    residual_scale: float = 1.0  # x = coarse + r (x0 - coarse); 1 = the sample itself

    def validate(self, num_train_timesteps: int) -> None:
        if self.start not in START_MODES:
            raise ValueError(f"start mode must be one of {START_MODES}, got {self.start!r}")
        if not 0 <= self.t_start < num_train_timesteps:
            raise ValueError(f"t_start must be in [0, {num_train_timesteps - 1}]")
        if self.num_steps < 1:
            raise ValueError("num_steps must be >= 1")
        if self.guidance_scale < 0:
            raise ValueError("guidance_scale must be >= 0")
        if not 0.0 <= self.eta <= 1.0:
            raise ValueError(f"eta must be in [0, 1], got {self.eta}")
        if not 0.0 <= self.residual_scale <= 2.0:
            raise ValueError(f"residual_scale must be in [0, 2], got {self.residual_scale}")
        if self.sampler not in SCHEDULERS:
            raise ValueError(f"sampler must be one of {sorted(SCHEDULERS)}, got {self.sampler!r}")


#: The sampling of each shipped mode: ``quality`` is the guided multi-step sampler (the
#: teacher), ``fast`` the one-step student's single pass (guidance is in its weights).
SAMPLING_MODES = {
    "quality": SamplingConfig(num_steps=20, guidance_scale=4.0, eta=0.2),
    "fast": SamplingConfig(num_steps=1),
}


class SCSRDMPipeline:
    """Ties a :class:`SCSRDMUNet`, a :class:`NoiseSchedule` and a sampler together.

    The pipeline owns ``model``: it is put in eval mode and channels-last memory format
    (about 1.25x faster convolutions on CPU). ``frozen``: the U-Net runs as frozen graphs
    (:class:`~spic.diffusion.frozen.FrozenUNet`, the same results; default: with ``bf16``).
    ``bf16``: a copy with bfloat16 weights runs as frozen graphs. ``onnx``: unguided passes run
    as one onnxruntime graph (:class:`~spic.diffusion.onnx_unet.OnnxUNet`; guided sampling is
    refused), exported from ``model``. Which is fastest depends on the CPU
    (:mod:`spic.diffusion.precision`); the sampler arithmetic stays float32.
    ``decoder_passes`` counts the U-Net decoder passes made (one per step, both guidance
    branches in one pass).
    """

    def __init__(self, model: SCSRDMUNet, schedule: NoiseSchedule, bf16: bool = False,
                 frozen: bool | None = None, onnx: bool = False) -> None:
        self.model = model.eval().to(memory_format=torch.channels_last)
        self.schedule = schedule
        self.bf16 = bf16
        self.frozen = bf16 if frozen is None else frozen
        if bf16 and not self.frozen:
            raise ValueError("bfloat16 weights run as frozen graphs only")
        if onnx and (bf16 or self.frozen):
            raise ValueError("onnxruntime runs the float32 weights: no bf16, no frozen graphs")
        self.onnx_unet = OnnxUNet(model) if onnx else None
        self.unet: SCSRDMUNet | FrozenUNet = model
        if bf16:  # a bfloat16 copy: ``model`` itself keeps its weights
            self.unet = FrozenUNet(copy.deepcopy(model).to(torch.bfloat16))
        elif self.frozen:
            self.unet = FrozenUNet(model)
        self.decoder_passes = 0
        self._uncond_key: tuple | None = None
        self._uncond: tuple[torch.Tensor, Modulations] | None = None

    def _unconditional(self, labels: torch.Tensor) -> tuple[torch.Tensor, Modulations]:
        """The all-void map at this size and its modulations: computed once, then reused."""
        key = (tuple(labels.shape), labels.device, self.bf16)
        if self._uncond_key != key:
            void = torch.full_like(labels, self.model.config.num_classes)
            self._uncond_key = key
            self._uncond = void, self.unet.semantic_modulations(void)
        return self._uncond

    def _conditions(self, labels: torch.Tensor, guidance: float) -> tuple[torch.Tensor, Modulations]:
        """The U-Net's label input and SPADE modulations, once per frame.

        With guidance the batch is doubled: conditional, then unconditional (all-void map).
        """
        cond = self.unet.semantic_modulations(labels)
        if guidance == 1.0:
            return labels, cond
        void, uncond = self._unconditional(labels)
        mods = {m: (torch.cat([g, uncond[m][0]]), torch.cat([b, uncond[m][1]]))
                for m, (g, b) in cond.items()}
        return torch.cat([labels, void]), mods

    def _predict(self, x: torch.Tensor, t: int, coarse: torch.Tensor, labels: torch.Tensor,
                 mods: Modulations, guidance: float) -> torch.Tensor:
        """One model output; under guidance the map-free encoder half runs once for both branches."""
        tt = torch.full((x.shape[0],), t, device=x.device)
        if self.onnx_unet is not None:  # the whole pass, map modulations included
            self.decoder_passes += 1
            return self.onnx_unet(x, tt, coarse, labels)
        enc = self.unet.encode(x, tt, coarse)
        self.decoder_passes += 1
        if guidance == 1.0:
            return self.unet.decode(enc, coarse, labels, mods).float()
        out = self.unet.decode(enc.repeat(2), torch.cat([coarse, coarse]), labels, mods).float()
        cond, uncond = out.chunk(2)
        return uncond + guidance * (cond - uncond)

    @torch.no_grad()
    def sample(self, coarse: torch.Tensor, labels: torch.Tensor,
               config: SamplingConfig = SamplingConfig()) -> torch.Tensor:
        """``coarse``: (B,3,H,W) upsampled coarse image in [-1,1]; ``labels``: (B,H,W).

        Any H, W: inputs are edge-padded to the U-Net's multiple and the output cropped.
        Returns (B,3,H,W) in [-1,1]; deterministic for a fixed ``config.seed``.
        """
        last = self.schedule.num_train_timesteps - 1
        config.validate(self.schedule.num_train_timesteps)
        b, _, h, w = coarse.shape
        m = self.model.config.pad_multiple
        ph, pw = -h % m, -w % m
        if ph or pw:
            coarse = F.pad(coarse, (0, pw, 0, ph), mode="replicate")
            labels = F.pad(labels[:, None].float(), (0, pw, 0, ph), mode="replicate")[:, 0].long()
        generator = torch.Generator(device=coarse.device).manual_seed(config.seed)
        scheduler = create_scheduler(config.sampler, self.schedule, eta=config.eta)
        t_start = last if config.start == "noise" else config.t_start
        timesteps = scheduler.set_timesteps(config.num_steps, t_start)
        if config.start == "paper":
            x = coarse.clone()
        else:
            noise = torch.randn(coarse.shape, generator=generator, device=coarse.device)
            if config.start == "noise":
                x = noise
            else:
                x = self.schedule.add_noise(coarse, noise, torch.full((b,), t_start))
        if self.onnx_unet is None:
            labels, mods = self._conditions(labels, config.guidance_scale)
        elif config.guidance_scale != 1.0:
            raise ValueError("the onnxruntime graph makes unguided passes only (guidance_scale 1)")
        else:
            mods = {}
        for t in timesteps:
            raise_if_cancelled()  # e.g. a node shutting down: stop between steps
            out = self._predict(x, t, coarse, labels, mods, config.guidance_scale)
            x = scheduler.step(out, t, x, generator, coarse=coarse)
        if config.residual_scale != 1.0:
            x = coarse + config.residual_scale * (x - coarse)
        return x[:, :, :h, :w].clamp(-1, 1)

    def __call__(self, coarse_up: np.ndarray, labels: np.ndarray,
                 config: SamplingConfig = SamplingConfig()) -> np.ndarray:
        """One frame: H x W x 3 uint8 upsampled coarse image + H x W labels -> H x W x 3 uint8."""
        if coarse_up.ndim != 3:
            raise ValueError(f"expected one H x W x 3 coarse image, got {coarse_up.shape}")
        return self.sample_frames(coarse_up[None], labels[None], config)[0]

    def sample_frames(self, coarse_up: np.ndarray, labels: np.ndarray,
                      config: SamplingConfig = SamplingConfig()) -> np.ndarray:
        """A batch: B x H x W x 3 uint8 upsampled coarse images + B x H x W labels ->
        B x H x W x 3 uint8, in one pass per step. The sampler's noise (if any) is drawn for
        the whole batch, so a frame's sample depends on its place in it."""
        if (coarse_up.ndim != 4 or coarse_up.shape[3] != 3
                or coarse_up.shape[:3] != labels.shape):
            raise ValueError(f"coarse {coarse_up.shape} and labels {labels.shape} do not match")
        device = next(self.model.parameters()).device
        x = to_model_range(coarse_up).to(device)
        lab = torch.from_numpy(labels.astype(np.int64)).to(device)  # a writable copy
        return from_model_range(self.sample(x, lab, config))
