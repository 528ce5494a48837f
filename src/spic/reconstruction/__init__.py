"""Reconstructor registry: ``bicubic`` baseline; ``scsrdm`` diffusion decoder in its default
mode, ``scsrdm-fast`` (one distilled U-Net pass) and ``scsrdm-quality`` (20 guided steps)."""

from spic.reconstruction.base import ReconstructionInput, Reconstructor
from spic.registry import Registry

RECONSTRUCTORS: Registry[Reconstructor] = Registry("reconstructor")
RECONSTRUCTORS.register_lazy("bicubic", "spic.reconstruction.bicubic:BicubicReconstructor")
RECONSTRUCTORS.register_lazy("scsrdm", "spic.reconstruction.scsrdm:ScsrdmReconstructor")
RECONSTRUCTORS.register_lazy("scsrdm-fast", "spic.reconstruction.scsrdm:fast")
RECONSTRUCTORS.register_lazy("scsrdm-quality", "spic.reconstruction.scsrdm:quality")

__all__ = ["RECONSTRUCTORS", "ReconstructionInput", "Reconstructor"]
