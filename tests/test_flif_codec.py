"""FLIF codec: exact round trips on real and synthetic maps, options, CLI, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from spic.cli import main as cli_main
from spic.codecs import create_codec
from spic.errors import CodecError, ImageTooLargeError


def _label_maps(camvid_dir, count):
    paths = sorted((camvid_dir / "valannot").glob("*.png"))[:count]
    return [np.array(Image.open(p)) for p in paths]


@pytest.mark.parametrize("interlaced", [0, 1])
def test_camvid_maps_round_trip(camvid_dir, interlaced):
    codec = create_codec("flif", interlaced=interlaced)
    for labels in _label_maps(camvid_dir, 5):
        data = codec.encode(labels)
        assert data[:4] == b"FLIF" and data[4] == (0x31 if not interlaced else 0x41)
        out = codec.decode(data)
        assert out.dtype == np.uint8 and out.shape == labels.shape
        np.testing.assert_array_equal(out, labels)
        assert 8 * len(data) / labels.size < 0.3  # label maps compress to well under 0.3 bpp


def _synthetic():
    rng = np.random.default_rng(7)
    yield np.zeros((1, 1), np.uint8)
    yield np.full((5, 9), 200, np.uint8)                       # constant plane
    yield rng.integers(0, 256, (37, 53), dtype=np.uint8)       # noise: no transform applies
    yield rng.integers(0, 256, (1, 300), dtype=np.uint8)       # single row
    yield rng.integers(0, 256, (300, 1), dtype=np.uint8)       # single column
    yield np.arange(256, dtype=np.uint8).reshape(16, 16)       # every value once
    yield rng.choice(np.array([3, 40, 41, 250], np.uint8), (64, 48))   # few values with gaps
    yield rng.integers(17, 90, (70, 33), dtype=np.uint8)       # bounded range
    yield (np.indices((120, 160)).sum(0) // 9 % 12).astype(np.uint8)  # stripes


@pytest.mark.parametrize("interlaced", [0, 1])
def test_synthetic_round_trip(interlaced):
    codec = create_codec("flif", interlaced=interlaced)
    for image in _synthetic():
        np.testing.assert_array_equal(codec.decode(codec.encode(image)), image, err_msg=str(image.shape))


def test_effort_and_repeats_options_change_the_stream(camvid_dir):
    labels = _label_maps(camvid_dir, 1)[0]
    best = create_codec("flif").encode(labels)
    fast = create_codec("flif", effort=0).encode(labels)
    assert len(best) < len(fast)
    assert create_codec("flif", repeats=1).encode(labels) != best
    for data in (best, fast):
        np.testing.assert_array_equal(create_codec("flif").decode(data), labels)


def test_bad_options_and_inputs():
    with pytest.raises(CodecError):
        create_codec("flif", effort=101)
    with pytest.raises(CodecError):
        create_codec("flif", interlaced="maybe")
    codec = create_codec("flif")
    with pytest.raises(CodecError):
        codec.encode(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(CodecError):
        codec.encode(np.zeros((4, 4), np.uint16))
    with pytest.raises(CodecError):
        codec.decode(b"PNG not flif")
    with pytest.raises(CodecError):
        codec.decode("FLIF")  # not bytes


def test_declared_size_checked_before_decoding():
    data = create_codec("flif").encode(np.zeros((300, 400), np.uint8))
    with pytest.raises(ImageTooLargeError):
        create_codec("flif").decode(data, max_pixels=400 * 300 - 1)
    # forged headers claiming 2^20 x 2^20 and 2^31 x 2^31 pixels are refused without allocating
    forged = b"FLIF\x31\x31" + bytes([0xBF, 0xFF, 0x7F]) * 2 + data[10:]
    with pytest.raises(ImageTooLargeError):
        create_codec("flif").decode(forged)
    forged = b"FLIF\x31\x31" + bytes([0x87, 0xFF, 0xFF, 0xFF, 0x7F]) * 2 + data[10:]
    with pytest.raises(CodecError, match="too large"):
        create_codec("flif").decode(forged)


def test_cli_encode_decode(tmp_path, camvid_dir):
    labels = _label_maps(camvid_dir, 1)[0]
    src, flif, back = tmp_path / "l.png", tmp_path / "l.flif", tmp_path / "back.png"
    Image.fromarray(labels).save(src)
    assert cli_main(["codec", "encode", "--codec", "flif", "-o", "interlaced=0", "-o", "effort=100",
                     str(src), str(flif)]) == 0
    assert cli_main(["codec", "decode", str(flif), str(back)]) == 0
    np.testing.assert_array_equal(np.array(Image.open(back)), labels)


def test_concurrent_calls_from_two_threads(camvid_dir):
    """The native calls release the GIL; two threads coding at once stay exact."""
    from concurrent.futures import ThreadPoolExecutor

    maps = _label_maps(camvid_dir, 4)
    codec = create_codec("flif")
    expected = [codec.encode(m) for m in maps]
    with ThreadPoolExecutor(max_workers=2) as pool:
        encoded = list(pool.map(codec.encode, maps * 2))
        decoded = list(pool.map(codec.decode, encoded))
    assert encoded == expected * 2
    for out, labels in zip(decoded, maps * 2):
        np.testing.assert_array_equal(out, labels)


def test_checksum_is_required_so_no_mutant_passes_as_a_good_map(camvid_dir):
    """Two flipped bits can clear FLIF's checksum-present flag (read after the pixels): such
    files decode to a wrong map unless the checksum is required, as it is by default."""
    labels = np.array(Image.open(sorted((camvid_dir / "valannot").glob("*.png"))[0]))
    codec = create_codec("flif")
    data = codec.encode(labels)
    rng = np.random.default_rng(0)
    wrong_without_check = 0
    for _ in range(600):
        mutant = bytearray(data)
        for pos in rng.integers(10, len(data), 2):
            mutant[pos] ^= 1 << int(rng.integers(0, 8))
        try:  # requiring the checksum only adds a refusal: the rest fail either way
            out = codec.decode(bytes(mutant), require_checksum=False)
        except CodecError:
            continue
        if (out != labels).any():
            wrong_without_check += 1
            with pytest.raises(CodecError, match="no checksum"):
                codec.decode(bytes(mutant))
        else:
            np.testing.assert_array_equal(codec.decode(bytes(mutant)), labels)
    assert wrong_without_check > 0  # the flag really can be cleared
