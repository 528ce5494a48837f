"""``spic eval`` / ``spic plot`` end to end on a tiny CamVid-layout dataset.

The judge and the vehicle segmenter are real (tiny) ONNX models run by onnxruntime:
1x1 convolutions whose argmax picks the dominant colour channel, with JSON sidecars.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spic.cli import main
from spic.codecs import create_codec
from spic.eval.psnr import psnr
from spic.pipeline import EncoderConfig, SemanticEncoder
from spic.segmentation.onnx_segmenter import OnnxSegmenter

H, W, FRAMES = 48, 64, 4


def _write_colour_argmax_model(path: Path, bias: float) -> Path:
    """1x1 conv: channel c < 3 scores colour channel c, the others (void included) score low."""
    import onnx
    from onnx import TensorProto, helper

    weight = np.zeros((12, 3, 1, 1), np.float32)
    for c in range(3):
        weight[c, c] = 1.0
    b = np.full(12, -5.0, np.float32)
    b[:3] = (0.0, bias, 0.0)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["image", "w", "b"], ["logits"])], "colour_argmax",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, "h", "w"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 12, "h", "w"])],
        [helper.make_tensor("w", TensorProto.FLOAT, weight.shape, weight.ravel()),
         helper.make_tensor("b", TensorProto.FLOAT, b.shape, b)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)
    names = ["Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence",
             "Car", "Pedestrian", "Bicyclist", "Void"]
    path.with_suffix(".json").write_text(json.dumps({
        "label_set": "camvid11", "num_output_channels": 12, "class_names": names,
        "input": {"size_constraint": {"multiple_of": 1, "min_height": 1, "min_width": 1}}}))
    return path


def _frame(i: int) -> tuple[np.ndarray, np.ndarray]:
    """Three vertical bands of red/green/blue (labels 0/1/2) with texture; some void."""
    labels = np.zeros((H, W), np.uint8)
    labels[:, W // 3: 2 * W // 3] = 1
    labels[:, 2 * W // 3:] = 2
    labels = np.roll(labels, 3 * i, axis=1)
    yy, xx = np.mgrid[0:H, 0:W]
    rgb = np.full((H, W, 3), 40, np.int32)
    for c in range(3):
        rgb[..., c][labels == c] = 200
    rgb += ((xx * 7 + yy * 13 + i * 5) % 31 - 15)[..., None]
    labels[:2] = 11  # void rows: ignored by the scoring
    return np.clip(rgb, 0, 255).astype(np.uint8), labels


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("evalws")
    data = root / "camvid"
    (data / "val").mkdir(parents=True)
    (data / "valannot").mkdir()
    for i in range(FRAMES):
        rgb, labels = _frame(i)
        Image.fromarray(rgb).save(data / "val" / f"f{i}.png")
        Image.fromarray(labels).save(data / "valannot" / f"f{i}.png")
    return {"data": data, "judge": _write_colour_argmax_model(root / "judge.onnx", 0.0),
            "vehicle": _write_colour_argmax_model(root / "vehicle.onnx", 0.05),
            "out": root / "out"}


def _eval_args(ws: dict, *extra: str) -> list[str]:
    return ["eval", "--data", f"camvid:{ws['data']}", "--out", str(ws["out"]),
            "--judge", str(ws["judge"]), "--method", "spic", "--method", "jpeg",
            "--method", "coarse+bicubic", "--points", "spic=60", "--points", "jpeg=20,90",
            "--points", "coarse+bicubic=60", "--spic-segmenter", "onnx",
            "--spic-segmenter-option", f"model={ws['vehicle']}", "--spic-ssm-codec", "png",
            "--spic-coarse-codec", "webp", "--spic-decoder", "bicubic",
            "--metrics", "miou,psnr,lpips-alex,fid", "--match", "spic", *extra]


@pytest.fixture(scope="module")
def results(workspace) -> dict:
    assert main(_eval_args(workspace)) == 0
    out = workspace["out"]
    return {name: json.loads((out / f"{name}.json").read_text())
            for name in ("spic", "jpeg", "coarse+bicubic")}


def test_json_layout_and_csv(results, workspace):
    jpeg = results["jpeg"]
    assert jpeg["name"] == "jpeg" and jpeg["settings"]["points"] == [20, 90]
    assert jpeg["results"]["point"] == ["q20", "q90", "match:spic@q60"]
    assert all(n == FRAMES for n in jpeg["results"]["num_frames"])
    assert len(jpeg["per_frame"]["q20"]) == FRAMES
    rows = (workspace["out"] / "results.csv").read_text().splitlines()
    assert rows[0].startswith("method,point,quality") and len(rows) == 1 + 3 + 1 + 1


def test_bpp_is_the_real_number_of_bytes(results, workspace):
    frames = {r["frame"]: r for r in results["jpeg"]["per_frame"]["q20"]}
    spic = {r["frame"]: r for r in results["spic"]["per_frame"]["q60"]}
    encoder = SemanticEncoder(EncoderConfig(ssm_codec="png", coarse_codec="webp",
                                            coarse_quality=60),
                              segmenter=OnnxSegmenter(str(workspace["vehicle"])))
    for i in range(FRAMES):
        rgb, _ = _frame(i)
        nbytes = len(create_codec("jpeg", quality=20).encode(rgb))
        assert frames[f"f{i}"]["bpp"] == pytest.approx(8 * nbytes / (H * W))
        payload = encoder.encode(rgb)
        assert spic[f"f{i}"]["bpp"] == pytest.approx(8 * payload.num_bytes / (H * W))
        assert spic[f"f{i}"]["bpp_ssm"] == pytest.approx(8 * len(payload.ssm_data) / (H * W))
        assert spic[f"f{i}"]["bpp_coarse"] == pytest.approx(
            8 * len(payload.coarse_data) / (H * W))


def test_psnr_and_miou_of_reconstructions(results):
    res = results["jpeg"]["results"]
    rgb, _ = _frame(0)
    codec = create_codec("jpeg", quality=90)
    expected = psnr(rgb, codec.decode(codec.encode(rgb)))
    assert results["jpeg"]["per_frame"]["q90"][0]["psnr"] == pytest.approx(expected)
    # the colour bands survive JPEG q90: the judge finds them again everywhere
    assert res["miou_labels"][1] == pytest.approx(1.0, abs=0.02)
    assert res["miou_judge"][1] == pytest.approx(1.0, abs=0.02)
    assert res["psnr"][1] > res["psnr"][0]
    assert res["lpips_alex"][1] < res["lpips_alex"][0]
    assert res["fid_vgg16"][1] >= 0 and res["fid_vgg16"][1] < res["fid_vgg16"][0]


def test_rate_matched_points_land_near_spic(results):
    spic_bpp = results["spic"]["results"]["bpp"][0]
    matched = results["jpeg"]["results"]["bpp"][2]
    others = results["jpeg"]["results"]["bpp"][:2]
    assert abs(matched - spic_bpp) <= min(abs(b - spic_bpp) for b in others)


def test_resume_skips_done_frames_and_redoes_missing_ones(results, workspace):
    records = workspace["out"] / "records" / "jpeg.jsonl"
    lines = records.read_text().splitlines()
    assert len(lines) == 3 * FRAMES
    records.write_text("\n".join(lines[:-2]) + "\n" + lines[-2][:10])  # cut mid-line
    assert main(_eval_args(workspace)) == 0
    redone = records.read_text().splitlines()
    assert redone[: len(lines) - 2] == lines[:-2]
    assert len([json.loads(x) for x in redone if x.startswith("{") and x.endswith("}")]) \
        == 3 * FRAMES


def test_judge_must_not_be_the_vehicle_segmenter(workspace, tmp_path, capsys):
    args = _eval_args({**workspace, "judge": workspace["vehicle"], "out": tmp_path / "x"})
    assert main(args) == 1
    assert "vehicle's segmenter" in capsys.readouterr().err


def test_plot_writes_rd_curves_and_contact_sheet(results, workspace, tmp_path):
    table = tmp_path / "table.md"
    assert main(["plot", str(workspace["out"]), "--out", str(tmp_path),
                 "--markdown", str(table)]) == 0
    for name in ("miou_labels_vs_bpp.png", "psnr_vs_bpp.png", "lpips_alex_vs_bpp.png",
                 "fid_vgg16_vs_bpp.png", "contact_sheet.png"):
        with Image.open(tmp_path / name) as img:
            assert img.width > 100
    rows = [r for r in table.read_text().splitlines() if r.startswith("| ")]
    assert rows[1].startswith("| spic | q60 | 4 |") and len(rows) == 1 + 1 + 3 + 1
    assert "non-standard" in table.read_text()


def test_record_store_ignores_frames_written_twice_by_parallel_runs(tmp_path):
    from spic.eval.results import RecordStore

    a, b = RecordStore(tmp_path, "m"), RecordStore(tmp_path, "m")  # two processes
    a.append({"point": "q1", "frame": "f0", "key": "k", "bpp": 1.0})
    b.append({"point": "q1", "frame": "f0", "key": "k", "bpp": 1.0})
    b.append({"point": "q1", "frame": "f1", "key": "k", "bpp": 2.0})
    records = RecordStore(tmp_path, "m").records({("q1", "f0"): "k", ("q1", "f1"): "k"})
    assert [(r["frame"], r["bpp"]) for r in records] == [("f0", 1.0), ("f1", 2.0)]


def test_record_store_counts_a_record_only_under_its_content_key(tmp_path):
    from spic.eval.results import RecordStore

    store = RecordStore(tmp_path, "m")
    store.append({"point": "q1", "frame": "f0", "key": "old-codec", "bpp": 1.0})
    store.append({"point": "q1", "frame": "f0", "key": "new-codec", "bpp": 3.0})
    store = RecordStore(tmp_path, "m")
    assert store.done("q1", "f0", "new-codec") and not store.done("q1", "f0", "other")
    assert [r["bpp"] for r in store.records({("q1", "f0"): "new-codec"})] == [3.0]
    assert store.records({("q1", "f0"): "other"}) == []


def test_a_changed_method_or_frame_is_recomputed_not_reused(workspace, tmp_path):
    """Resuming with other codec parameters, or after a frame's bytes changed, recomputes."""
    out, data = tmp_path / "run", tmp_path / "camvid"
    shutil.copytree(workspace["data"], data)
    base = ["eval", "--data", f"camvid:{data}", "--out", str(out),
            "--judge", str(workspace["judge"]), "--method", "webp", "--points", "webp=50",
            "--metrics", "psnr"]
    lines = lambda: (out / "records" / "webp.jsonl").read_text().count("\n")  # noqa: E731
    assert main(base) == 0
    first = lines()
    assert main(base) == 0 and lines() == first  # same content: reused
    from spic.eval.fingerprint import method_key
    from spic.eval.methods import CodecMethod
    assert method_key(CodecMethod("webp", (50,)), 50) != method_key(CodecMethod("webp", (50,)), 51)
    image = sorted((data / "val").glob("*.png"))[0]
    image.write_bytes(image.read_bytes() + b"\0")  # same pixels, other bytes: another key
    assert main(base) == 0 and lines() == first + 1


def test_several_judges_in_one_run_and_ground_truth_maps(workspace, tmp_path):
    """Reconstruct once, judge many; ``--ssm gt`` codes the dataset's own maps."""
    second = _write_colour_argmax_model(tmp_path / "second.onnx", 0.3)
    out = tmp_path / "gt"
    args = ["eval", "--data", f"camvid:{workspace['data']}", "--out", str(out),
            "--judge", str(workspace["judge"]), "--judge", str(second),
            "--method", "spic", "--points", "spic=60", "--ssm", "gt",
            "--spic-segmenter", "onnx", "--spic-segmenter-option", f"model={workspace['vehicle']}",
            "--spic-ssm-codec", "png", "--spic-coarse-codec", "webp",
            "--spic-decoder", "bicubic", "--metrics", "miou,psnr"]
    assert main(args) == 0
    spic = json.loads((out / "spic.json").read_text())
    assert spic["settings"]["ssm_source"] == "gt"
    assert set(spic["settings"]["judges"]) == {"judge", "second"}
    per_judge = spic["results"]["judges"][0]
    assert set(per_judge) == {"judge", "second"}
    for scores in per_judge.values():
        assert len(scores["iou_per_class_labels"]) == 11
    # the first judge also fills the top-level fields
    assert spic["results"]["miou_labels"][0] == per_judge["judge"]["miou_labels"]
    encoder = SemanticEncoder(EncoderConfig(ssm_codec="png", coarse_codec="webp",
                                            coarse_quality=60))
    for i, frame in enumerate(spic["per_frame"]["q60"]):
        rgb, labels = _frame(i)
        payload = encoder.encode(rgb, ssm=labels, label_set="camvid11")
        assert frame["bpp_ssm"] == pytest.approx(8 * len(payload.ssm_data) / (H * W))
    reference = json.loads((out / "reference.json").read_text())
    assert set(reference["judges"]) == {"judge", "second"}


def test_a_judge_the_segmenter_was_distilled_from_is_flagged(tmp_path):
    from spic.cli.eval import judge_relations
    from spic.eval.methods import SpicMethod
    from spic.pipeline import DecoderConfig

    method = SpicMethod((60,), EncoderConfig(segmenter="spic", ssm_codec="png",
                                             coarse_codec="webp"),
                        DecoderConfig(reconstructor="bicubic"))
    judges = [tmp_path / "espnet_camvid.onnx", tmp_path / "espnetv2_cityscapes.onnx"]
    relations = judge_relations(judges, [method])
    assert relations["espnet_camvid"] == "the vehicle segmenter was distilled from it"
    assert relations["espnetv2_cityscapes"] is None
    gt = SpicMethod((60,), EncoderConfig(segmenter="spic", ssm_codec="png", coarse_codec="webp"),
                    DecoderConfig(reconstructor="bicubic"), ssm="gt")
    assert judge_relations(judges, [gt]) == {"espnet_camvid": None, "espnetv2_cityscapes": None}


def test_rd_report_draws_curves_and_bd_rates_from_run_folders(results, workspace, tmp_path):
    """tools/rd_report.py over a real run: SPIC's BD-rate against JPEG on every quality."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "rd"
    subprocess.run([sys.executable, str(repo / "tools" / "rd_report.py"),
                    "--run", f"labels={workspace['out']}", "--reference-run", str(workspace["out"]),
                    "--curve", "jpeg", "--anchor", "jpeg", "--baseline", "coarse+bicubic",
                    "--out", str(out)], check=True, capture_output=True)
    report = json.loads((out / "rd.json").read_text())
    methods = {(c["map"], c["method"]) for c in report["curves"]}
    assert methods == {("labels", "jpeg"), ("reference", "jpeg"), ("reference", "coarse+bicubic")}
    qualities = {r["quality"] for r in report["bd"]}
    assert qualities == {"mIoU judge", "LPIPS-Alex", "PSNR (dB)"}
    psnr = next(r for r in report["bd"] if r["quality"] == "PSNR (dB)")
    assert psnr["bd_rate_percent"] == pytest.approx(0.0, abs=1e-6)  # a curve against itself
    assert psnr["bd_quality"] == pytest.approx(0.0, abs=1e-6)
    assert "| labels | jpeg | jpeg | mIoU judge |" in (out / "rd.md").read_text()
    assert (out / "rd_miou_judge.png").stat().st_size > 1000


def test_match_at_one_point_adds_only_that_rate_matched_point(workspace, tmp_path):
    out = tmp_path / "one"
    args = [a if a != str(workspace["out"]) else str(out) for a in _eval_args(workspace)]
    args[args.index("--match") + 1] = "spic@q60"
    args[args.index("spic=60")] = "spic=60,40"
    args[args.index("miou,psnr,lpips-alex,fid")] = "psnr"
    assert main(args) == 0
    points = json.loads((out / "jpeg.json").read_text())["results"]["point"]
    assert points == ["q20", "q90", "match:spic@q60"]


def test_variants_differing_only_in_the_map_codec_reconstruct_and_measure_once(workspace,
                                                                             tmp_path):
    """Other map bytes, the same frames: the second variant reuses the cached reconstruction
    and metrics, and still reports the real reconstruction time."""
    out = tmp_path / "codecs"
    base = ["eval", "--data", f"camvid:{workspace['data']}", "--out", str(out),
            "--judge", str(workspace["judge"]), "--method", "spic", "--points", "spic=60",
            "--ssm", "gt", "--spic-coarse-codec", "webp", "--spic-decoder", "bicubic",
            "--metrics", "miou,psnr"]
    assert main(base + ["--spic-ssm-codec", "png", "--spic-name", "png-map"]) == 0
    recon = sorted((out / "cache" / "recon").rglob("*.png"))
    metrics = sorted((out / "cache" / "metrics").rglob("*.json"))
    assert recon and metrics
    assert main(base + ["--spic-ssm-codec", "slc", "--spic-name", "slc-map"]) == 0
    assert sorted((out / "cache" / "recon").rglob("*.png")) == recon  # nothing new
    assert sorted((out / "cache" / "metrics").rglob("*.json")) == metrics
    png, slc = (json.loads((out / f"{n}.json").read_text())["results"]
                for n in ("png-map", "slc-map"))
    assert png["psnr"] == slc["psnr"] and png["miou_labels"] == slc["miou_labels"]
    assert slc["bpp_ssm"][0] < png["bpp_ssm"][0]  # the label codec is smaller
    assert slc["bpp_coarse"] == png["bpp_coarse"]
