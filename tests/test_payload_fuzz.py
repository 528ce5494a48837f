"""Seeded fuzzing of v2 payloads through ``SemanticPayload.from_bytes`` + ``SemanticDecoder``.

Over 20,000 mutants of small frames: none may crash (only the project's errors), and none may
decode to a map other than the encoder's. Over half are resealed (digest recomputed after
the mutation, as a buggy encoder or an attacker would), so the header checks, the codec
allow-lists and the codecs' own integrity checks are exercised behind the digest.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter

import numpy as np
import pytest

from spic.errors import SpicError
from spic.payload import DIGEST_SIZE, SemanticPayload, compute_digest
from spic.pipeline import DecoderConfig, EncoderConfig, SemanticDecoder, SemanticEncoder
from spic.synthetic import synthetic_clip

MUTANTS_PER_BASE = 10_500
#: Header fields replaced by random values (resealed).
FIELDS = ("width", "height", "num_classes", "coarse_quality", "coarse_width", "coarse_height",
          "downscale", "sequence", "ssm_frame_kind", "ssm_reference", "encoding", "label_set",
          "ssm_codec", "coarse_codec")
NAMES = ("flif", "png", "bpg", "webp", "webp-lossless", "jxl", "jpeg", "jpeg2000", "", "x" * 64,
         "camvid11", "cityscapes19", "rgb8")


def _flip(buf: bytearray, rng: np.random.Generator, start: int = 0, end: int | None = None) -> None:
    end = len(buf) if end is None else end
    for pos in rng.integers(start, end, int(rng.integers(1, 5))):
        buf[pos] ^= 1 << int(rng.integers(0, 8))


def _reseal(body: bytes) -> bytes:
    return body + compute_digest([body])


def _random_field(rng: np.random.Generator, name: str, value):
    if isinstance(value, str):
        return NAMES[int(rng.integers(0, len(NAMES)))]
    choices = (0, 1, 2, value - 1, value + 1, 2 * value, 255, 65_535, 2**31 - 1,
               int(rng.integers(0, 2**16)))
    number = int(choices[int(rng.integers(0, len(choices)))])
    return max(-2**15, number) if name == "coarse_quality" else max(0, number)


def mutants(payload: SemanticPayload, rng: np.random.Generator, count: int):
    """``(kind, bytes)`` mutants of ``payload``; kinds ending in ``sealed`` carry a valid digest."""
    data = payload.to_bytes()
    body = data[:-DIGEST_SIZE]
    blob_start = len(body) - len(payload.coarse_data) - 4 - len(payload.ssm_data)
    for i in range(count):
        kind = i % 9
        if kind == 0:                                        # bit flips anywhere
            buf = bytearray(data)
            _flip(buf, rng)
            yield "flips", bytes(buf)
        elif kind == 1:                                      # truncation
            yield "truncated", data[:int(rng.integers(0, len(data)))]
        elif kind == 2:                                      # random bytes inserted or removed
            pos = int(rng.integers(0, len(data)))
            extra = rng.integers(0, 256, int(rng.integers(0, 6)), dtype=np.uint8).tobytes()
            yield "spliced", data[:pos] + extra + data[pos + int(rng.integers(0, 6)):]
        elif kind == 3:                                      # random tail, digest kept
            pos = int(rng.integers(5, len(body)))
            tail = rng.integers(0, 256, len(body) - pos, dtype=np.uint8).tobytes()
            yield "random tail", body[:pos] + tail + data[-DIGEST_SIZE:]
        elif kind in (4, 5):                                 # SSM blob bit flips, resealed
            ssm = bytearray(payload.ssm_data)
            _flip(ssm, rng)
            yield "ssm sealed", dataclasses.replace(payload, ssm_data=bytes(ssm)).to_bytes()
        elif kind == 6:                                      # SSM blob truncated/extended
            cut = int(rng.integers(0, len(payload.ssm_data) + 8))
            ssm = (payload.ssm_data + bytes(8))[:cut]
            yield "ssm length sealed", dataclasses.replace(payload, ssm_data=ssm).to_bytes()
        elif kind == 7:                                      # one header field, resealed
            name = FIELDS[int(rng.integers(0, len(FIELDS)))]
            value = _random_field(rng, name, getattr(payload, name))
            try:
                yield "field sealed", dataclasses.replace(payload, **{name: value}).to_bytes()
            except SpicError:  # not serialisable: nothing to send
                continue
        else:                                                # raw body flips, resealed
            buf = bytearray(body)
            _flip(buf, rng, 5, blob_start if i % 2 else len(buf))
            yield "body sealed", _reseal(bytes(buf))


@pytest.fixture(scope="module")
def bases() -> list[tuple[SemanticPayload, np.ndarray]]:
    """Two small frames: the default codecs (FLIF + BPG) and PNG + WebP."""
    frames = synthetic_clip(2, 64, 48)
    out = []
    for frame, config in zip(frames, (EncoderConfig(), EncoderConfig(ssm_codec="png",
                                                                      coarse_codec="webp"))):
        payload = SemanticEncoder(config).encode(frame.rgb, ssm=frame.labels, label_set="camvid11")
        out.append((payload, frame.labels))
    return out


@pytest.mark.timeout(180)
def test_mutated_payloads_never_crash_and_never_pass_a_wrong_map(bases):
    decoder = SemanticDecoder(DecoderConfig(reconstructor="bicubic", fallback=None))
    rng = np.random.default_rng(20_240_601)
    outcomes: Counter = Counter()
    wrong = []
    start = time.process_time()
    for payload, labels in bases:
        for kind, data in mutants(payload, rng, MUTANTS_PER_BASE):
            try:
                frame = decoder.decode(SemanticPayload.from_bytes(data))
            except SpicError as exc:  # the project's errors only: anything else fails the test
                outcomes[(kind, type(exc).__name__)] += 1
                continue
            outcomes[(kind, "decoded")] += 1
            if frame.ssm.shape != labels.shape or not np.array_equal(frame.ssm, labels):
                wrong.append(kind)
    total = sum(outcomes.values())
    assert total >= 20_000
    assert not wrong, f"{len(wrong)} corrupt maps accepted: {Counter(wrong)}"
    sealed = {k: n for k, n in outcomes.items() if k[0].endswith("sealed")}
    assert sum(sealed.values()) > total / 2
    # behind the digest, the codecs' own checks and the header checks do the refusing
    assert sum(n for (kind, error), n in sealed.items()
               if kind.startswith("ssm") and error == "CodecError") > 1000
    assert sum(n for (_, error), n in sealed.items() if error == "CodecNotAllowedError") > 50
    assert time.process_time() - start < 60, outcomes  # CPU seconds: robust on a shared box
