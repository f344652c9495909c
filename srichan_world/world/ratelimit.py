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


class BucketTable:
    """Token buckets by key (a shop, a visitor, an address), at most ``size`` of them.

    When full, the least recently used bucket is forgotten: an idle bucket has refilled anyway,
    so forgetting it is fair, and an attacker cycling through keys evicts only idle keys, never
    everyone's state at once.
    """

    def __init__(self, rate: float, burst: float, size: int = 20_000) -> None:
        self.rate, self.burst, self.size = rate, burst, size
        self._buckets: dict[object, TokenBucket] = {}

    def take(self, key: object, now: float, cost: float = 1.0) -> bool:
        buckets = self._buckets
        bucket = buckets.pop(key, None)
        if bucket is None:
            if len(buckets) >= self.size:
                del buckets[next(iter(buckets))]
            bucket = TokenBucket(self.rate, self.burst, now)
        buckets[key] = bucket  # re-inserted last: dicts keep insertion order
        return bucket.take(now, cost)

    def __len__(self) -> int:
        return len(self._buckets)
