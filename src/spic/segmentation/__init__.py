"""Segmenter registry (``onnx``: any ONNX model + JSON sidecar; ``spic``: the project's own)."""

from spic.registry import Registry
from spic.segmentation.base import Segmenter

SEGMENTERS: Registry[Segmenter] = Registry("segmenter")
SEGMENTERS.register_lazy("onnx", "spic.segmentation.onnx_segmenter:OnnxSegmenter")
SEGMENTERS.register_lazy("spic", "spic.segmentation.spic_segmenter:SpicSegmenter")

__all__ = ["SEGMENTERS", "Segmenter"]
