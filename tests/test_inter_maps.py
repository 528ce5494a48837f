"""Inter-frame map coding through the real encoder and decoder: keyframes, late joiners,
lost references; a map is decoded exactly or refused, never decoded against the wrong one."""

from __future__ import annotations

import numpy as np
import pytest

from spic.errors import MissingReferenceError
from spic.payload import SSM_INTER, SSM_INTRA, SemanticPayload
from spic.pipeline import DecoderConfig, EncoderConfig, SemanticDecoder, SemanticEncoder
from spic.synthetic import synthetic_clip

FRAMES = synthetic_clip(12, 160, 120, seed=3)


@pytest.fixture(scope="module")
def stream() -> list[SemanticPayload]:
    encoder = SemanticEncoder(EncoderConfig(keyframe_interval=4))
    sent = [encoder.encode(f.rgb, ssm=f.labels, label_set="camvid11") for f in FRAMES]
    return [SemanticPayload.from_bytes(p.to_bytes()) for p in sent]  # over the wire


def _decoder() -> SemanticDecoder:
    return SemanticDecoder(DecoderConfig(reconstructor="bicubic"))


def test_keyframes_every_n_frames_and_inter_maps_between(stream):
    kinds = [p.ssm_frame_kind for p in stream]
    assert [i for i, k in enumerate(kinds) if k == SSM_INTRA][:3] == [0, 4, 8]
    assert kinds.count(SSM_INTER) >= 6
    for p in stream:
        assert p.ssm_reference == (p.sequence - 1 if p.ssm_frame_kind == SSM_INTER else p.sequence)
    intra = SemanticEncoder(EncoderConfig())
    intra_bytes = sum(len(intra.encode(f.rgb, ssm=f.labels, label_set="camvid11").ssm_data)
                      for f in FRAMES)
    assert sum(len(p.ssm_data) for p in stream) < intra_bytes  # the previous map helps


def test_a_late_joiner_decodes_exactly_from_the_next_keyframe(stream):
    decoder, refused = _decoder(), []
    for index in range(2, len(stream)):  # joins at frame 2
        try:
            frame = decoder.decode(stream[index])
        except MissingReferenceError:
            refused.append(index)
            continue
        assert np.array_equal(frame.ssm, FRAMES[index].labels)
    assert refused == [2, 3]  # then frame 4, a keyframe, and everything after


def test_a_lost_frame_stops_the_chain_until_the_next_keyframe(stream):
    decoder, refused = _decoder(), []
    for index, payload in enumerate(stream):
        if index == 5:
            continue  # lost on the link
        try:
            assert np.array_equal(decoder.decode_map(payload), FRAMES[index].labels)
        except MissingReferenceError:
            refused.append(index)
    assert refused == [6, 7]


def test_a_keyframe_can_be_requested_and_inter_needs_an_inter_codec():
    encoder = SemanticEncoder(EncoderConfig(keyframe_interval=100))
    kinds = []
    for index, f in enumerate(FRAMES[:5]):
        if index == 3:
            encoder.request_keyframe()
        kinds.append(encoder.encode(f.rgb, ssm=f.labels, label_set="camvid11").ssm_frame_kind)
    assert kinds[0] == SSM_INTRA and kinds[3] == SSM_INTRA and SSM_INTER in kinds[1:3]
    with pytest.raises(ValueError, match="inter-frame"):
        SemanticEncoder(EncoderConfig(ssm_codec="flif", keyframe_interval=4))
