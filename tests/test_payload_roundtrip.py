"""SemanticPayload binary form and SemanticFrame message: round trips and malformed input."""

from __future__ import annotations

import numpy as np
import pytest

from spic.datasets import read_labels, read_rgb
from spic.errors import PayloadError
from spic.payload import SemanticPayload
from spic.pipeline import EncoderConfig, SemanticEncoder


@pytest.fixture(scope="module")
def payload(camvid_dir) -> SemanticPayload:
    """A real payload: a CamVid val frame with its ground-truth labels."""
    name = sorted((camvid_dir / "val").glob("*.png"))[0].name
    encoder = SemanticEncoder(EncoderConfig(ssm_codec="png", coarse_codec="webp", coarse_quality=70))
    return encoder.encode(read_rgb(camvid_dir / "val" / name),
                          ssm=read_labels(camvid_dir / "valannot" / name), label_set="camvid11")


def test_binary_round_trip(payload):
    data = payload.to_bytes()
    assert SemanticPayload.from_bytes(data) == payload
    assert len(data) - payload.num_bytes < 64  # the header stays small


def test_every_truncation_and_trailing_garbage_is_a_payload_error(payload):
    data = payload.to_bytes()
    for n in list(range(0, 80)) + [len(data) - 1, len(data) // 2]:
        with pytest.raises(PayloadError):
            SemanticPayload.from_bytes(data[:n])
    with pytest.raises(PayloadError, match="trailing"):
        SemanticPayload.from_bytes(data + b"x")
    with pytest.raises(PayloadError, match="magic"):
        SemanticPayload.from_bytes(b"XXXX" + data[4:])


def test_random_byte_flips_never_crash(payload):
    """Corrupt headers raise PayloadError; corrupt coded data fails later in the codec."""
    data = bytearray(payload.to_bytes())
    rng = np.random.default_rng(0)
    for _ in range(300):
        corrupt = bytearray(data)
        for pos in rng.integers(0, 80, 3):
            corrupt[pos] ^= int(rng.integers(1, 256))
        try:
            SemanticPayload.from_bytes(bytes(corrupt))
        except PayloadError:
            pass


@pytest.mark.parametrize("change,match", [
    ({"width": 0}, "invalid frame size"), ({"downscale": 0}, "downscale"),
    ({"coarse_width": 1}, "coarse size"), ({"num_classes": 0}, "classes"),
    ({"version": 2}, "version"),
])
def test_inconsistent_fields_are_rejected(payload, change, match):
    fields = {**payload.__dict__, **change}
    with pytest.raises(PayloadError, match=match):
        SemanticPayload(**fields).validate()


def test_semantic_frame_message_round_trip(payload):
    pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the message")
    from rclpy.serialization import deserialize_message, serialize_message
    from std_msgs.msg import Header

    from spic_ros.frame_message import msg_to_payload, payload_to_msg
    from spic_ros.msg import SemanticFrame

    header = Header(frame_id="camera")
    header.stamp.sec, header.stamp.nanosec = 1_700_000_000, 123
    msg = payload_to_msg(payload, header)
    wire = serialize_message(msg)
    back = deserialize_message(wire, SemanticFrame)
    assert msg_to_payload(back) == payload
    assert (back.header.frame_id, back.header.stamp.nanosec) == ("camera", 123)
    assert back.version == SemanticFrame.FORMAT_VERSION == payload.version
    # lean: the wire size is the coded bytes plus a small fixed overhead
    assert len(wire) - payload.num_bytes < 120


def test_message_with_disagreeing_size_is_rejected(payload):
    pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the message")
    from spic_ros.frame_message import msg_to_payload, payload_to_msg

    msg = payload_to_msg(payload)
    msg.width += 8
    with pytest.raises(PayloadError, match="coarse size"):
        msg_to_payload(msg)
