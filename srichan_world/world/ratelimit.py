"""A token bucket with the clock passed in: rate limits and the avatar speed budget."""

from __future__ import annotations


class TokenBucket:
    """``rate`` tokens per second up to ``burst``; ``take`` spends ``cost`` if there is enough.

    The speed check uses one too, with metres as tokens: a client may bank up to ``burst``
    metres of unused movement, which absorbs network jitter without allowing teleports.
    """

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = now

    def take(self, now: float, cost: float = 1.0) -> bool:
        tokens = self.tokens + (now - self.stamp) * self.rate
        if tokens > self.burst:
            tokens = self.burst
        self.stamp = now
        if tokens >= cost:
            self.tokens = tokens - cost
            return True
        self.tokens = tokens
        return False
