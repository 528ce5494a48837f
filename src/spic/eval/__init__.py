"""Evaluation harness: rate vs. semantic fidelity of SPIC and conventional codecs.

Modules: ``confusion`` (mIoU), ``psnr``, ``backbones`` + ``lpips``, ``fid``, ``judge``,
``methods`` (what is evaluated), ``rate_matching``, ``results`` (JSON/CSV with resume),
``runner`` (the loop), ``plots``.
"""
