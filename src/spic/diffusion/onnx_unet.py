"""One unguided U-Net pass as an onnxruntime graph (float32): the fast mode's whole pass.

The one-step student makes a single unguided pass per frame, so map modulations, encoder
and decoder can be one graph, exported from the weights at load (about 2 s; the safetensors
stay the one source) with dynamic batch, height and width. onnxruntime fuses and lays out
that graph better than torch does on a small CPU: on one 2-core host a 480x360 fast-mode
frame took 107 ms against 137 ms (143 against 175 ms in a slower phase) in torch float32
eager, with outputs within one grey level (``benchmarks/bench_scsrdm.py --against float32``,
``docs/results/scsrdm_speed.json``); :mod:`spic.diffusion.precision` decides per CPU.
Guided passes (the quality mode) stay with torch, where the encoder half runs once for both
branches.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import torch
from torch import nn

from spic.diffusion.unet import SCSRDMUNet
from spic.runtime import cpu_session

OPSET = 17


class _Pass(nn.Module):
    def __init__(self, unet: SCSRDMUNet) -> None:
        super().__init__()
        self.unet = unet

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, coarse: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        return self.unet(x_t, t, coarse, labels)


def onnx_bytes(unet: SCSRDMUNet) -> bytes:
    """``unet``'s forward pass (x_t, t, coarse, labels -> output) as a serialised ONNX graph."""
    m = unet.config.pad_multiple
    x = torch.zeros(1, 3, 2 * m, 2 * m)
    args = (x, torch.zeros(1, dtype=torch.long), x, torch.zeros(1, 2 * m, 2 * m, dtype=torch.long))
    image_axes = {0: "batch", 2: "height", 3: "width"}
    buffer = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # shape checks traced as constants; exporter notices
        torch.onnx.export(_Pass(unet).eval(), args, buffer, opset_version=OPSET, dynamo=False,
                          input_names=["x_t", "t", "coarse", "labels"], output_names=["out"],
                          dynamic_axes={"x_t": image_axes, "t": {0: "batch"}, "coarse": image_axes,
                                        "labels": {0: "batch", 1: "height", 2: "width"},
                                        "out": image_axes})
    return buffer.getvalue()


class OnnxUNet:
    """A float32 :class:`SCSRDMUNet` run by onnxruntime, one whole unguided pass per call."""

    def __init__(self, unet: SCSRDMUNet, threads: int | None = None) -> None:
        if unet.dtype != torch.float32:
            raise ValueError(f"onnxruntime runs the float32 U-Net, got {unet.dtype}")
        self.session = cpu_session(onnx_bytes(unet.eval()), threads or torch.get_num_threads())

    def __call__(self, x_t: torch.Tensor, t: torch.Tensor, coarse: torch.Tensor,
                 labels: torch.Tensor) -> torch.Tensor:
        """The U-Net's output for (B, 3, H, W) ``x_t`` and ``coarse``, (B,) ``t``, (B, H, W)
        ``labels``; H and W multiples of the U-Net's ``config.pad_multiple``."""
        def array(tensor: torch.Tensor, dtype: type) -> np.ndarray:
            return np.ascontiguousarray(tensor.detach().cpu().numpy(), dtype=dtype)

        feed = {"x_t": array(x_t, np.float32), "t": array(t, np.int64),
                "coarse": array(coarse, np.float32), "labels": array(labels, np.int64)}
        (out,) = self.session.run(["out"], feed)
        return torch.from_numpy(out).to(x_t.device)
