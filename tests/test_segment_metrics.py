"""Confusion-matrix metrics: void ignored, predicted void counted wrong, sums over frames."""

from __future__ import annotations

import numpy as np
import pytest

from spic.confusion import ConfusionMatrix


def test_hand_computed_iou_and_accuracy():
    cm = ConfusionMatrix(3)
    truth = np.array([0, 0, 1, 1, 2, 9], np.uint8)  # 9: void, ignored
    pred = np.array([0, 1, 1, 1, 7, 0], np.uint8)   # 7: not a class -> wrong
    cm.update(truth, pred)
    np.testing.assert_allclose(cm.iou(), [1 / 2, 2 / 3, 0.0])
    assert cm.mean_iou() == pytest.approx((1 / 2 + 2 / 3 + 0) / 3)
    assert cm.pixel_accuracy() == pytest.approx(3 / 5)


def test_counts_are_summed_over_frames_not_averaged():
    cm = ConfusionMatrix(2)
    cm.update(np.array([0, 0, 0, 0]), np.array([0, 0, 0, 1]))  # big frame
    cm.update(np.array([1]), np.array([1]))
    np.testing.assert_allclose(cm.iou(), [3 / 4, 1 / 2])


def test_absent_class_is_nan_and_skipped():
    cm = ConfusionMatrix(3)
    cm.update(np.array([0, 1]), np.array([0, 1]))
    assert np.isnan(cm.iou()[2]) and cm.mean_iou() == 1.0


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match="shape"):
        ConfusionMatrix(2).update(np.zeros((2, 2)), np.zeros((2, 3)))
