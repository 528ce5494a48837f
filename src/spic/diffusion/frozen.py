"""The U-Net's inference graphs, traced and frozen once per input shape (float32 or bfloat16).

Frozen TorchScript folds the weights into the graph, so oneDNN keeps them pre-packed in its
layout and fuses convolutions with the element-wise work around them. With bf16 weights, on one 2-core
host a 480x360 fast-mode frame took 88-101 ms against 112-118 ms under bf16 autocast
(``benchmarks/bench_scsrdm.py --against bf16-autocast``, ``docs/results/scsrdm_speed.json``); whether
bf16 beats float32 at all, and whether float32 gains from frozen graphs, depends on the CPU
(:mod:`spic.diffusion.precision`).
A trace is specific to its input shapes, so each (batch, height, width) gets its own three
graphs (map modulations, encoder, decoder), made on first use in ~1.5 s and kept in a small
least-recently-used cache.

:class:`FrozenUNet` offers the three methods the pipeline calls on :class:`SCSRDMUNet`
(``semantic_modulations``, ``encode``, ``decode``) with the same results, to within bf16
rounding, and counts nothing itself: hooks on the wrapped modules do not fire inside a frozen
graph, so the pipeline counts decoder passes where it makes them.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Callable

import torch
from torch import nn

from spic.diffusion.unet import SPADE, Encoded, Modulations, SCSRDMUNet

#: Input-shape signatures whose graphs are kept (each shape's three graphs hold their own
#: pre-packed copy of the weights): a single-stream node uses one, a multi-stream one a few.
CACHE_SIZE = 6


def _flat(mods: Modulations, layers: list[SPADE]) -> list[torch.Tensor]:
    """Modulations as graph inputs/outputs: gamma, beta of each layer, in ``layers``' order."""
    return [t for layer in layers for t in mods[layer]]


def _nested(flat: list[torch.Tensor], layers: list[SPADE]) -> Modulations:
    return {layer: (flat[2 * i], flat[2 * i + 1]) for i, layer in enumerate(layers)}


class _Modulations(nn.Module):
    def __init__(self, unet: SCSRDMUNet, layers: list[SPADE]) -> None:
        super().__init__()
        self.unet, self.layers = unet, layers

    def forward(self, labels: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tuple(_flat(self.unet.semantic_modulations(labels), self.layers))


class _Encoder(nn.Module):
    def __init__(self, unet: SCSRDMUNet) -> None:
        super().__init__()
        self.unet = unet

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, coarse: torch.Tensor
                ) -> tuple[torch.Tensor, ...]:
        enc = self.unet.encode(x_t, t, coarse)
        return (enc.emb, enc.stem_in, *enc.skips)


class _Decoder(nn.Module):
    def __init__(self, unet: SCSRDMUNet, layers: list[SPADE]) -> None:
        super().__init__()
        self.unet, self.layers = unet, layers

    def forward(self, coarse: torch.Tensor, labels: torch.Tensor, emb: torch.Tensor,
                stem_in: torch.Tensor, skips: list[torch.Tensor], mods: list[torch.Tensor]
                ) -> torch.Tensor:
        return self.unet.decode(Encoded(emb, list(skips), stem_in), coarse, labels,
                                _nested(mods, self.layers))


def _signature(*tensors: torch.Tensor) -> tuple:
    return tuple((tuple(t.shape), t.dtype, t.device) for t in tensors)


class FrozenUNet:
    """A :class:`SCSRDMUNet` (in eval mode, weights in their final dtype) run as frozen graphs."""

    def __init__(self, unet: SCSRDMUNet, cache_size: int = CACHE_SIZE) -> None:
        self.unet = unet.eval()
        self.layers = [m for m in unet.modules() if isinstance(m, SPADE)]
        parts = {"modulations": _Modulations(unet, self.layers), "encoder": _Encoder(unet),
                 "decoder": _Decoder(unet, self.layers)}
        self._parts = {name: part.eval() for name, part in parts.items()}
        self._graphs: OrderedDict[tuple, Callable] = OrderedDict()
        self.cache_size = cache_size

    def _graph(self, part: str, args: tuple) -> Callable:
        """The frozen graph of ``part`` for these inputs' shapes (traced on first use)."""
        flat = [a for arg in args for a in (arg if isinstance(arg, list) else [arg])]
        key = (part, _signature(*flat))
        graph = self._graphs.get(key)
        if graph is None:
            with torch.no_grad(), warnings.catch_warnings():
                # the shape checks become constants: right for a graph made for one shape
                warnings.simplefilter("ignore", torch.jit.TracerWarning)
                # TorchScript is deprecated in favour of torch.compile, which takes ~90 s per
                # frame size here against ~1.5 s (scsrdm_speed.json); torch is pinned (2.13)
                warnings.simplefilter("ignore", DeprecationWarning)
                traced = torch.jit.trace(self._parts[part], args, check_trace=False)
                graph = torch.jit.freeze(traced)
            self._graphs[key] = graph
            while len(self._graphs) > 3 * self.cache_size:  # three parts per shape
                self._graphs.popitem(last=False)
        else:
            self._graphs.move_to_end(key)
        return graph

    def semantic_modulations(self, labels: torch.Tensor) -> Modulations:
        return _nested(list(self._graph("modulations", (labels,))(labels)), self.layers)

    def encode(self, x_t: torch.Tensor, t: torch.Tensor, coarse: torch.Tensor) -> Encoded:
        args = (x_t, t, coarse)
        emb, stem_in, *skips = self._graph("encoder", args)(*args)
        return Encoded(emb, list(skips), stem_in)

    def decode(self, enc: Encoded, coarse: torch.Tensor, labels: torch.Tensor,
               mods: Modulations) -> torch.Tensor:
        args = (coarse, labels, enc.emb, enc.stem_in, list(enc.skips), _flat(mods, self.layers))
        return self._graph("decoder", args)(*args)
