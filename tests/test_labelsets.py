"""Label sets as data: names, palettes, void values and the cityscapes19 -> camvid11 table."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spic.labelsets import CAMVID11, CITYSCAPES19, LABEL_SETS, get_label_set, mapping_lut


def test_label_sets_are_consistent():
    assert CAMVID11.num_classes == 11 and CAMVID11.void == 11
    assert CITYSCAPES19.num_classes == 19 and CITYSCAPES19.void == 255
    for ls in LABEL_SETS.values():
        assert len(ls.palette) == ls.num_classes
        assert len(set(ls.palette)) == ls.num_classes, f"{ls.id}: palette colours repeat"
        assert all(0 <= c <= 255 for colour in ls.palette for c in colour)


def test_colorize_uses_palette_and_black_void():
    labels = np.array([[0, 3], [11, 200]], np.uint8)
    rgb = CAMVID11.colorize(labels)
    assert rgb.shape == (2, 2, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[0, 0]) == CAMVID11.palette[0] and tuple(rgb[0, 1]) == CAMVID11.palette[3]
    assert not rgb[1].any()


def test_identity_mapping_keeps_classes_and_voids_the_rest():
    lut = mapping_lut("camvid11", "camvid11")
    assert list(lut[:11]) == list(range(11))
    assert set(lut[11:].tolist()) == {11}


def test_cityscapes_to_camvid_table():
    lut = mapping_lut("cityscapes19", "camvid11")
    names = dict(zip(CITYSCAPES19.names, (CAMVID11.names[v] for v in lut[:19])))
    assert names["road"] == "Road" and names["sidewalk"] == "Pavement"
    assert names["wall"] == "Building" and names["terrain"] == "Tree"
    assert names["rider"] == names["bicycle"] == names["motorcycle"] == "Bicyclist"
    assert names["truck"] == names["bus"] == names["train"] == "Car"
    assert lut[19] == 11 and lut[255] == 11  # background / ignore -> void
    assert set(lut[:19].tolist()) == set(range(11))  # every CamVid class is reachable


def test_table_matches_the_judge_sidecar(models_dir):
    meta = json.loads((models_dir / "espnetv2_cityscapes.json").read_text())
    lut = mapping_lut("cityscapes19", "camvid11")
    for channel, camvid in meta["cityscapes19_to_camvid11_ids"].items():
        assert lut[int(channel)] == (CAMVID11.void if camvid is None else camvid), channel


def test_unknown_label_set_and_mapping_raise_value_error():
    with pytest.raises(ValueError, match="known"):
        get_label_set("ade20k")
    with pytest.raises(ValueError, match="no mapping"):
        mapping_lut("camvid11", "cityscapes19")
