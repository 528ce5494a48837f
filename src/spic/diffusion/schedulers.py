"""Noise schedule and samplers (DDPM ancestral, DDIM), kept apart from the model.

A :class:`NoiseSchedule` holds the training-time betas / cumulative alphas. A scheduler
(:class:`DDPMScheduler`, :class:`DDIMScheduler`) picks a respaced subset of timesteps
with :meth:`set_timesteps` and moves a sample one respaced step with :meth:`step`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

PREDICTION_TYPES = ("epsilon", "v", "x0", "residual")


@dataclass(frozen=True)
class ScheduleConfig:
    """Training schedule (stored in checkpoints as JSON).

    ``prediction_type`` ``residual`` is a preconditioned x0 prediction for super-resolution
    (EDM-style, Karras et al. 2022, with the coarse image as the prior mean): with
    x0 = coarse + r, r ~ N(0, residual_std^2), the linear MMSE estimate of x0 from x_t is
    ``coarse + k_t (x_t - sqrt(a_t) coarse)`` and the network predicts the remaining error
    divided by its standard deviation ``c_t`` -- a unit-variance target at every t, and
    an untrained network already returns the linear estimate.
    """

    num_train_timesteps: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02
    prediction_type: str = "epsilon"
    residual_std: float = 0.15

    def to_dict(self) -> dict:
        return asdict(self)


class NoiseSchedule:
    """Linear beta schedule and the closed-form forward process q(x_t | x_0)."""

    def __init__(self, config: ScheduleConfig | None = None) -> None:
        self.config = c = config or ScheduleConfig()
        if c.prediction_type not in PREDICTION_TYPES:
            raise ValueError(f"prediction_type must be one of {PREDICTION_TYPES}, "
                             f"got {c.prediction_type!r}")
        if c.residual_std <= 0:
            raise ValueError(f"residual_std must be > 0, got {c.residual_std}")
        if c.num_train_timesteps < 2 or not 0 < c.beta_start < c.beta_end < 1:
            raise ValueError(f"invalid schedule {c}")
        self.betas = torch.linspace(c.beta_start, c.beta_end, c.num_train_timesteps,
                                    dtype=torch.float64)
        self.alphas_cumprod = torch.cumprod(1.0 - self.betas, dim=0)

    @property
    def num_train_timesteps(self) -> int:
        return self.config.num_train_timesteps

    def _coef(self, t: torch.Tensor, ndim: int) -> tuple[torch.Tensor, torch.Tensor]:
        ac = self.alphas_cumprod[t.long().cpu()]
        shape = (-1,) + (1,) * (ndim - 1)
        return (ac.sqrt().float().reshape(shape).to(t.device),
                (1 - ac).sqrt().float().reshape(shape).to(t.device))

    def _residual_coef(self, t: torch.Tensor, ndim: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(k_t, c_t) of the ``residual`` parametrisation (see :class:`ScheduleConfig`)."""
        ac = self.alphas_cumprod[t.long().cpu()]
        var = self.config.residual_std ** 2
        denom = ac * var + (1 - ac)
        shape = (-1,) + (1,) * (ndim - 1)
        k = (ac.sqrt() * var / denom).float().reshape(shape).to(t.device)
        c = (var * (1 - ac) / denom).sqrt().float().reshape(shape).to(t.device)
        return k, c

    def _linear_x0(self, x_t: torch.Tensor, t: torch.Tensor, coarse: torch.Tensor | None):
        if coarse is None:
            raise ValueError("prediction_type 'residual' needs the upsampled coarse image")
        a, _ = self._coef(t, x_t.dim())
        k, c = self._residual_coef(t, x_t.dim())
        return coarse + k * (x_t - a * coarse), c

    def add_noise(self, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """x_t = sqrt(a_t) x0 + sqrt(1 - a_t) noise (per-sample ``t``)."""
        a, s = self._coef(t, x0.dim())
        return a * x0 + s * noise

    def target(self, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor,
               coarse: torch.Tensor | None = None) -> torch.Tensor:
        """What the model learns to output for the configured prediction type."""
        kind = self.config.prediction_type
        if kind == "epsilon":
            return noise
        if kind == "x0":
            return x0
        if kind == "residual":
            x0_lin, c = self._linear_x0(self.add_noise(x0, noise, t), t, coarse)
            return (x0 - x0_lin) / c
        a, s = self._coef(t, x0.dim())
        return a * noise - s * x0

    def split_prediction(self, output: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor,
                         coarse: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(x0, epsilon) implied by a model output at ``x_t``; x0 is clipped to [-1, 1].

        ``coarse`` (the upsampled coarse image) is needed by the ``residual`` type only.
        """
        a, s = self._coef(t, x_t.dim())
        kind = self.config.prediction_type
        if kind == "epsilon":
            x0 = (x_t - s * output) / a
        elif kind == "x0":
            x0 = output
        elif kind == "residual":
            x0_lin, c = self._linear_x0(x_t, t, coarse)
            x0 = x0_lin + c * output
        else:
            x0 = a * x_t - s * output
        x0 = x0.clamp(-1, 1)
        return x0, (x_t - a * x0) / s


def respaced_timesteps(num_steps: int, t_start: int) -> list[int]:
    """``num_steps`` timesteps evenly spaced from ``t_start`` down to 0 (distinct, descending)."""
    if num_steps < 1:
        raise ValueError(f"num_steps must be >= 1, got {num_steps}")
    if t_start < 0:
        raise ValueError(f"t_start must be >= 0, got {t_start}")
    num_steps = min(num_steps, t_start + 1)
    if num_steps == 1:
        return [t_start]
    return [round(t_start - i * t_start / (num_steps - 1)) for i in range(num_steps)]


class _Scheduler:
    def __init__(self, schedule: NoiseSchedule) -> None:
        self.schedule = schedule
        self.timesteps: list[int] = []

    def set_timesteps(self, num_steps: int, t_start: int | None = None) -> list[int]:
        """Respace to ``num_steps`` timesteps from ``t_start`` (default T - 1) down to 0."""
        last = self.schedule.num_train_timesteps - 1
        t_start = last if t_start is None else t_start
        if t_start > last:
            raise ValueError(f"t_start {t_start} beyond the schedule's last timestep {last}")
        self.timesteps = respaced_timesteps(num_steps, t_start)
        return self.timesteps

    def previous(self, t: int) -> int:
        """The respaced timestep after ``t`` (-1 after the last one)."""
        i = self.timesteps.index(t)
        return self.timesteps[i + 1] if i + 1 < len(self.timesteps) else -1

    def _alpha(self, t: int) -> float:
        return 1.0 if t < 0 else float(self.schedule.alphas_cumprod[t])


class DDPMScheduler(_Scheduler):
    """Ancestral sampling on the respaced chain (posterior q(x_prev | x_t, x0))."""

    def step(self, model_output: torch.Tensor, t: int, sample: torch.Tensor,
             generator: torch.Generator | None = None,
             coarse: torch.Tensor | None = None) -> torch.Tensor:
        prev = self.previous(t)
        tt = torch.full((sample.shape[0],), t, device=sample.device)
        x0, _ = self.schedule.split_prediction(model_output, sample, tt, coarse)
        a_t, a_prev = self._alpha(t), self._alpha(prev)
        beta = 1 - a_t / a_prev
        mean = ((a_prev ** 0.5 * beta / (1 - a_t)) * x0
                + ((1 - beta) ** 0.5 * (1 - a_prev) / (1 - a_t)) * sample)
        if prev < 0:
            return mean
        var = beta * (1 - a_prev) / (1 - a_t)
        noise = torch.randn(sample.shape, generator=generator, dtype=sample.dtype,
                            device=sample.device)
        return mean + var ** 0.5 * noise


class DDIMScheduler(_Scheduler):
    """DDIM; ``eta = 0`` is deterministic, ``eta = 1`` matches DDPM's variance."""

    def __init__(self, schedule: NoiseSchedule, eta: float = 0.0) -> None:
        super().__init__(schedule)
        self.eta = eta

    def step(self, model_output: torch.Tensor, t: int, sample: torch.Tensor,
             generator: torch.Generator | None = None,
             coarse: torch.Tensor | None = None) -> torch.Tensor:
        prev = self.previous(t)
        tt = torch.full((sample.shape[0],), t, device=sample.device)
        x0, eps = self.schedule.split_prediction(model_output, sample, tt, coarse)
        a_t, a_prev = self._alpha(t), self._alpha(prev)
        if prev < 0:
            return x0
        sigma = self.eta * ((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)) ** 0.5
        out = a_prev ** 0.5 * x0 + (1 - a_prev - sigma ** 2) ** 0.5 * eps
        if sigma > 0:
            out = out + sigma * torch.randn(sample.shape, generator=generator,
                                            dtype=sample.dtype, device=sample.device)
        return out


SCHEDULERS = {"ddpm": DDPMScheduler, "ddim": DDIMScheduler}


def create_scheduler(name: str, schedule: NoiseSchedule, eta: float = 0.0) -> _Scheduler:
    """A sampler by name (``ddpm`` or ``ddim``; ``eta`` applies to DDIM)."""
    if name not in SCHEDULERS:
        raise ValueError(f"unknown scheduler {name!r}; known: {sorted(SCHEDULERS)}")
    return DDIMScheduler(schedule, eta) if name == "ddim" else SCHEDULERS[name](schedule)
