"""spic — ROS-free core of spic_ros: semantic-preserving image coding (SPIC).

Data flow (vehicle -> remote):
    RGB frame -> segmentation -> SSM --(lossless codec, e.g. FLIF)--> bytes
              -> 4x area downscale -> coarse --(lossy codec, e.g. BPG)--> bytes
    bytes -> SSM + coarse -> reconstructor (bicubic | SCSRDM diffusion) -> RGB frame
"""

__version__ = "0.1.0"
