"""The prepared GPU path (tools/device), run here on the CPU: CamVid packed to travel,
unpacked into the layout the trainer reads, and one short training run packed for the trip back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from spic.datasets import camvid_samples, read_labels, read_rgb

REPO = Path(__file__).resolve().parents[1]
DEVICE = REPO / "tools" / "device"


@pytest.fixture(scope="module")
def pack(camvid_dir, models_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pack") / ".device"
    subprocess.run([sys.executable, str(DEVICE / "camvid_pack.py"), "pack", "--camvid",
                    str(camvid_dir), "--models", str(models_dir), "--out", str(out)], check=True)
    return out


def test_the_pack_fits_a_call_and_unpacks_to_the_same_frames(pack, camvid_dir, tmp_path):
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["frames"] == len(camvid_samples(camvid_dir, "train"))
    assert manifest["travel_bytes"] < 0.95 * 64 * 2**20
    dest = tmp_path / "there"
    subprocess.run([sys.executable, str(DEVICE / "camvid_pack.py"), "unpack", str(dest),
                    "--pack", str(pack)], check=True)
    for split in ("fit", "selection"):
        here, there = camvid_samples(camvid_dir, split), camvid_samples(dest / "camvid", split)
        assert [s.name for s in there] == [s.name for s in here]
    original, copy = here[0], there[0]
    assert np.array_equal(read_labels(copy.labels), read_labels(original.labels))
    error = read_rgb(copy.image).astype(float) - read_rgb(original.image)
    assert 10 * np.log10(255 ** 2 / np.mean(error ** 2)) > 33  # JPEG q90
    assert (dest / "models" / "espnet_camvid.onnx").exists()


def test_the_training_script_trains_on_the_pack_and_packs_the_run(pack, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, OUT=str(out), DEVICE="cpu", MINUTES="0.1", WORK=str(tmp_path / "work"),
               PACK=str(pack), PYTHON=sys.executable)
    tiny = {"stem_channels": 8, "channels": [8, 16, 16], "blocks": [1, 1, 1],
            "decoder_channels": 8, "input_scale": 0.5}
    subprocess.run(["bash", str(DEVICE / "train_segmenter.sh"), "dry", "--max-train", "4",
                    "--max-val", "2", "--eval-every", "5", "--model", json.dumps(tiny)],
                   env=env, check=True, capture_output=True)
    with tarfile.open(out / "dry.tar") as tar:
        names = set(tar.getnames())
        config = json.load(tar.extractfile("dry/train_config.json"))
    assert {"dry/best/model.safetensors", "dry/best/config.json", "dry/history.json",
            "dry/train.log"} <= names
    assert not any(n.startswith("dry/last") for n in names)  # optimiser state stays there
    assert config["device"] == "cpu" and config["teachers"][0].endswith("espnet_camvid.onnx")
