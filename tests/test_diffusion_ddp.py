"""DistributedDataParallel training: 2 CPU processes (gloo) under torchrun end identical."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch
from safetensors.torch import load_file

from spic.diffusion.unet import SCSRDMUNet, UNetConfig

WORKER = textwrap.dedent("""
    import sys
    import torch.distributed as dist
    from safetensors.torch import save_file
    from spic.diffusion.data import CoarseSpec
    from spic.diffusion.train import TrainConfig, train
    from spic.diffusion.unet import UNetConfig

    data, out = sys.argv[1], sys.argv[2]
    cfg = TrainConfig(data=data, out_dir=out, cache_dir=out + "/cache",
                      coarse=CoarseSpec("webp", 60, 4),
                      unet=UNetConfig(base_channels=8, channel_mult=(1, 2), spade_hidden=4,
                                      mid_attention=False),
                      crop=32, batch_size=2, steps=3, checkpoint_every=3, val_frames=0,
                      train_limit=2, progress=False)
    result = train(cfg)
    rank, world = dist.get_rank(), dist.get_world_size()
    state = {f"model.{k}": v.contiguous() for k, v in result.model.state_dict().items()}
    state.update({f"ema.{k}": v.contiguous() for k, v in result.ema.state_dict().items()})
    save_file(state, f"{out}/rank{rank}.safetensors")
    print("world", world, "rank", rank, "step", result.summary["step"])
    dist.destroy_process_group()
""")


@pytest.mark.timeout(300)
def test_two_gloo_ranks_end_with_identical_weights(camvid_dir, tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = dict(os.environ, OMP_NUM_THREADS="1", GLOO_SOCKET_IFNAME="lo")
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
         str(script), f"camvid:{camvid_dir}", str(tmp_path)],
        capture_output=True, text=True, timeout=280, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    a, b = load_file(tmp_path / "rank0.safetensors"), load_file(tmp_path / "rank1.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    # Training really moved the weights (from the seeded initialisation), in step on both ranks.
    torch.manual_seed(0)
    init = SCSRDMUNet(UNetConfig(base_channels=8, channel_mult=(1, 2), spade_hidden=4,
                                 mid_attention=False)).state_dict()
    assert not torch.equal(a["model.stem.weight"], init["stem.weight"])
    assert (tmp_path / "checkpoint" / "model.safetensors").exists()
