"""Messages lost before a subscription callback, from the publishers' sequence numbers.

Every DDS writer numbers its samples 1, 2, 3, ...; rclpy hands the number to a callback that
takes a second argument (:class:`rclpy.subscription.MessageInfo`,
``publication_sequence_number``, with ``publisher_gid``). A jump from n to n + k means k - 1
samples were written but never taken: lost on the wire (best effort), overwritten in the
subscription's keep-last queue, or removed from the writer's history before delivery.
Losses before a publisher's first received sample and after its last one cannot be seen.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

#: Publishers remembered at once; the least recently heard one is forgotten first.
MAX_PUBLISHERS = 64


class SequenceGaps:
    """Counts the samples missing between consecutive sequence numbers of each publisher."""

    def __init__(self, max_publishers: int = MAX_PUBLISHERS) -> None:
        self._last: OrderedDict[bytes, int] = OrderedDict()
        self._max_publishers = max_publishers
        #: False once a message arrived without a sequence number (the RMW does not give one).
        self.supported = True

    def lost(self, info: dict[str, Any]) -> int:
        """Samples of this message's publisher missing since its previous message (0 for a
        publisher's first message, or when the RMW gives no sequence number)."""
        sequence = info.get("publication_sequence_number")
        gid = info.get("publisher_gid")
        if sequence is None or gid is None:
            self.supported = False
            return 0
        key = bytes(gid["data"])
        previous = self._last.pop(key, None)
        self._last[key] = sequence
        while len(self._last) > self._max_publishers:
            self._last.popitem(last=False)
        if previous is None or sequence <= previous:  # new publisher, or one that restarted
            return 0
        return sequence - previous - 1
