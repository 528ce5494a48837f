"""SemanticPayload v2 binary form and SemanticFrame message: layout, digest, version policy,
round trips and malformed input."""

from __future__ import annotations

import dataclasses
import hashlib
import struct

import numpy as np
import pytest

from spic.datasets import read_labels, read_rgb
from spic.errors import PayloadError, UnsupportedVersionError
from spic.payload import FORMAT_VERSION, SSM_INTER, SemanticPayload
from spic.pipeline import EncoderConfig, SemanticEncoder
from spic.synthetic import synthetic_clip


@pytest.fixture(scope="module")
def payload(camvid_dir) -> SemanticPayload:
    """A real payload with the default codecs: a CamVid val frame with its ground truth."""
    name = sorted((camvid_dir / "val").glob("*.png"))[0].name
    return SemanticEncoder().encode(read_rgb(camvid_dir / "val" / name),
                                    ssm=read_labels(camvid_dir / "valannot" / name),
                                    label_set="camvid11")


@pytest.fixture(scope="module")
def small() -> SemanticPayload:
    """A 64x48 payload (a few hundred bytes) for exhaustive mutation."""
    frame = synthetic_clip(1, 64, 48)[0]
    encoder = SemanticEncoder()
    encoder.next_sequence = 41
    return encoder.encode(frame.rgb, ssm=frame.labels, label_set="camvid11")


def _v1_bytes(p: SemanticPayload) -> bytes:
    """``p`` in the version-1 layout (no sequence fields, no digest)."""
    parts = [b"SPIC", struct.pack("<BIIHhIIB", 1, p.width, p.height, p.num_classes,
                                  p.coarse_quality, p.coarse_width, p.coarse_height, p.downscale)]
    for text in (p.encoding, p.label_set, p.ssm_codec, p.coarse_codec):
        parts += [bytes([len(text)]), text.encode()]
    for blob in (p.ssm_data, p.coarse_data):
        parts += [struct.pack("<I", len(blob)), blob]
    return b"".join(parts)


def test_binary_round_trip(payload):
    data = payload.to_bytes()
    assert SemanticPayload.from_bytes(data) == payload
    assert payload.version == FORMAT_VERSION == 2
    assert (payload.ssm_codec, payload.coarse_codec, payload.coarse_quality) == ("slc", "bpg", 35)
    assert len(data) - payload.num_bytes < 96  # the header stays small


def test_layout_matches_the_documentation(small):
    """docs/semantic_frame.md: fixed fields at fixed offsets, BLAKE2b-64 digest at the end."""
    data = small.to_bytes()
    assert data[:5] == b"SPIC\x02"
    sequence, kind, reference, width, height = struct.unpack_from("<IBIII", data, 5)
    assert (sequence, kind, reference, width, height) == (41, 0, 41, 64, 48)
    assert struct.unpack_from("<HhIIB", data, 22) == (11, 35, 16, 12, 4)
    assert data[35:40] == b"\x04rgb8"
    assert data[-8:] == hashlib.blake2b(data[:-8], digest_size=8).digest() == small.digest()
    assert data.endswith(small.coarse_data + data[-8:])


def test_version_1_payloads_are_refused_clearly(small):
    with pytest.raises(UnsupportedVersionError, match="unsupported payload version 1"):
        SemanticPayload.from_bytes(_v1_bytes(small))
    with pytest.raises(UnsupportedVersionError, match="version 3"):
        SemanticPayload.from_bytes(b"SPIC\x03" + small.to_bytes()[5:])


def test_every_truncation_and_trailing_garbage_is_a_payload_error(small):
    data = small.to_bytes()
    for n in range(len(data)):
        with pytest.raises(PayloadError):
            SemanticPayload.from_bytes(data[:n])
    with pytest.raises(PayloadError, match="integrity check failed"):
        SemanticPayload.from_bytes(data + b"x")
    with pytest.raises(PayloadError, match="magic"):
        SemanticPayload.from_bytes(b"XXXX" + data[4:])


def test_every_single_bit_flip_fails_the_integrity_check(small):
    data = small.to_bytes()
    for pos in range(4, len(data)):
        for bit in range(8):
            corrupt = bytearray(data)
            corrupt[pos] ^= 1 << bit
            with pytest.raises(PayloadError, match="integrity" if pos != 4 else "version"):
                SemanticPayload.from_bytes(bytes(corrupt))


def test_a_sealed_inconsistent_header_is_still_refused(small):
    """Digest right, content wrong (a buggy encoder): validation runs after the digest."""
    for change, match in [({"ssm_frame_kind": 7}, "frame kind"),
                          ({"ssm_reference": 3}, "intra SSM"),
                          ({"coarse_width": 3}, "coarse size")]:
        with pytest.raises(PayloadError, match=match):
            SemanticPayload.from_bytes(dataclasses.replace(small, **change).to_bytes())
    inter = dataclasses.replace(small, ssm_frame_kind=SSM_INTER, ssm_reference=40)
    assert SemanticPayload.from_bytes(inter.to_bytes()) == inter  # parsed; decoders refuse it


@pytest.mark.parametrize("change,match", [
    ({"width": 0}, "invalid frame size"), ({"downscale": 0}, "downscale"),
    ({"coarse_width": 1}, "coarse size"), ({"num_classes": 0}, "classes"),
    ({"version": 1}, "version"), ({"ssm_frame_kind": 2}, "frame kind"),
    ({"sequence": 5}, "intra SSM"), ({"sequence": 2**32}, "u32"),
    ({"ssm_frame_kind": SSM_INTER}, "references itself"),
])
def test_inconsistent_fields_are_rejected(small, change, match):
    with pytest.raises(PayloadError, match=match):
        dataclasses.replace(small, **change).validate()


def test_unserialisable_fields_are_payload_errors(small):
    for change in ({"encoding": "x" * 65}, {"label_set": "é"}, {"width": -1}):
        with pytest.raises(PayloadError):
            dataclasses.replace(small, **change).to_bytes()


def test_encoder_numbers_frames_as_intra_keyframes():
    frame = synthetic_clip(1, 16, 16)[0]
    encoder = SemanticEncoder(EncoderConfig(ssm_codec="png", coarse_codec="webp"))
    payloads = [encoder.encode(frame.rgb, ssm=frame.labels, label_set="camvid11")
                for _ in range(3)]
    assert [(p.sequence, p.ssm_frame_kind, p.ssm_reference) for p in payloads] == [
        (0, 0, 0), (1, 0, 1), (2, 0, 2)]


def test_semantic_frame_message_round_trip(payload):
    pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the message")
    from rclpy.serialization import deserialize_message, serialize_message
    from std_msgs.msg import Header

    from spic_ros.frame_message import msg_to_payload, payload_to_msg
    from spic_ros.msg import SemanticFrame

    header = Header(frame_id="camera")
    header.stamp.sec, header.stamp.nanosec = 1_700_000_000, 123
    sequenced = dataclasses.replace(payload, sequence=7, ssm_reference=7)
    msg = payload_to_msg(sequenced, header)
    wire = serialize_message(msg)
    back = deserialize_message(wire, SemanticFrame)
    assert msg_to_payload(back) == sequenced
    assert (back.header.frame_id, back.header.stamp.nanosec) == ("camera", 123)
    assert back.version == SemanticFrame.FORMAT_VERSION == payload.version
    assert (back.sequence, back.ssm_frame_kind, back.ssm_reference) == (7, SemanticFrame.SSM_INTRA, 7)
    # the message's digest is the .spic file's last 8 bytes
    assert back.digest.to_bytes(8, "little") == sequenced.to_bytes()[-8:]
    # lean: the wire size is the coded bytes plus a small fixed overhead
    assert len(wire) - payload.num_bytes < 140


def test_message_changes_fail_the_integrity_check(small):
    pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the message")
    from spic_ros.frame_message import msg_to_payload, payload_to_msg

    for name, value in [("width", 72), ("sequence", 1), ("ssm_codec", "png"),
                        ("ssm_data", small.ssm_data[:-1]), ("coarse_quality", 30),
                        ("digest", 0)]:
        msg = payload_to_msg(small)
        setattr(msg, name, value)
        with pytest.raises(PayloadError, match="integrity check failed"):
            msg_to_payload(msg)
    msg = payload_to_msg(small)
    msg.version = 1
    with pytest.raises(UnsupportedVersionError, match="version 1"):
        msg_to_payload(msg)


def test_sealed_message_with_disagreeing_size_is_rejected(small):
    pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the message")
    from spic_ros.frame_message import msg_to_payload, payload_to_msg

    msg = payload_to_msg(dataclasses.replace(small, width=small.width + 8))
    with pytest.raises(PayloadError, match="coarse size"):
        msg_to_payload(msg)


def test_random_header_corruption_never_crashes(payload):
    data = bytearray(payload.to_bytes())
    rng = np.random.default_rng(0)
    for _ in range(300):
        corrupt = bytearray(data)
        for pos in rng.integers(0, 80, 3):
            corrupt[pos] ^= int(rng.integers(1, 256))
        with pytest.raises(PayloadError):
            SemanticPayload.from_bytes(bytes(corrupt))
