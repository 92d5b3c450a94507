"""Deterministic seeds derived from (global seed, shard, record id, family), stable across processes."""

from __future__ import annotations

import hashlib
import random

Seed = int | str


def derive_seed(*parts: object) -> int:
    """Hash the parts into a 64-bit seed; unlike hash(), the result is the same in every process."""
    data = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def make_rng(seed: Seed) -> random.Random:
    """A private generator per call, so results never depend on what ran before in the process."""
    if isinstance(seed, bool) or not isinstance(seed, (int, str)):
        raise TypeError(f"seed must be an int or str, got {type(seed).__name__}")
    return random.Random(seed if isinstance(seed, int) else derive_seed(seed))
