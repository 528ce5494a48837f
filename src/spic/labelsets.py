"""Label sets as data: class names, void value, colour palettes and mappings between sets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LabelSet:
    """A semantic label set. Label values ``0..num_classes-1`` are classes; ``void`` is ignored."""

    id: str
    names: tuple[str, ...]
    void: int
    palette: tuple[tuple[int, int, int], ...]

    @property
    def num_classes(self) -> int:
        return len(self.names)

    def colorize(self, labels: np.ndarray) -> np.ndarray:
        """RGB rendering of a label map (void and unknown values are black)."""
        lut = np.zeros((256, 3), np.uint8)
        lut[: self.num_classes] = np.asarray(self.palette, np.uint8)
        return lut[labels]


CAMVID11 = LabelSet(
    id="camvid11",
    names=("Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence",
           "Car", "Pedestrian", "Bicyclist"),
    void=11,
    palette=((128, 128, 128), (128, 0, 0), (192, 192, 128), (128, 64, 128), (60, 40, 222),
             (128, 128, 0), (192, 128, 128), (64, 64, 128), (64, 0, 128), (64, 64, 0),
             (0, 128, 192)),
)

CITYSCAPES19 = LabelSet(
    id="cityscapes19",
    names=("road", "sidewalk", "building", "wall", "fence", "pole", "traffic light",
           "traffic sign", "vegetation", "terrain", "sky", "person", "rider", "car", "truck",
           "bus", "train", "motorcycle", "bicycle"),
    void=255,
    palette=((128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153),
             (153, 153, 153), (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152),
             (70, 130, 180), (220, 20, 60), (255, 0, 0), (0, 0, 142), (0, 0, 70),
             (0, 60, 100), (0, 80, 100), (0, 0, 230), (119, 11, 32)),
)

LABEL_SETS: dict[str, LabelSet] = {s.id: s for s in (CAMVID11, CITYSCAPES19)}

#: Cityscapes trainId -> CamVid-11 class (the judges' scoring map; every trainId is mapped).
CITYSCAPES19_TO_CAMVID11: dict[int, int] = {
    0: 3, 1: 4, 2: 1, 3: 1, 4: 7, 5: 2, 6: 6, 7: 6, 8: 5, 9: 5, 10: 0,
    11: 9, 12: 10, 13: 8, 14: 8, 15: 8, 16: 8, 17: 10, 18: 10,
}


def get_label_set(label_set_id: str) -> LabelSet:
    """Look up a label set by id; raises ``ValueError`` listing the known ids."""
    try:
        return LABEL_SETS[label_set_id]
    except KeyError:
        raise ValueError(f"unknown label set {label_set_id!r}; known: {sorted(LABEL_SETS)}") from None


def mapping_lut(source: str, target: str) -> np.ndarray:
    """A 256-entry uint8 lookup table mapping labels of ``source`` to ``target``.

    Values without a mapping (void included) map to the target's void value.
    """
    src, dst = get_label_set(source), get_label_set(target)
    lut = np.full(256, dst.void, np.uint8)
    if source == target:
        lut[: src.num_classes] = np.arange(src.num_classes)
        return lut
    if (source, target) == ("cityscapes19", "camvid11"):
        for k, v in CITYSCAPES19_TO_CAMVID11.items():
            lut[k] = v
        return lut
    raise ValueError(f"no mapping from {source!r} to {target!r}")
