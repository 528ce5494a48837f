"""The SCSRDM denoiser: a small U-Net run at 1/4 resolution behind a pixel-unshuffle stem.

Input: the noisy image ``x_t`` concatenated with the upsampled coarse image (6 channels),
the timestep, and the semantic map (labels; values >= ``num_classes`` are void and
become an all-zero one-hot vector, which is also the "unconditional" map used for
classifier-free guidance). Encoder ResBlocks are plain (GroupNorm + timestep
scale-shift); every ResBlock of the bottleneck and decoder normalises with SPADE.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

#: SPADE's per-pixel (gamma, beta) for one norm layer.
Modulation = tuple[torch.Tensor, torch.Tensor]
#: Every SPADE layer's modulation, computed once per semantic map (see ``semantic_modulations``).
Modulations = dict[nn.Module, Modulation]


@dataclass
class UNetConfig:
    """Architecture of :class:`SCSRDMUNet` (stored in checkpoints as JSON)."""

    num_classes: int = 11
    base_channels: int = 32
    channel_mult: tuple[int, ...] = (1, 2, 4)
    num_res_blocks: int = 1
    attention_levels: tuple[int, ...] = ()  # indices into channel_mult with self-attention
    mid_attention: bool = True  # self-attention in the bottleneck
    unshuffle: int = 4
    spade_hidden: int = 32
    time_embed_mult: int = 2
    dropout: float = 0.0
    refine_channels: int = 0  # > 0: a full-resolution head after the pixel shuffle (see Refine)
    spade_kernel: int = 3  # SPADE's gamma/beta convolutions (1: see pointwise_spade)

    @property
    def pad_multiple(self) -> int:
        """Frame sizes must be multiples of this (the pipeline pads)."""
        return self.unshuffle * 2 ** (len(self.channel_mult) - 1)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channel_mult"] = list(self.channel_mult)
        d["attention_levels"] = list(self.attention_levels)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "UNetConfig":
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown U-Net config keys: {sorted(unknown)}")
        d = dict(d)
        for key in ("channel_mult", "attention_levels"):
            if key in d:
                d[key] = tuple(int(v) for v in d[key])
        return cls(**d)


def _groups(channels: int) -> int:
    for g in (32, 16, 8, 4, 2, 1):
        if channels % g == 0 and channels // g >= 2:
            return g
    return 1


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding of (possibly fractional) timesteps, shape (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32,
                                                           device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=1)
    return F.pad(emb, (0, dim % 2))


def one_hot_labels(labels: torch.Tensor, num_classes: int,
                   dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(B, H, W) integer labels -> (B, C, H, W) one-hot; void (any value outside 0..C-1) is zeros.

    One comparison against the class ids, written straight into the NCHW layout (no
    scatter, no permute: this runs at full resolution once per frame on the hot path).
    """
    classes = torch.arange(num_classes, device=labels.device).view(1, -1, 1, 1)
    return (labels.long()[:, None] == classes).to(dtype)


def class_fractions(labels: torch.Tensor, num_classes: int, factor: int) -> torch.Tensor:
    """(B, H, W) labels -> (B, C, H/factor, W/factor): each class's share of every
    ``factor`` x ``factor`` block (void counts for no class), i.e. the one-hot map
    area-averaged, computed by counting (one ``bincount``) without a full-resolution one-hot.
    H and W must be multiples of ``factor``."""
    b, height, width = labels.shape
    if height % factor or width % factor:
        raise ValueError(f"map {width}x{height} is not a multiple of {factor}")
    if torch.onnx.is_in_onnx_export():  # ONNX has no bincount: the same shares by pooling
        return F.avg_pool2d(one_hot_labels(labels, num_classes), factor)
    h, w, bins = height // factor, width // factor, num_classes + 1  # the last bin: void
    classes = torch.where((labels >= 0) & (labels < num_classes), labels.long(), num_classes)
    block = torch.arange(b * h * w, device=labels.device).view(b, h, 1, w, 1) * bins
    index = (block + classes.view(b, h, factor, w, factor)).flatten()
    counts = torch.bincount(index, minlength=b * h * w * bins).view(b, h, w, bins)
    return (counts[..., :num_classes].float() / factor ** 2).permute(0, 3, 1, 2)


class SPADE(nn.Module):
    """Parameter-free GroupNorm, then per-pixel gamma/beta predicted from the label map.

    The map arrives as a one-hot tensor already at this block's resolution (area-pooled,
    so each value is a class's share of the pixel's footprint at full resolution).
    """

    def __init__(self, channels: int, num_classes: int, hidden: int, level: int,
                 kernel: int = 3) -> None:
        super().__init__()
        self.level = level  # U-Net level: the map is pooled by 2**level below the stem
        self.norm = nn.GroupNorm(_groups(channels), channels, affine=False)
        self.shared = nn.Sequential(nn.Conv2d(num_classes, hidden, 3, padding=1), nn.SiLU())
        self.gamma = nn.Conv2d(hidden, channels, kernel, padding=kernel // 2)
        self.beta = nn.Conv2d(hidden, channels, kernel, padding=kernel // 2)

    def modulation(self, seg: torch.Tensor) -> Modulation:
        """(gamma, beta) from the map; they depend on the map only, not on x_t or t."""
        h = self.shared(seg)
        return self.gamma(h), self.beta(h)

    def forward(self, x: torch.Tensor, modulation: Modulation) -> torch.Tensor:
        gamma, beta = modulation
        return self.norm(x) * (1 + gamma) + beta


class ResBlock(nn.Module):
    """Two 3x3 convs; the timestep embedding scale-shifts the second norm.

    With ``num_classes`` set, both norms are SPADE on the semantic map.
    """

    def __init__(self, cin: int, cout: int, emb_dim: int, num_classes: int | None = None,
                 spade_hidden: int = 32, dropout: float = 0.0, level: int = 0,
                 spade_kernel: int = 3) -> None:
        super().__init__()
        self.spade = num_classes is not None
        if self.spade:
            self.norm1 = SPADE(cin, num_classes, spade_hidden, level, spade_kernel)
            self.norm2 = SPADE(cout, num_classes, spade_hidden, level, spade_kernel)
        else:
            self.norm1 = nn.GroupNorm(_groups(cin), cin)
            self.norm2 = nn.GroupNorm(_groups(cout), cout)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * cout)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1)

    def _norm(self, norm: nn.Module, x: torch.Tensor, mods: Modulations | None) -> torch.Tensor:
        return norm(x, mods[norm]) if self.spade else norm(x)

    def forward(self, x: torch.Tensor, emb: torch.Tensor, mods: Modulations | None) -> torch.Tensor:
        h = self.conv1(F.silu(self._norm(self.norm1, x, mods)))
        scale, shift = self.emb(F.silu(emb))[:, :, None, None].chunk(2, dim=1)
        h = self._norm(self.norm2, h, mods) * (1 + scale) + shift
        h = self.conv2(self.dropout(F.silu(h)))
        return self.skip(x) + h


class SelfAttention(nn.Module):
    """Multi-head self-attention over all positions (used at the lowest resolutions)."""

    def __init__(self, channels: int, heads: int = 4) -> None:
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(_groups(channels), channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, self.heads, c // self.heads, h * w).unbind(1)
        out = F.scaled_dot_product_attention(q.transpose(-1, -2), k.transpose(-1, -2),
                                             v.transpose(-1, -2))
        return x + self.proj(out.transpose(-1, -2).reshape(b, c, h, w))


class Refine(nn.Module):
    """Full-resolution head: sees the pixel-shuffled output, the coarse image and the one-hot map.

    Every pixel of the U-Net's output comes from a 1/4-resolution feature through the pixel
    shuffle, so neighbours across a 4x4 block edge are predicted by different channels and
    class edges are placed at 1/4-resolution precision. Two 3x3 convolutions at full
    resolution let the model smooth block seams and follow the map's edges exactly. The last
    convolution starts at zero: an untrained head is the identity.
    """

    def __init__(self, num_classes: int, channels: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.conv1 = nn.Conv2d(3 + 3 + num_classes, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, 3, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, out: torch.Tensor, coarse: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        onehot = one_hot_labels(labels, self.num_classes, out.dtype)
        h = F.silu(self.conv1(torch.cat([out, coarse.to(out.dtype), onehot], dim=1)))
        return out + self.conv2(h)


@dataclass
class Encoded:
    """The map-independent half of a forward pass: timestep embedding, skips, stem input."""

    emb: torch.Tensor
    skips: list[torch.Tensor]
    stem_in: torch.Tensor

    def repeat(self, n: int) -> "Encoded":
        """The same features for ``n`` copies of the batch (e.g. guidance's two branches)."""
        return Encoded(self.emb.repeat(n, 1), [h.repeat(n, 1, 1, 1) for h in self.skips],
                       self.stem_in.repeat(n, 1, 1, 1))


class SCSRDMUNet(nn.Module):
    """Semantically-conditioned super-resolution denoiser (see the module docstring)."""

    def __init__(self, config: UNetConfig) -> None:
        super().__init__()
        if (config.num_classes < 1 or config.base_channels < 4 or not config.channel_mult
                or config.spade_kernel not in (1, 3)):
            raise ValueError(f"invalid U-Net config: {config}")
        self.config = c = config
        emb_dim = c.base_channels * c.time_embed_mult
        self.time_mlp = nn.Sequential(nn.Linear(c.base_channels, emb_dim), nn.SiLU(),
                                      nn.Linear(emb_dim, emb_dim))
        r = c.unshuffle
        chans = [c.base_channels * m for m in c.channel_mult]
        self.stem = nn.Conv2d(6 * r * r, chans[0], 3, padding=1)

        def block(cin: int, cout: int, spade: bool, level: int) -> ResBlock:
            return ResBlock(cin, cout, emb_dim, c.num_classes if spade else None,
                            c.spade_hidden, c.dropout, level, c.spade_kernel)

        self.down = nn.ModuleList()
        skips = [chans[0]]
        ch = chans[0]
        for level, cout in enumerate(chans):
            for _ in range(c.num_res_blocks):
                layers = nn.ModuleList([block(ch, cout, False, level)])
                if level in c.attention_levels:
                    layers.append(SelfAttention(cout))
                self.down.append(layers)
                ch = cout
                skips.append(ch)
            if level < len(chans) - 1:
                self.down.append(nn.ModuleList([nn.Conv2d(ch, ch, 3, stride=2, padding=1)]))
                skips.append(ch)
        self.mid1 = block(ch, ch, True, len(chans) - 1)
        self.mid_attn = SelfAttention(ch) if c.mid_attention else None
        self.mid2 = block(ch, ch, True, len(chans) - 1)
        self.up = nn.ModuleList()
        for level in reversed(range(len(chans))):
            cout = chans[level]
            for i in range(c.num_res_blocks + 1):
                layers = nn.ModuleList([block(ch + skips.pop(), cout, True, level)])
                ch = cout
                if level in c.attention_levels:
                    layers.append(SelfAttention(cout))
                if level > 0 and i == c.num_res_blocks:
                    layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
                    layers.append(nn.Conv2d(ch, ch, 3, padding=1))
                self.up.append(layers)
        self.out_norm = SPADE(ch, c.num_classes, c.spade_hidden, 0, c.spade_kernel)
        # The head also sees the unshuffled input (x_t, coarse): 48 noise values per 1/4-res
        # position cannot pass through a narrower top level, so this long skip carries them.
        self.out = nn.Conv2d(ch + 6 * r * r, 3 * r * r, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.refine = Refine(c.num_classes, c.refine_channels) if c.refine_channels else None

    @property
    def dtype(self) -> torch.dtype:
        """The weights' dtype: inputs are cast to it (float32 unless converted for inference)."""
        return self.stem.weight.dtype

    def semantic_modulations(self, labels: torch.Tensor) -> Modulations:
        """SPADE's (gamma, beta) for every layer, from (B, H, W) labels.

        The one-hot map is area-pooled to each level's resolution (the U-Net runs at
        1/``unshuffle`` and below; H and W are multiples of ``config.pad_multiple``, so
        each level is exactly the 2x2 mean of the one above). Samplers compute this once per
        frame and pass it to every step: it does not depend on x_t or t.
        """
        c = self.config
        pyramid = [class_fractions(labels, c.num_classes, c.unshuffle).to(self.dtype)]
        for _ in c.channel_mult[1:]:
            pyramid.append(F.avg_pool2d(pyramid[-1], 2))
        return {m: m.modulation(pyramid[m.level]) for m in self.modules() if isinstance(m, SPADE)}

    def _check(self, x_t: torch.Tensor, coarse: torch.Tensor) -> None:
        m = self.config.pad_multiple
        height, width = x_t.shape[-2:]
        if height % m or width % m:
            raise ValueError(f"input {width}x{height} is not a multiple of {m}")
        if coarse.shape != x_t.shape:
            raise ValueError(f"shape mismatch: x_t {tuple(x_t.shape)}, coarse {tuple(coarse.shape)}")

    def encode(self, x_t: torch.Tensor, t: torch.Tensor, coarse: torch.Tensor) -> Encoded:
        """The encoder half, which never sees the map: run once per step even under guidance."""
        self._check(x_t, coarse)
        c = self.config
        b = x_t.shape[0]
        t_emb = timestep_embedding(t.expand(b) if t.dim() == 0 else t, c.base_channels)
        emb = self.time_mlp(t_emb.to(self.dtype))
        stem_in = F.pixel_unshuffle(torch.cat([x_t, coarse], dim=1).to(self.dtype), c.unshuffle)
        h = self.stem(stem_in)
        hs = [h]
        for layers in self.down:
            for layer in layers:
                h = layer(h, emb, None) if isinstance(layer, ResBlock) else layer(h)
            hs.append(h)
        return Encoded(emb, hs, stem_in)

    def decode(self, enc: Encoded, coarse: torch.Tensor, labels: torch.Tensor,
               mods: Modulations) -> torch.Tensor:
        """Bottleneck and decoder (SPADE on the map) from :meth:`encode`'s features."""
        c = self.config
        emb, hs = enc.emb, list(enc.skips)
        h = self.mid1(hs[-1], emb, mods)
        if self.mid_attn is not None:
            h = self.mid_attn(h)
        h = self.mid2(h, emb, mods)
        for layers in self.up:
            h = torch.cat([h, hs.pop()], dim=1)
            for layer in layers:
                h = layer(h, emb, mods) if isinstance(layer, ResBlock) else layer(h)
        h = F.silu(self.out_norm(h, mods[self.out_norm]))
        out = F.pixel_shuffle(self.out(torch.cat([h, enc.stem_in], dim=1)), c.unshuffle)
        return out if self.refine is None else self.refine(out, coarse, labels)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, coarse: torch.Tensor,
                labels: torch.Tensor, modulations: Modulations | None = None) -> torch.Tensor:
        """``x_t``, ``coarse``: (B, 3, H, W) in [-1, 1]; ``t``: (B,); ``labels``: (B, H, W).

        H and W must be multiples of ``config.pad_multiple``. ``modulations``: the result of
        :meth:`semantic_modulations` for these labels, when the caller has it. Returns (B, 3, H, W).
        """
        b, _, height, width = x_t.shape
        if labels.shape != (b, height, width):
            raise ValueError(f"shape mismatch: x_t {tuple(x_t.shape)}, labels {tuple(labels.shape)}")
        enc = self.encode(x_t, t, coarse)
        mods = self.semantic_modulations(labels) if modulations is None else modulations
        return self.decode(enc, coarse, labels, mods)


def pointwise_spade(unet: SCSRDMUNet) -> SCSRDMUNet:
    """A copy of ``unet`` whose SPADE gamma/beta convolutions are 1x1, each weighted by the
    sum of the 3x3 kernel's taps.

    Their input (the pooled map through one 3x3 convolution) is constant inside class
    regions, where both give the same modulation; they differ near class edges and frame
    borders, so a converted model is fine-tuned (``spic distill-decoder --spade-kernel 1``).
    The 1x1 convolutions cost a ninth: the fast mode's pass took 13-16 % less time on a
    2-core host (interleaved, ``docs/results/scsrdm_speed.json``).
    """
    if unet.config.spade_kernel != 3:
        raise ValueError(f"expected 3x3 SPADE modulations, got {unet.config.spade_kernel}")
    out = SCSRDMUNet(replace(unet.config, spade_kernel=1)).to(unet.stem.weight.device)
    state = unet.state_dict()
    for name, module in unet.named_modules():
        if isinstance(module, SPADE):
            for conv in ("gamma", "beta"):
                key = f"{name}.{conv}.weight"
                state[key] = state[key].sum(dim=(2, 3), keepdim=True)
    out.load_state_dict(state)
    return out
