"""Our FLIF files decode exactly with the reference decoder (flif-wasm, installed by setup)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from spic.codecs import create_codec
from spic.errors import CodecError
from flif_reference import FLIF_WASM, flif_wasm_command, reference_decode


@pytest.fixture(scope="module")
def flif_wasm():
    if flif_wasm_command() is None:
        pytest.skip(f"node or flif-wasm missing ({FLIF_WASM}); run the setup script "
                    "(npm install --prefix .cache/node flif-wasm@1.0.8)")


def _check(labels: np.ndarray, interlaced: int) -> None:
    data = create_codec("flif", interlaced=interlaced).encode(labels)
    np.testing.assert_array_equal(reference_decode(data), labels)


@pytest.mark.parametrize("interlaced", [0, 1])
def test_golden_label_maps(flif_wasm, golden_dir, interlaced):
    sources = sorted((golden_dir / "src").glob("*_labels*.png"))
    assert sources
    for path in sources:
        _check(np.array(Image.open(path)), interlaced)


def test_fifty_camvid_label_maps(flif_wasm, camvid_dir):
    paths = sorted((camvid_dir / "trainannot").glob("*.png"))[::7][:50]
    assert len(paths) == 50
    for i, path in enumerate(paths):
        _check(np.array(Image.open(path)), interlaced=i % 5 == 4)  # every fifth one interlaced


def test_synthetic_edge_cases(flif_wasm):
    rng = np.random.default_rng(3)
    for image in (rng.integers(0, 256, (23, 31), dtype=np.uint8),
                  rng.choice(np.array([0, 9, 200], np.uint8), (40, 17)),
                  np.full((8, 8), 77, np.uint8)):
        _check(image, 0)
        _check(image, 1)


@pytest.mark.parametrize("flags", [(), ("-N",)])
def test_reference_rgb_files_decode(flif_wasm, golden_dir, flags):
    """RGB crops written by the reference encoder (ChannelCompact/YCoCg/Bounds) decode exactly."""
    from flif_reference import reference_encode

    rgb = np.array(Image.open(sorted((golden_dir / "src").glob("*_rgb*.png"))[0]))
    rng = np.random.default_rng(11)
    for image in (rgb[100:164, 200:264], rgb[::3, ::3], rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)):
        data = reference_encode(np.ascontiguousarray(image), *flags)
        np.testing.assert_array_equal(create_codec("flif").decode(data), image)


def test_reference_gray_edge_cases_decode(flif_wasm):
    """Tiny files without checksum (refused unless require_checksum=False), Bounds instead of
    ChannelCompact, effort 0 (no tree)."""
    from flif_reference import reference_encode

    rng = np.random.default_rng(4)
    cases = (np.zeros((1, 1), np.uint8), np.full((3, 2), 9, np.uint8),
             rng.integers(0, 256, (5, 7), dtype=np.uint8), rng.integers(100, 120, (40, 30), dtype=np.uint8),
             rng.choice(np.array([0, 7, 30, 255], np.uint8), (33, 65)))
    unchecked = 0
    for image, flags in zip(cases, ((), ("-N",), ("-E0",), ("-N", "-E100"), ())):
        data = reference_encode(image, *flags)
        codec = create_codec("flif")
        np.testing.assert_array_equal(codec.decode(data, require_checksum=False), image,
                                      err_msg=str(flags))
        try:
            np.testing.assert_array_equal(codec.decode(data), image, err_msg=str(flags))
        except CodecError as exc:  # by default a file must carry its checksum
            assert "no checksum" in str(exc)
            unchecked += 1
    assert unchecked > 0
