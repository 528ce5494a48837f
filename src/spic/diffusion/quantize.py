"""An int8 onnxruntime graph of the one-step student, shipped beside its float32 weights.

Static quantisation (onnxruntime's QDQ format): int8 weights per output channel, uint8
activations with ranges calibrated on CamVid frames from ``fit`` (train minus the selection
split), prepared exactly as at run time (coarse image by the model's codec at 1/4, bicubic
upsampling, ground-truth maps). Calibration needs the dataset, so the graph is made once
(``spic quantize-decoder``) and shipped as ``model.int8.onnx``; its manifest ties it to the
weights (:mod:`spic.graph_manifest`). It is a different model from the float32 one (outputs
a few grey levels apart): the fast mode's model card says what it scores.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from spic.datasets import Sample, camvid_samples, read_labels, read_rgb
from spic.diffusion.checkpoint import CONFIG_NAME, WEIGHTS_NAME, load_model
from spic.diffusion.data import CoarseSpec, make_coarse, to_model_range
from spic.diffusion.onnx_unet import onnx_bytes
from spic.diffusion.pipeline import SAMPLING_MODES, SamplingConfig
from spic.graph_manifest import verified_graph, write_graph
from spic.image_ops import upscale_to

INT8_FILE = "model.int8.onnx"
SOURCES = (WEIGHTS_NAME, CONFIG_NAME)
#: Calibration frames, evenly spaced over ``fit``.
CALIBRATION_FRAMES = 16


def calibration_samples(data_root: str | Path, frames: int = CALIBRATION_FRAMES) -> list[Sample]:
    """``frames`` CamVid ``fit`` frames (train minus the selection split), evenly spaced."""
    samples = camvid_samples(data_root, "fit")
    return samples[::max(1, len(samples) // frames)][:frames]


def calibration_feeds(data_root: str | Path, t: int, multiple: int,
                      frames: int = CALIBRATION_FRAMES,
                      coarse: CoarseSpec = CoarseSpec()) -> list[dict[str, np.ndarray]]:
    """The U-Net's inputs for the calibration frames at timestep ``t`` (x_t = the upsampled
    coarse image, as the fast mode runs), edge-padded to ``multiple`` as the pipeline does."""
    spec, feeds = coarse, []
    for sample in calibration_samples(data_root, frames):
        rgb, labels = read_rgb(sample.image), read_labels(sample.labels)
        height, width = labels.shape
        up = upscale_to(make_coarse(rgb, spec)[0], width, height, spec.downscale)
        pad = ((0, -height % multiple), (0, -width % multiple))
        up = np.pad(up, (*pad, (0, 0)), mode="edge")
        x = np.ascontiguousarray(to_model_range(up[None]).numpy())
        feeds.append({"x_t": x, "t": np.array([t], np.int64), "coarse": x,
                      "labels": np.pad(labels, pad, mode="edge")[None].astype(np.int64)})
    return feeds


def quantize(graph: bytes, feeds: list[dict[str, np.ndarray]]) -> bytes:
    """``graph`` (float32 ONNX) quantised statically with ranges calibrated on ``feeds``."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quant_pre_process, quantize_static)

    class Feeds(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(feeds)

        def get_next(self) -> dict | None:
            return next(self.items, None)

    with tempfile.TemporaryDirectory() as tmp:
        float32, prepared, int8 = (Path(tmp) / n for n in ("f.onnx", "p.onnx", "q.onnx"))
        float32.write_bytes(graph)
        quiet = logging.getLogger().level
        logging.getLogger().setLevel(logging.ERROR)  # per-tensor notes on norm constants
        try:
            quant_pre_process(str(float32), str(prepared), skip_symbolic_shape=True)
            quantize_static(str(prepared), str(int8), Feeds(), quant_format=QuantFormat.QDQ,
                            per_channel=True, activation_type=QuantType.QUInt8,
                            weight_type=QuantType.QInt8)
        finally:
            logging.getLogger().setLevel(quiet)
        return int8.read_bytes()


def write_int8(folder: str | Path, data_root: str | Path,
               frames: int = CALIBRATION_FRAMES) -> Path:
    """Quantise the fast student in ``folder`` (unguided passes at its ``paper`` start) and
    write ``folder/model.int8.onnx`` with its manifest."""
    import onnxruntime

    model, card = load_model(folder)
    t = SAMPLING_MODES["fast"].t_start
    feeds = calibration_feeds(data_root, t, model.config.pad_multiple, frames, card.coarse)
    with torch.no_grad():
        graph = quantize(onnx_bytes(model), feeds)
    return write_graph(folder, INT8_FILE, graph, SOURCES,
                       calibration={"split": "camvid fit", "frames": len(feeds), "t": t,
                                    "coarse": card.coarse.tag, "maps": "ground truth"},
                       quantisation="onnxruntime static QDQ: int8 weights per channel, uint8 "
                                    "activations, min-max ranges",
                       exporter=f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}")


def calibrated_for(sampling: SamplingConfig) -> bool:
    """Whether the int8 graph's ranges hold for ``sampling``: the fast mode's single pass from
    the coarse image (calibrated there), whatever the seed."""
    return replace(sampling, seed=0) == replace(SAMPLING_MODES["fast"], seed=0)


def shipped_int8(folder: str | Path) -> bytes | None:
    """The int8 graph shipped in ``folder``, checked against its weights; None without one."""
    return verified_graph(folder, INT8_FILE, SOURCES,
                          f"spic quantize-decoder --weights {folder}")
