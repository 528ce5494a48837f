"""Embedded default weights (data only): ``segmenter/``, ``scsrdm/`` and ``lpips/`` (built by setup)."""
