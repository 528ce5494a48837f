"""spic — ROS-free core of spic_ros: semantic-preserving image coding (SPIC).

Data flow (vehicle -> remote):
    RGB frame -> segmentation -> SSM --(lossless codec, e.g. FLIF)--> bytes
              -> 4x area downscale -> coarse --(lossy codec, e.g. BPG)--> bytes
    bytes -> SSM + coarse -> reconstructor (bicubic | SCSRDM diffusion) -> RGB frame
"""

import os

# torch's OpenMP (libgomp) busy-waits between parallel regions by default. When another
# process holds one of the cores (a robot's other nodes, a training run), a 2-thread U-Net
# pass became about 60x slower here. Passive waiting costs nothing measurable when idle.
# It only takes effect if set before torch is first imported; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
