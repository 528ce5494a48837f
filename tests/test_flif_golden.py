"""FLIF against files written by the real ``flif`` tool (../shared/golden)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from spic.codecs import create_codec
from spic.errors import CodecError


def _manifest(golden_dir):
    return [m for m in json.loads((golden_dir / "manifest.json").read_text()) if m["file"].endswith(".flif")]


def test_reference_label_files_decode_exactly(golden_dir):
    """Interlaced (default) and ``-N -E100`` files: pixels and embedded checksum match."""
    entries = [m for m in _manifest(golden_dir) if "_labels." in m["file"]]
    assert len(entries) >= 8
    codec = create_codec("flif")
    for entry in entries:
        decoded = codec.decode((golden_dir / entry["file"]).read_bytes())
        np.testing.assert_array_equal(decoded, np.array(Image.open(golden_dir / entry["source"])),
                                      err_msg=entry["file"])


def test_reference_rgb_files_decode_exactly(golden_dir):
    """RGB files (YCoCg + Bounds, interlaced) decode to H x W x 3, checksum verified."""
    entries = [m for m in _manifest(golden_dir) if "_rgb." in m["file"]]
    assert entries
    for entry in entries:
        decoded = create_codec("flif").decode((golden_dir / entry["file"]).read_bytes())
        np.testing.assert_array_equal(decoded, np.array(Image.open(golden_dir / entry["source"])),
                                      err_msg=entry["file"])


def test_unsupported_files_are_refused_clearly(golden_dir):
    data = bytearray((golden_dir / "flif" / "0016E5_07959_labels.default.flif").read_bytes())
    data[4] = ord(" ") + 0x20 + 4  # claims RGBA
    with pytest.raises(CodecError, match="RGB"):
        create_codec("flif").decode(bytes(data))


def test_size_parity_with_reference_n_e100(golden_dir):
    """Our default (scanline, 4 learning passes) is within 2% of ``flif -N -E100``."""
    ours, theirs = [], []
    for entry in _manifest(golden_dir):
        if entry["file"].endswith("_labels.N_E100.flif"):
            labels = np.array(Image.open(golden_dir / entry["source"]))
            ours.append(len(create_codec("flif").encode(labels)))
            theirs.append(entry["bytes"])
    assert len(ours) == 4
    assert np.mean(ours) <= 1.02 * np.mean(theirs), (ours, theirs)
