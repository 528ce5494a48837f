"""A synthetic street-scene clip with CamVid-11 labels, generated on the fly (no footage shipped).

The camera drives forward along a road: sky, buildings with windows, trees, poles with signs,
pavement, a fence, moving cars, a pedestrian and a cyclist. Labels are drawn first; the RGB
frame is rendered from them with per-class colours, textures, shading and sensor noise, so
both the lossless SSM and the lossy coarse image get realistic work. Deterministic per seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from spic.labelsets import CAMVID11

#: The clip's label set.
LABEL_SET = CAMVID11

SKY, BUILDING, POLE, ROAD, PAVEMENT, TREE, SIGN, FENCE, CAR, PEDESTRIAN, BICYCLIST = range(11)

#: Base RGB colour per class (not the label palette: plausible scene colours).
_COLOURS = np.array([
    (135, 180, 230), (150, 120, 100), (90, 90, 95), (85, 85, 90), (170, 160, 150),
    (60, 120, 50), (220, 200, 40), (120, 100, 70), (180, 30, 30), (60, 60, 140),
    (40, 140, 160),
], np.float32)
#: Texture strength per class (std of the noise field, in grey levels).
_TEXTURE = np.array([3, 14, 4, 8, 10, 28, 4, 12, 6, 10, 10], np.float32)


@dataclass(frozen=True)
class SyntheticFrame:
    rgb: np.ndarray     # H x W x 3 uint8
    labels: np.ndarray  # H x W uint8, camvid11 (0..10)


def _labels(t: int, width: int, height: int, rng_seed: int) -> np.ndarray:
    """The label map of frame ``t``: geometry moves with the frame index."""
    rng = np.random.default_rng(rng_seed)
    w, h = width, height
    lab = np.full((h, w), SKY, np.uint8)
    horizon = int(0.45 * h)
    vx = w // 2
    # buildings on both sides, scrolling outwards as the camera advances
    for side in (-1, 1):
        x = vx
        k = 0
        while 0 <= x <= w:
            bw = int(w * (0.10 + 0.08 * rng.random()))
            top = int(horizon - h * (0.15 + 0.25 * rng.random()))
            shift = (t * 3 * side) % max(bw, 1)
            x0, x1 = sorted((x + side * shift, x + side * (shift + bw)))
            if abs(x0 - vx) > 0.12 * w or abs(x1 - vx) > 0.12 * w:
                cv2.rectangle(lab, (x0, top), (x1, horizon + 2), BUILDING, -1)
            x += side * bw
            k += 1
            if k > 40:
                break
    # road and pavements (trapezoids to the vanishing point)
    road = np.array([[vx - 0.04 * w, horizon], [vx + 0.04 * w, horizon],
                     [w * 1.1, h], [-0.1 * w, h]], np.int32)
    cv2.fillPoly(lab, [np.array([[0, horizon], [w, horizon], [w, h], [0, h]], np.int32)], PAVEMENT)
    cv2.fillPoly(lab, [road], ROAD)
    # fence along the left pavement
    cv2.fillPoly(lab, [np.array([[0, int(horizon + 0.05 * h)], [vx - 0.06 * w, horizon],
                                 [vx - 0.06 * w, horizon + 3], [0, int(horizon + 0.12 * h)]],
                                np.int32)], FENCE)
    # trees and poles receding: positions depend on (phase + t)
    for i in range(4):
        depth = ((i * 0.25 + t * 0.03) % 1.0)
        scale = 0.15 + 0.85 * depth
        y_base = int(horizon + scale * (h - horizon) * 0.6)
        for side in (-1, 1):
            x = int(vx + side * scale * w * 0.48)
            if i % 2 == 0:
                r = int(scale * 0.09 * h) + 2
                cv2.rectangle(lab, (x - max(1, r // 5), y_base - 2 * r), (x + max(1, r // 5), y_base),
                              TREE, -1)
                cv2.circle(lab, (x, y_base - 2 * r), r + 3, TREE, -1)
            else:
                ph = int(scale * 0.35 * h) + 4
                cv2.rectangle(lab, (x - 1, y_base - ph), (x + 1 + int(2 * scale), y_base), POLE, -1)
                s = int(scale * 0.05 * h) + 2
                cv2.rectangle(lab, (x - s, y_base - ph - s), (x + s, y_base - ph + s), SIGN, -1)
    # cars on the road, moving across lanes
    for i, (lane, speed) in enumerate(((-0.18, 5), (0.2, -3))):
        depth = 0.35 + 0.25 * i
        cy = int(horizon + depth * (h - horizon))
        cw, ch = int(0.12 * w * (0.5 + depth)), int(0.07 * h * (0.5 + depth))
        cx = int(vx + lane * w + speed * t) % w
        cv2.rectangle(lab, (cx - cw // 2, cy - ch), (cx + cw // 2, cy), CAR, -1)
        cv2.rectangle(lab, (cx - cw // 3, cy - int(1.6 * ch)), (cx + cw // 3, cy - ch), CAR, -1)
    # a pedestrian on the right pavement and a cyclist on the left
    px = int(0.85 * w - 2 * t) % w
    py = int(horizon + 0.45 * (h - horizon))
    ph = int(0.16 * h)
    cv2.rectangle(lab, (px - ph // 8, py - ph), (px + ph // 8, py), PEDESTRIAN, -1)
    cv2.circle(lab, (px, py - ph - ph // 8), max(2, ph // 8), PEDESTRIAN, -1)
    bx = int(0.2 * w + 3 * t) % w
    by = int(horizon + 0.7 * (h - horizon))
    br = max(3, int(0.04 * h))
    cv2.circle(lab, (bx - 2 * br, by), br, BICYCLIST, 2)
    cv2.circle(lab, (bx + 2 * br, by), br, BICYCLIST, 2)
    cv2.rectangle(lab, (bx - br // 2, by - 5 * br), (bx + br // 2, by - br), BICYCLIST, -1)
    return lab


def _render(lab: np.ndarray, t: int, seed: int) -> np.ndarray:
    """RGB frame from a label map: class colours, textures, lane marks, windows, noise, blur."""
    h, w = lab.shape
    rng = np.random.default_rng(seed * 100_003 + t)
    rgb = _COLOURS[lab].copy()
    # static texture (same every frame, shifted with t) plus a vertical shading gradient
    tex_rng = np.random.default_rng(seed)
    texture = cv2.GaussianBlur(tex_rng.normal(0, 1, (h, w + 64)).astype(np.float32), (0, 0), 1.5)
    texture = np.roll(texture, t * 2, axis=1)[:, :w] * 2.5
    rgb += (texture * _TEXTURE[lab])[:, :, None]
    rgb *= np.linspace(1.05, 0.85, h, dtype=np.float32)[:, None, None]
    # windows on buildings, lane dashes on the road
    ys, xs = np.mgrid[0:h, 0:w]
    windows = (lab == BUILDING) & ((ys // 6) % 3 == 0) & (((xs + 3 * t) // 5) % 3 == 0)
    rgb[windows] = (60, 70, 90)
    road = lab == ROAD
    centre = np.abs(xs - w / 2) < (1 + 3.0 * (ys - 0.45 * h).clip(0) / h)
    dashes = ((ys + 6 * t) // 12) % 2 == 0
    rgb[road & centre & dashes] = (235, 235, 225)
    rgb += rng.normal(0, 2.0, rgb.shape).astype(np.float32)
    rgb = cv2.GaussianBlur(rgb, (3, 3), 0.6)
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


def synthetic_clip(num_frames: int = 12, width: int = 480, height: int = 360,
                   seed: int = 0) -> list[SyntheticFrame]:
    """``num_frames`` consecutive frames of the synthetic scene (labels in ``camvid11``)."""
    if num_frames < 1 or width < 16 or height < 16:
        raise ValueError("need at least 1 frame of at least 16x16 pixels")
    frames = []
    for t in range(num_frames):
        lab = _labels(t, width, height, seed)
        frames.append(SyntheticFrame(_render(lab, t, seed), lab))
    return frames


def write_clip(folder: str | Path, frames: list[SyntheticFrame]) -> tuple[Path, Path]:
    """Write ``images/NNNN.png`` and ``labels/NNNN.png``; returns both folders."""
    images, labels = Path(folder) / "images", Path(folder) / "labels"
    images.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        Image.fromarray(frame.rgb).save(images / f"{i:04d}.png")
        Image.fromarray(frame.labels).save(labels / f"{i:04d}.png")
    return images, labels

