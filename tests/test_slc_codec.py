"""SLC codec: exact round trips (intra and inter), reference errors, sizes, bad input."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from spic.codecs import create_codec
from spic.codecs.slc import ReferenceMapError, SlcCodec, read_header, reference_id
from spic.datasets import load_samples, read_labels
from spic.errors import CodecError, ImageTooLargeError
from spic.synthetic import synthetic_clip


def _camvid_maps(camvid_dir, split: str, count: int) -> list[np.ndarray]:
    samples = load_samples(f"camvid:{camvid_dir}", split)
    step = max(1, len(samples) // count)
    return [read_labels(s.labels) for s in samples[::step][:count]]


def _edge_cases():
    rng = np.random.default_rng(11)
    yield np.zeros((1, 1), np.uint8)
    yield np.full((5, 9), 200, np.uint8)                              # constant: palette only
    yield rng.integers(0, 256, (37, 53), dtype=np.uint8)              # noise, all 256 labels
    yield rng.integers(0, 3, (1, 300), dtype=np.uint8)                # single row
    yield rng.integers(0, 3, (300, 1), dtype=np.uint8)                # single column
    yield rng.integers(0, 2, (2, 2), dtype=np.uint8)
    yield np.arange(256, dtype=np.uint8).reshape(16, 16)              # every value once
    yield rng.choice(np.array([3, 40, 41, 250], np.uint8), (64, 48))  # few values with gaps
    yield (np.indices((120, 161)).sum(0) // 9 % 40).astype(np.uint8)  # 40 labels: shared classes
    yield np.repeat(np.repeat(rng.integers(0, 12, (9, 12), dtype=np.uint8), 8, 0), 8, 1)[:70, :95]


def test_registry_and_flags():
    codec = create_codec("slc")
    assert isinstance(codec, SlcCodec) and codec.lossless and codec.checked and codec.channels == (1,)


def test_camvid_maps_round_trip_and_beat_flif(camvid_dir):
    slc, flif = create_codec("slc"), create_codec("flif")
    ours, theirs = [], []
    for labels in _camvid_maps(camvid_dir, "val", 4) + _camvid_maps(camvid_dir, "train", 4):
        data = slc.encode(labels)
        assert data[:3] == b"SLC" and not read_header(data).inter
        np.testing.assert_array_equal(slc.decode(data), labels)
        ours.append(len(data))
        theirs.append(len(flif.encode(labels)))
    assert np.mean(ours) <= 0.85 * np.mean(theirs), (ours, theirs)


def test_edge_cases_round_trip():
    codec = create_codec("slc")
    for labels in _edge_cases():
        data = codec.encode(labels)
        header = read_header(data)
        assert (header.width, header.height, header.inter) == (labels.shape[1], labels.shape[0], False)
        np.testing.assert_array_equal(codec.decode(data), labels, err_msg=str(labels.shape))


def test_inter_round_trip_and_gain():
    frames = [f.labels for f in synthetic_clip(6, width=160, height=120, seed=2)]
    codec = create_codec("slc", intra_fallback=False)
    intra = sum(len(codec.encode(b)) for b in frames[1:])
    inter = 0
    for a, b in zip(frames, frames[1:]):
        data = codec.encode(b, reference=a)
        header = read_header(data)
        assert header.inter and header.reference_id == reference_id(a)
        np.testing.assert_array_equal(codec.decode(data, reference=a), b)
        inter += len(data)
    assert inter < 0.9 * intra, (inter, intra)


def test_inter_with_unrelated_and_edge_references():
    codec = create_codec("slc", intra_fallback=False)
    rng = np.random.default_rng(3)
    for labels in _edge_cases():
        for reference in (rng.integers(0, 256, labels.shape, dtype=np.uint8),  # labels absent from the map
                          np.roll(labels, 3, axis=1), labels):
            data = codec.encode(labels, reference=reference)
            assert read_header(data).inter
            np.testing.assert_array_equal(codec.decode(data, reference=reference), labels)


def test_missing_or_wrong_reference_is_refused():
    a, b = (f.labels for f in synthetic_clip(2, width=64, height=48, seed=1))
    data = create_codec("slc", intra_fallback=False).encode(b, reference=a)
    codec = create_codec("slc")
    with pytest.raises(ReferenceMapError, match="no reference") as missing:
        codec.decode(data)
    assert missing.value.needed_id == reference_id(a) and missing.value.given_id is None
    wrong = a.copy()
    wrong[10, 10] ^= 1
    with pytest.raises(ReferenceMapError, match="needs reference map") as mismatch:
        codec.decode(data, reference=wrong)
    assert mismatch.value.given_id == reference_id(wrong)
    with pytest.raises(ReferenceMapError):
        codec.decode(data, reference=a[:, :32])                  # another size, another id
    assert issubclass(ReferenceMapError, CodecError)


def test_intra_fallback_picks_the_smaller_stream():
    labels = np.repeat(np.repeat(np.random.default_rng(9).integers(0, 5, (8, 8), dtype=np.uint8), 9, 0), 9, 1)
    unrelated = np.random.default_rng(1).integers(0, 4, labels.shape, dtype=np.uint8)
    auto = create_codec("slc").encode(labels, reference=unrelated)
    forced = create_codec("slc", intra_fallback="false").encode(labels, reference=unrelated)
    assert not read_header(auto).inter and read_header(forced).inter and len(auto) <= len(forced)
    np.testing.assert_array_equal(create_codec("slc").decode(auto, reference=unrelated), labels)
    np.testing.assert_array_equal(create_codec("slc").decode(auto), labels)  # intra: no reference needed


def test_declared_size_is_refused_before_decoding():
    data = create_codec("slc").encode(np.zeros((300, 400), np.uint8))
    with pytest.raises(ImageTooLargeError):
        create_codec("slc").decode(data, max_pixels=300 * 400 - 1)
    forged = b"SLC\x01\x00" + b"\xff\xff\xff\xff\x0f" * 2 + bytes(8)  # 2^32-1 x 2^32-1
    with pytest.raises(CodecError, match="size"):
        create_codec("slc").decode(forged)
    huge = b"SLC\x01\x00" + b"\x80\x80\x80\x04" * 2 + bytes(8)        # 2^23 x 2^23
    with pytest.raises(ImageTooLargeError):
        create_codec("slc").decode(huge)


def test_bad_input_is_refused():
    codec = create_codec("slc")
    labels = np.zeros((4, 5), np.uint8)
    for bad in (np.zeros((4, 5), np.int32), np.zeros((4, 5, 3), np.uint8), np.zeros((0, 5), np.uint8), [[1]]):
        with pytest.raises(CodecError):
            codec.encode(bad)
    with pytest.raises(CodecError, match="reference"):
        codec.encode(labels, reference=np.zeros((5, 4), np.uint8))
    with pytest.raises(CodecError, match="reference"):
        codec.encode(labels, reference=np.zeros((4, 5), np.float32))
    for data in (b"", b"SLC", b"FLIF\x00", b"SLC\x02\x00\x01\x01" + bytes(8), b"SLC\x01\x07\x01\x01" + bytes(8)):
        with pytest.raises(CodecError):
            codec.decode(data)
    with pytest.raises(CodecError, match="bytes"):
        codec.decode("SLC")
    with pytest.raises(CodecError, match="boolean"):
        create_codec("slc", intra_fallback="maybe")


def test_threads_code_concurrently():
    """The GIL is released while coding; concurrent calls stay exact."""
    frames = [f.labels for f in synthetic_clip(4, width=120, height=90, seed=4)]
    codec, errors = create_codec("slc"), []

    def work(labels, reference):
        for _ in range(5):
            data = codec.encode(labels, reference=reference)
            if not np.array_equal(codec.decode(data, reference=reference), labels):
                errors.append(labels)

    threads = [threading.Thread(target=work, args=(frames[i], frames[i - 1] if i else None)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
