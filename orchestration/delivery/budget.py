"""The time one delivery step may spend sending in a run; what does not fit waits for the next."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class Budget:
    """A deadline started when the step starts sending (None seconds: no limit).

    The HTTP client shortens each request's timeout to what is left, does not wait for a retry
    that would end past the deadline, and makes no request once it has passed.
    """

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._deadline = math.inf if seconds is None else clock() + seconds

    def remaining(self) -> float:
        """Seconds left (infinite without a limit, 0 once spent)."""
        return max(self._deadline - self._clock(), 0.0)

    @property
    def spent(self) -> bool:
        return self.remaining() <= 0

    def describe(self) -> str:
        """How the summaries name it: `delivery budget of 60 s`."""
        if self.seconds is None:
            return "no delivery budget"
        return f"delivery budget of {self.seconds:g} s"
