"""SpicSegNet: the project's small CPU segmentation network (model only, no I/O).

A three-stage encoder (1/4, 1/8, 1/16 resolution) of depthwise-separable residual blocks
with growing dilation, a global-context branch and a two-step decoder that fuses the 1/8
and 1/4 features, optionally refined once more at 1/2 with the stem's first features
(``high_res_channels``: thin poles and signs are one pixel wide at 1/4). Input: N x 3 x H x W
RGB in [0, 1] (normalisation is inside the model, so an ONNX export takes the same input as
../shared/models); output: N x C x H x W logits at the input size. The frame may first be
resized by ``input_scale`` (a cheaper network, trained for it); any H, W with
``input_scale * min(H, W) >= 16`` works (the decoder upsamples to the skip tensors' sizes).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class SpicSegNetConfig:
    """Architecture hyper-parameters (stored as JSON beside the weights)."""

    num_classes: int = 11
    stem_channels: int = 16
    channels: tuple[int, int, int] = (32, 128, 192)   # 1/4, 1/8, 1/16
    blocks: tuple[int, int, int] = (2, 6, 8)
    dilations16: tuple[int, ...] = (1, 2, 4, 8, 1, 2, 4, 8)
    decoder_channels: int = 48
    high_res_channels: int = 0    # > 0: a last decoder step at 1/2 resolution of this width
    input_scale: float = 1.0      # the network runs on the frame resized by this factor
    mean: tuple[float, float, float] = (0.4128, 0.4252, 0.4327)
    std: tuple[float, float, float] = (0.2742, 0.2851, 0.2829)
    label_set: str = "camvid11"
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SpicSegNetConfig":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("channels", "blocks", "dilations16", "mean", "std"):
            if key in known:
                known[key] = tuple(known[key])
        cfg = cls(**known)
        if (len(cfg.channels) != 3 or len(cfg.blocks) != 3 or cfg.num_classes < 1
                or not 0.1 <= cfg.input_scale <= 1.0):
            raise ValueError(f"invalid SpicSegNet config: {data}")
        return cfg


def conv_bn_relu(cin: int, cout: int, k: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class DSResidual(nn.Module):
    """x + BN(pw(ReLU(BN(dw3x3_dilated(x))))), then ReLU."""

    def __init__(self, channels: int, dilation: int = 1) -> None:
        super().__init__()
        self.dw = nn.Conv2d(channels, channels, 3, 1, dilation, dilation, groups=channels,
                            bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.pw = nn.Conv2d(channels, channels, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.dw(x)))
        return F.relu(x + self.bn2(self.pw(y)))


def stage(channels: int, dilations: list[int]) -> nn.Sequential:
    return nn.Sequential(*[DSResidual(channels, d) for d in dilations])


class SpicSegNet(nn.Module):
    """Encoder-decoder segmenter; see the module docstring."""

    def __init__(self, config: SpicSegNetConfig | None = None) -> None:
        super().__init__()
        cfg = config or SpicSegNetConfig()
        self.config = cfg
        c4, c8, c16 = cfg.channels
        b4, b8, b16 = cfg.blocks
        self.register_buffer("mean", torch.tensor(cfg.mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(cfg.std).view(1, 3, 1, 1), persistent=False)
        self.stem = nn.Sequential(conv_bn_relu(3, cfg.stem_channels, stride=2),
                                  conv_bn_relu(cfg.stem_channels, c4, stride=2))
        self.stage4 = stage(c4, [1] * b4)
        self.down8 = conv_bn_relu(c4, c8, stride=2)
        self.stage8 = stage(c8, [1, 2, 4, 1, 2, 4][:b8] + [1] * max(0, b8 - 6))
        self.down16 = conv_bn_relu(c8, c16, stride=2)
        dil = list(cfg.dilations16)[:b16] + [1] * max(0, b16 - len(cfg.dilations16))
        self.stage16 = stage(c16, dil)
        self.context = nn.Sequential(nn.Conv2d(c16, c16, 1, bias=False), nn.BatchNorm2d(c16),
                                     nn.ReLU(inplace=True))
        self.fuse8 = conv_bn_relu(c16 + c8, c8, k=1)
        self.refine8 = DSResidual(c8, 1)
        self.reduce8 = conv_bn_relu(c8, c4, k=1)
        self.fuse4 = conv_bn_relu(2 * c4, cfg.decoder_channels, k=1)
        self.refine4 = DSResidual(cfg.decoder_channels, 1)
        head = cfg.decoder_channels
        if cfg.high_res_channels:
            head = cfg.high_res_channels
            self.fuse2 = conv_bn_relu(cfg.decoder_channels + cfg.stem_channels, head, k=1)
            self.refine2 = DSResidual(head, 1)
        self.classifier = nn.Conv2d(head, cfg.num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        x = (x - self.mean) / self.std
        if self.config.input_scale != 1.0:
            x = F.interpolate(x, scale_factor=self.config.input_scale, mode="bilinear",
                              align_corners=False, recompute_scale_factor=False)
        if self.config.high_res_channels:
            f2 = self.stem[0](x)
            f4 = self.stage4(self.stem[1](f2))
        else:  # the same graph as before the option existed (the shipped ONNX file)
            f4 = self.stage4(self.stem(x))
        f8 = self.stage8(self.down8(f4))
        f16 = self.stage16(self.down16(f8))
        f16 = f16 + self.context(f16.mean(dim=(2, 3), keepdim=True))
        up = F.interpolate(f16, size=f8.shape[-2:], mode="bilinear", align_corners=False)
        d8 = self.reduce8(self.refine8(self.fuse8(torch.cat([up, f8], 1))))
        up = F.interpolate(d8, size=f4.shape[-2:], mode="bilinear", align_corners=False)
        d = self.refine4(self.fuse4(torch.cat([up, f4], 1)))
        if self.config.high_res_channels:
            up = F.interpolate(d, size=f2.shape[-2:], mode="bilinear", align_corners=False)
            d = self.refine2(self.fuse2(torch.cat([up, f2], 1)))
        logits = self.classifier(d)
        return F.interpolate(logits, size=size, mode="bilinear", align_corners=False)
