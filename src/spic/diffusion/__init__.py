"""SCSRDM: the semantically-conditioned super-resolution diffusion model.

``unet`` (the denoiser), ``schedulers`` (noise schedule, DDPM/DDIM samplers),
``pipeline`` (sampling with start modes and guidance), ``checkpoint`` (safetensors +
JSON), ``data`` (training frames), ``train`` (training loop). Importing this package
is cheap; import the submodules for the parts you need.
"""
