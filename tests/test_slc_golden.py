"""SLC test vectors (tests/data/slc): exact bytes from the encoder, exact maps from the decoder."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spic.codecs import create_codec

GOLDEN = Path(__file__).resolve().parent / "data" / "slc"
MANIFEST = json.loads((GOLDEN / "manifest.json").read_text())


def _map(name: str | None) -> np.ndarray | None:
    return None if name is None else np.array(Image.open(GOLDEN / name))


@pytest.mark.parametrize("entry", MANIFEST, ids=[m["file"] for m in MANIFEST])
def test_vector(entry):
    data = (GOLDEN / entry["file"]).read_bytes()
    assert len(data) == entry["bytes"] and hashlib.sha256(data).hexdigest() == entry["sha256"]
    labels, reference = _map(entry["source"]), _map(entry["reference"])
    codec = create_codec("slc")
    np.testing.assert_array_equal(codec.decode(data, reference=reference), labels)
    assert codec.encode(labels, reference=reference) == data, "the encoder's output changed: bump the version"


def test_vectors_cover_both_modes():
    modes = {(GOLDEN / m["file"]).read_bytes()[4] for m in MANIFEST}
    assert modes == {0, 1} and len(MANIFEST) >= 6
