"""Reconstructor registry (``bicubic`` baseline; ``scsrdm`` diffusion decoder)."""

from spic.reconstruction.base import Reconstructor
from spic.registry import Registry

RECONSTRUCTORS: Registry[Reconstructor] = Registry("reconstructor")
RECONSTRUCTORS.register_lazy("bicubic", "spic.reconstruction.bicubic:BicubicReconstructor")
RECONSTRUCTORS.register_lazy("scsrdm", "spic.reconstruction.scsrdm:ScsrdmReconstructor")

__all__ = ["RECONSTRUCTORS", "Reconstructor"]
