"""AlexNet and VGG16 convolutional trunks in plain PyTorch (torchvision's layer indices).

Only the ``features`` part is built; LPIPS taps the ReLU outputs listed in ``TAPS``.
"""

from __future__ import annotations

from torch import nn

#: ReLU indices in ``features`` whose outputs LPIPS compares (5 per network).
TAPS: dict[str, tuple[int, ...]] = {
    "alex": (1, 4, 7, 9, 11),
    "vgg": (3, 8, 15, 22, 29),
}

#: Channels of each tapped layer.
TAP_CHANNELS: dict[str, tuple[int, ...]] = {
    "alex": (64, 192, 384, 256, 256),
    "vgg": (64, 128, 256, 512, 512),
}

_VGG16_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512)


def alexnet_features() -> nn.Sequential:
    """AlexNet convolutional trunk (up to the last ReLU, no final pooling)."""
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(),
        nn.MaxPool2d(3, stride=2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(),
        nn.MaxPool2d(3, stride=2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(),
    )


def vgg16_features() -> nn.Sequential:
    """VGG16 convolutional trunk up to relu5_3 (no final pooling)."""
    layers: list[nn.Module] = []
    channels = 3
    for item in _VGG16_CFG:
        if item == "M":
            layers.append(nn.MaxPool2d(2, stride=2))
        else:
            layers += [nn.Conv2d(channels, int(item), 3, padding=1), nn.ReLU()]
            channels = int(item)
    return nn.Sequential(*layers)


BUILDERS = {"alex": alexnet_features, "vgg": vgg16_features}
