"""Failed sign-ins slowed down, per name and per address: after ``free`` failures in a row of a name (and
``address_free`` of an address, which many people behind one router share) it waits 1 s, and twice as long
after each failure more, up to ``cap`` (15 min). A success clears the
name's count. Password guessing at the app's speed (argon2: about 20 checks a second on 2 cores) falls to a
handful of tries an hour per name and per address."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Count:
    failures: int = 0
    until: float = 0.0  # no try before this time


class Throttle:
    def __init__(self, free: int = 5, first: float = 1.0, cap: float = 900.0, keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic, address_free: int = 20) -> None:  # fmt: skip
        self.free, self.first, self.cap, self.keys, self.clock = free, first, cap, keys, clock
        self.address_free = address_free
        self._counts: OrderedDict[str, _Count] = OrderedDict()  # oldest first: forgotten past ``keys``
        self._lock = threading.Lock()

    def wait(self, name: str, address: str) -> float:
        """Seconds before ``name`` may try again from ``address`` (0: now)."""
        now = self.clock()
        with self._lock:
            return max([0.0, *(c.until - now for c in map(self._counts.get, _keys(name, address)) if c)])

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key in _keys(name, address):
                count = self._counts.pop(key, None) or _Count()
                count.failures += 1
                free = self.address_free if key.startswith("address:") else self.free
                if count.failures >= free:
                    count.until = now + min(self.cap, self.first * 2 ** (count.failures - free))
                self._counts[key] = count
            while len(self._counts) > self.keys:
                self._counts.popitem(last=False)

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            self._counts.pop(f"name:{name}", None)


def _keys(name: str, address: str) -> tuple[str, ...]:
    """The counts a failure adds to: its name's (none for an API token, which names no one) and its address's."""
    return (f"name:{name}", f"address:{address}") if name else (f"address:{address}",)
