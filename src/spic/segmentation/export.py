"""Export SpicSegNet to ONNX: with a JSON sidecar the ``onnx`` backend (and ../shared tools)
read, or as the graph shipped inside a weights folder, hash-checked against its weights."""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import torch

from spic.graph_manifest import StaleGraphError, verified_graph, write_graph
from spic.labelsets import get_label_set
from spic.segmentation.checkpoint import CONFIG_FILE, MODEL_FILE, CheckpointError, load_model
from spic.segmentation.spic_net import SpicSegNet

DEFAULT_WEIGHTS = Path(__file__).resolve().parents[1] / "weights" / "segmenter"
#: SpicSegNet downsamples 16x (after its input scale); smaller frames have nothing left.
MIN_SIDE = 32

OPSET = 17
#: The graph shipped beside ``model.safetensors`` (start-up then skips the export) and the
#: manifest tying it to the exact weights and config it was exported from.
ONNX_FILE = "model.onnx"
SOURCES = (MODEL_FILE, CONFIG_FILE)


def sidecar_for(model_config: dict, onnx_name: str) -> dict:
    """The sidecar (format of ../shared/models/*.json) describing an exported SpicSegNet."""
    label_set = get_label_set(model_config["label_set"])
    return {
        "name": "SpicSegNet (spic embedded segmenter)",
        "file": onnx_name,
        "format": {"onnx_opset": OPSET, "exporter": f"torch {torch.__version__} torch.onnx.export"},
        "label_set": label_set.id,
        "num_output_channels": model_config["num_classes"],
        "class_names": list(label_set.names),
        "input": {
            "name": "image", "dtype": "float32", "layout": "NCHW", "channel_order": "RGB",
            "value_range": [0.0, 1.0],
            "normalisation": f"inside the graph: (x - {model_config['mean']}) / {model_config['std']}",
            "size_constraint": {"multiple_of": 1, "min_height": MIN_SIDE, "min_width": MIN_SIDE,
                                "rule": f"any H, W >= {MIN_SIDE}; the native frame size is best"},
        },
        "output": {"name": "logits", "dtype": "float32", "layout": "NCHW",
                   "semantics": "raw class scores at the input resolution"},
        "model_config": model_config,
    }


def onnx_bytes(model: SpicSegNet, example_size: tuple[int, int] = (480, 360)) -> bytes:
    """The model as a serialised ONNX graph (dynamic batch, height and width)."""
    x = torch.rand(1, 3, example_size[1], example_size[0])
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(model.eval(), (x,), buffer, input_names=["image"],
                          output_names=["logits"], opset_version=OPSET, dynamo=False,
                          dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"},
                                        "logits": {0: "batch", 2: "height", 3: "width"}})
    return buffer.getvalue()


def export_onnx(output: str | Path, weights: str | Path | None = None) -> tuple[Path, Path]:
    """Write ``output`` (.onnx) and its ``.json`` sidecar for the weights folder given."""
    output = Path(output)
    model = load_model(weights or DEFAULT_WEIGHTS)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(onnx_bytes(model))
    sidecar = output.with_suffix(".json")
    sidecar.write_text(json.dumps(sidecar_for(model.config.to_dict(), output.name), indent=1) + "\n")
    return output, sidecar


def write_shipped_onnx(folder: str | Path) -> Path:
    """Export the weights in ``folder`` to ``folder/model.onnx`` with its hash manifest."""
    return write_graph(folder, ONNX_FILE, onnx_bytes(load_model(folder)), SOURCES, opset=OPSET,
                       exporter=f"torch {torch.__version__} torch.onnx.export")


def shipped_onnx(folder: str | Path) -> bytes | None:
    """The ONNX graph shipped in ``folder`` after checking it was exported from exactly these
    weights and config; None when the folder ships none (it is then exported at load)."""
    try:
        return verified_graph(folder, ONNX_FILE, SOURCES,
                              f"spic export-segmenter --weights {folder} --as-weights -o {folder}")
    except StaleGraphError as exc:
        raise CheckpointError(str(exc)) from exc
