"""BPG: bit-exact decoding of real bpgenc files, valid files from our encoder, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spic.cli import main
from spic.codecs import create_codec
from spic.codecs.bpg.bitstream import read_ue7, write_ue7
from spic.codecs.bpg.chroma import decimate_420
from spic.codecs.bpg.color import rgb_to_planes
from spic.codecs.bpg.decoder import decode_bpg_planes
from spic.codecs.bpg.encoder import pad_planes, repack_hevc
from spic.codecs.bpg.header import BpgHeader, ColorSpace, PixelFormat
from spic.codecs.bpg.hevc_decoder import decode_planes
from spic.codecs.bpg.x265_encoder import encode_planes


def _golden_files(golden_dir: Path) -> list[dict]:
    manifest = json.loads((golden_dir / "manifest.json").read_text())
    return [entry for entry in manifest if entry["file"].endswith(".bpg")]


def _rgb(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def _coarse(golden_dir: Path) -> np.ndarray:
    return _rgb(sorted((golden_dir / "src").glob("*coarse120x90.png"))[0])


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def test_ue7_examples_from_the_spec():
    for encoded, value in [(b"\x08", 8), (b"\x84\x1e", 542), (b"\xac\xbe\x17", 728855)]:
        assert write_ue7(value) == encoded
        assert read_ue7(encoded, 0, "x") == (value, len(encoded))


def test_golden_bpgenc_files_decode_to_exactly_bpgdec_pixels(golden_dir):
    entries = _golden_files(golden_dir)
    assert len(entries) == len(list((golden_dir / "bpg").glob("*.bpg")))
    kinds = {e["cmd"].split()[-1] for e in entries}
    assert {"420", "444", "-lossless"} <= kinds, kinds
    codec = create_codec("bpg")
    for entry in entries:
        decoded = codec.decode((golden_dir / entry["file"]).read_bytes())
        with Image.open(golden_dir / entry["decoded"]) as img:
            expected = np.asarray(img)
        if expected.ndim == 3 and decoded.ndim == 2:  # bpgdec writes gray as RGB
            decoded = np.repeat(decoded[:, :, None], 3, axis=2)
        assert decoded.shape == expected.shape, entry["file"]
        assert np.array_equal(decoded, expected), entry["file"]


@pytest.mark.parametrize("options, first_byte, channels", [
    ({}, 0x20, 3), ({"chroma": "444"}, 0x60, 3), ({"chroma": 422}, 0x40, 3),
    ({"chroma": "gray"}, 0x00, 1), ({"color_space": "ycgco"}, 0x20, 3)])
def test_encoded_files_have_spec_header_fields(golden_dir, options, first_byte, channels):
    image = _coarse(golden_dir)
    codec = create_codec("bpg", quality=35, **options)
    data = codec.encode(image)
    assert data[:4] == b"\x42\x50\x47\xfb"
    assert data[4] == first_byte  # pixel_format << 5, no alpha, bit_depth_minus_8 = 0
    color_space = 2 if options.get("color_space") == "ycgco" else 0
    assert data[5] == color_space << 4  # no extension, alpha2, limited range, animation
    width, pos = read_ue7(data, 6, "w")
    height, pos = read_ue7(data, pos, "h")
    length, pos = read_ue7(data, pos, "len")
    assert (width, height) == (120, 90)
    assert pos + length == len(data)
    decoded = codec.decode(data)
    assert decoded.shape == ((90, 120, 3) if channels == 3 else (90, 120))
    reference = image if channels == 3 else rgb_to_planes(image, ColorSpace.YCBCR)[0]
    assert _psnr(decoded, reference) > 29


@pytest.mark.parametrize("pixel_format", [PixelFormat.YUV420, PixelFormat.YUV444,
                                          PixelFormat.GRAY])
def test_bpg_repack_decodes_to_the_same_pixels_as_the_raw_hevc_stream(golden_dir,
                                                                      pixel_format):
    image = _coarse(golden_dir)[:85, :117]  # odd sizes exercise padding and cropping
    planes = rgb_to_planes(image, ColorSpace.YCBCR)
    if pixel_format is PixelFormat.GRAY:
        planes = planes[:1]
    elif pixel_format is PixelFormat.YUV420:
        planes[1:] = [decimate_420(p, 8) for p in planes[1:]]
    padded = pad_planes(planes, pixel_format, 117, 85)
    stream = encode_planes(padded, pixel_format.chroma_format_idc, qp=30)
    body = repack_hevc(stream, pixel_format, 117, 85)
    bpg = BpgHeader(117, 85, pixel_format, ColorSpace.YCBCR, 8, False, len(body)).to_bytes() + body
    assert len(bpg) < len(stream)  # the compact header replaces ~60 bytes of VPS/SPS
    _, ours = decode_bpg_planes(bpg, 10**6)
    ffmpeg = decode_planes(stream, 117, 85, 8)
    assert len(ours) == len(ffmpeg) == len(planes)
    for mine, theirs in zip(ours, ffmpeg):
        assert np.array_equal(mine, theirs)


def test_lossless_round_trips_rgb_and_label_maps(golden_dir):
    codec = create_codec("bpg", lossless=True)
    assert codec.lossless
    image = _coarse(golden_dir)
    assert np.array_equal(codec.decode(codec.encode(image)), image)
    with Image.open(sorted((golden_dir / "src").glob("*labels480x360.png"))[0]) as img:
        labels = np.asarray(img)
    data = codec.encode(labels)
    assert data[4] == 0x00  # grayscale
    assert np.array_equal(codec.decode(data), labels)


def test_quality_controls_rate_and_odd_sizes_work():
    rng = np.random.default_rng(0)
    smooth = np.cumsum(rng.integers(-3, 4, (45, 61, 3)), axis=1)
    image = np.clip(smooth + 128, 0, 255).astype(np.uint8)
    sizes = [len(create_codec("bpg", quality=q).encode(image)) for q in (20, 35, 50)]
    assert sizes[0] > sizes[1] > sizes[2]
    for chroma in ("420", "422", "444", "gray"):
        codec = create_codec("bpg", chroma=chroma, level=5)
        out = codec.decode(codec.encode(image[:1, :1]))
        assert out.shape[:2] == (1, 1)


def test_bad_options_raise_value_errors():
    for options in ({"quality": 52}, {"chroma": "411"}, {"level": 0}, {"color_space": "xyz"},
                    {"lossless": "maybe"}):
        with pytest.raises(ValueError):
            create_codec("bpg", **options)
    with pytest.raises(ValueError):
        create_codec("bpg").encode(np.zeros((4, 4, 4), np.uint8))


def test_cli_encodes_and_decodes(golden_dir, tmp_path):
    source = sorted((golden_dir / "src").glob("*coarse120x90.png"))[0]
    bpg, png = tmp_path / "out.bpg", tmp_path / "out.png"
    assert main(["codec", "encode", "--codec", "bpg", "-q", "35", "-o", "chroma=444",
                 str(source), str(bpg)]) == 0
    assert bpg.read_bytes()[4] == 0x60
    assert main(["codec", "decode", str(bpg), str(png)]) == 0
    assert _psnr(_rgb(png), _rgb(source)) > 29


@pytest.mark.parametrize("bit_depth", [10, 12])
@pytest.mark.parametrize("chroma", ["420", "444", "gray"])
def test_high_bit_depth_files_round_trip(golden_dir, bit_depth, chroma):
    image = _coarse(golden_dir)
    codec = create_codec("bpg", quality=30, chroma=chroma, bit_depth=bit_depth, level=5)
    data = codec.encode(image)
    assert data[4] & 0x0F == bit_depth - 8
    decoded = codec.decode(data)
    reference = image if chroma != "gray" else rgb_to_planes(image, ColorSpace.YCBCR)[0]
    assert _psnr(decoded, reference) > 33


@pytest.mark.parametrize("color_space, limited, bit_depth", [
    (ColorSpace.YCBCR_BT709, False, 8), (ColorSpace.YCBCR_BT2020, True, 10),
    (ColorSpace.YCBCR, True, 8)])
def test_decoder_converts_every_ycbcr_matrix_and_range(golden_dir, color_space, limited,
                                                       bit_depth):
    """Files bpgenc can write with other matrices/ranges: planes made here in floating
    point, coded near-losslessly, must come back close to the source RGB."""
    image = _coarse(golden_dir)
    k_r, k_b = {ColorSpace.YCBCR: (0.299, 0.114), ColorSpace.YCBCR_BT709: (0.2126, 0.0722),
                ColorSpace.YCBCR_BT2020: (0.2627, 0.0593)}[color_space]
    rgb = image.astype(np.float64) / 255
    y = k_r * rgb[..., 0] + (1 - k_r - k_b) * rgb[..., 1] + k_b * rgb[..., 2]
    cb = (rgb[..., 2] - y) / (2 * (1 - k_b))
    cr = (rgb[..., 0] - y) / (2 * (1 - k_r))
    top = (1 << bit_depth) - 1
    scale = 1 << (bit_depth - 8)
    if limited:
        planes = [16 * scale + 219 * scale * y, 128 * scale + 224 * scale * cb,
                  128 * scale + 224 * scale * cr]
    else:
        planes = [top * y, (top + 1) / 2 + top * cb, (top + 1) / 2 + top * cr]
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    planes = [np.clip(np.rint(p), 0, top).astype(dtype) for p in planes]
    padded = pad_planes(planes, PixelFormat.YUV444, 120, 90, bit_depth=bit_depth)
    stream = encode_planes(padded, 3, qp=4, level=5, bit_depth=bit_depth)
    body = repack_hevc(stream, PixelFormat.YUV444, 120, 90, bit_depth)
    data = BpgHeader(120, 90, PixelFormat.YUV444, color_space, bit_depth, limited,
                     len(body)).to_bytes() + body
    assert data[5] == (int(color_space) << 4) | (int(limited) << 1)
    assert _psnr(create_codec("bpg").decode(data), image) > 40


def test_extension_data_is_skipped(golden_dir):
    entry = _golden_files(golden_dir)[0]
    data = (golden_dir / entry["file"]).read_bytes()
    assert data[5] & 0x08 == 0 and data[8] == 0  # no extensions, picture_data_length 0
    exif = write_ue7(1) + write_ue7(5) + b"Exif\x00"
    with_ext = (data[:5] + bytes([data[5] | 0x08]) + data[6:9] + write_ue7(len(exif)) + exif
                + data[9:])
    codec = create_codec("bpg")
    assert np.array_equal(codec.decode(with_ext), codec.decode(data))
