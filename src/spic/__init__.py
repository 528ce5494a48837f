"""spic — ROS-free core of spic_ros: semantic-preserving image coding (SPIC).

Data flow (vehicle -> remote):
    RGB frame -> segmentation -> SSM --(lossless codec, e.g. FLIF)--> bytes
              -> 4x area downscale -> coarse --(lossy codec, e.g. BPG)--> bytes
    bytes -> SSM + coarse -> reconstructor (bicubic | SCSRDM diffusion) -> RGB frame
"""

import os

# torch's OpenMP (libgomp) busy-waits between parallel regions by default, which collapses
# when other processes want the same cores (a robot's other nodes): measured on 2 cores, one
# 2-thread SCSRDM frame took 7.1 s beside one busy process instead of 1.9 s alone, and a
# small frame became 60x slower beside a training run. Passive waiting: 3.5 s there, at
# ~20% cost on idle cores (2.3 s). Set OMP_WAIT_POLICY=ACTIVE for dedicated cores. This
# only takes effect before torch is first imported; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
