"""spic.payload.SemanticPayload <-> spic_ros/msg/SemanticFrame (digest included)."""

from __future__ import annotations

from spic.payload import DIGEST_SIZE, SemanticPayload, check_version
from spic_ros.msg import SemanticFrame


def payload_to_msg(payload: SemanticPayload, header=None) -> SemanticFrame:
    """A SemanticFrame carrying ``payload`` and its digest; ``header`` (std_msgs/Header) is
    copied when given."""
    msg = SemanticFrame()
    if header is not None:
        msg.header = header
    msg.version = payload.version
    msg.sequence, msg.ssm_frame_kind = payload.sequence, payload.ssm_frame_kind
    msg.ssm_reference = payload.ssm_reference
    msg.width, msg.height, msg.encoding = payload.width, payload.height, payload.encoding
    msg.label_set, msg.num_classes = payload.label_set, payload.num_classes
    msg.ssm_codec, msg.ssm_data = payload.ssm_codec, payload.ssm_data
    msg.coarse_codec, msg.coarse_quality = payload.coarse_codec, payload.coarse_quality
    msg.coarse_width, msg.coarse_height = payload.coarse_width, payload.coarse_height
    msg.downscale, msg.coarse_data = payload.downscale, payload.coarse_data
    msg.digest = int.from_bytes(payload.digest(), "little")
    return msg


def msg_to_payload(msg: SemanticFrame) -> SemanticPayload:
    """The checked payload of a SemanticFrame: version, then digest, then consistency;
    raises ``spic.errors.PayloadError`` (before anything is decoded)."""
    check_version(msg.version)
    payload = SemanticPayload(
        width=int(msg.width), height=int(msg.height), encoding=msg.encoding,
        label_set=msg.label_set, num_classes=int(msg.num_classes),
        ssm_codec=msg.ssm_codec, ssm_data=bytes(msg.ssm_data),
        coarse_codec=msg.coarse_codec, coarse_quality=int(msg.coarse_quality),
        coarse_width=int(msg.coarse_width), coarse_height=int(msg.coarse_height),
        downscale=int(msg.downscale), coarse_data=bytes(msg.coarse_data),
        sequence=int(msg.sequence), ssm_frame_kind=int(msg.ssm_frame_kind),
        ssm_reference=int(msg.ssm_reference), version=int(msg.version),
    )
    payload.check_digest(int(msg.digest).to_bytes(DIGEST_SIZE, "little"))
    payload.validate()
    return payload
