"""Every registry entry (codecs, segmenters, reconstructors) works on real CamVid images.

Entries whose module is not written yet, or whose trained weights are not in the checkout
yet, are skipped with that reason; any other failure fails.
"""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest

from spic.codecs import CODECS, create_codec
from spic.datasets import read_labels, read_rgb
from spic.errors import CodecError
from spic.image_ops import area_downscale
from spic.labelsets import CAMVID11
from spic.reconstruction import RECONSTRUCTORS
from spic.registry import Registry, UnknownEntryError
from spic.segmentation import SEGMENTERS


def _load(registry: Registry, name: str):
    """The entry's factory, or a skip when its module does not exist (yet)."""
    try:
        return registry.get(name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("spic."):
            pytest.skip(f"{registry.kind} {name!r}: module {exc.name} not in this checkout")
        raise


def _create_or_skip_missing_weights(factory, **kwargs):
    try:
        return factory(**kwargs)
    except Exception as exc:  # noqa: BLE001 - only absent weight files are skipped
        if isinstance(exc, FileNotFoundError) or "No such file" in str(exc):
            pytest.skip(f"{factory.__name__}: trained weights not available: {exc}")
        raise


@pytest.fixture(scope="module")
def samples(camvid_dir):
    names = [p.name for p in sorted((camvid_dir / "val").glob("*.png"))[:: 40]][:3]
    return [(read_rgb(camvid_dir / "val" / n), read_labels(camvid_dir / "valannot" / n))
            for n in names]


def _psnr(a, b) -> float:
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255**2 / mse)


@pytest.mark.parametrize("name", CODECS.names())
def test_codec_round_trips_camvid(name, samples):
    codec = _load(CODECS, name)()
    for rgb, labels in samples:
        if codec.lossless:
            if 1 in codec.channels:
                np.testing.assert_array_equal(codec.decode(codec.encode(labels)), labels)
            if 3 in codec.channels:  # coarse size: lossless RGB at full size is slow
                coarse = area_downscale(rgb, 4)
                np.testing.assert_array_equal(codec.decode(codec.encode(coarse)), coarse)
        else:
            coarse = area_downscale(rgb, 4)
            for image in (coarse, rgb):
                data = codec.encode(image)
                back = codec.decode(data)
                assert back.shape == image.shape and back.dtype == np.uint8
                assert _psnr(back, image) > 22, name
                assert len(data) < image.nbytes / 4, name


@pytest.mark.parametrize("name", CODECS.names())
def test_codec_rejects_garbage_and_oversized(name, samples):
    codec = _load(CODECS, name)()
    rgb, labels = samples[0]
    image = labels if (codec.lossless and 1 in codec.channels) else rgb
    data = codec.encode(image)
    for bad in (b"", b"\x00" * 16, data[: len(data) // 3]):
        with pytest.raises(CodecError):
            codec.decode(bad)
    with pytest.raises(CodecError):  # ImageTooLargeError is a CodecError
        codec.decode(data, max_pixels=image.shape[0] * image.shape[1] - 1)


@pytest.mark.parametrize("name", SEGMENTERS.names())
def test_segmenter_labels_camvid(name, samples, models_dir):
    factory = _load(SEGMENTERS, name)
    options = {"model": str(models_dir / "espnet_camvid.onnx")} if name == "onnx" else {}
    segmenter = _create_or_skip_missing_weights(factory, **options)
    rgb, truth = samples[0]
    labels = segmenter.segment(rgb)
    assert labels.shape == truth.shape and labels.dtype == np.uint8
    valid = labels[labels != segmenter.label_set.void]
    assert valid.max() < segmenter.label_set.num_classes
    if segmenter.label_set is CAMVID11:
        keep = truth != CAMVID11.void
        assert np.mean(labels[keep] == truth[keep]) > 0.5  # a real segmenter, not noise


@pytest.mark.parametrize("name", RECONSTRUCTORS.names())
def test_reconstructor_rebuilds_original_size(name, samples):
    factory = _load(RECONSTRUCTORS, name)
    fast = {"steps": 2} if "steps" in inspect.signature(factory).parameters else {}
    reconstructor = _create_or_skip_missing_weights(factory, **fast)
    rgb, labels = samples[0]
    rgb, labels = rgb[:64, :96], labels[:64, :96]  # small crop: diffusion on CPU is slow
    out = reconstructor.reconstruct(area_downscale(rgb, 4), labels, CAMVID11, 4)
    assert out.shape == rgb.shape and out.dtype == np.uint8
    assert _psnr(out, rgb) > 12


def test_registry_lookup_errors_and_laziness():
    registry: Registry[object] = Registry("widget")
    registry.register_lazy("json", "json:JSONDecoder")
    assert "json" in registry and registry.names() == ["json"]

    @registry.register("list")
    def make_list(**kwargs):
        return list(kwargs)

    assert registry.create("list", a=1) == ["a"]
    assert registry.get("json") is importlib.import_module("json").JSONDecoder
    with pytest.raises(UnknownEntryError, match="unknown widget 'nope'; known: json, list"):
        registry.get("nope")


def test_create_codec_unknown_name_lists_known():
    with pytest.raises(UnknownEntryError, match="png"):
        create_codec("no-such-codec")
