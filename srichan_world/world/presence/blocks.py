"""How big a crowded block is: small where the crowd is dense, large where it is thin.

Crowded observers standing in one square block share the K + 1 avatars nearest to the
block's centre (frames.py). An observer at distance ``d`` from that centre is sure to see
everyone within ``reach - d`` of itself, where ``reach`` is the centre's distance to its
(K + 1)-th nearest. In a thin crowd ``reach`` is tens of metres and a 16 m block costs
nothing in what anyone sees; in a festival crowd at one landmark ``reach`` is a few metres,
and with one fixed 8 m block a quarter of the observers missed someone among their 20
nearest, the nearest missed only 3–4 m away (tools/bench/blockfit.py). So each interest cell
has its own block size, halved or doubled between ``knn_block_min_m`` and ``knn_block_m`` so
that a block's half-diagonal (the farthest an observer stands from its centre) stays within
``knn_block_fit`` of the densest block's ``reach``. Thin crowds get the largest blocks, the
fewest groups and the least work per observer; dense ones the view they need. The reach also
sets how often a block's nearest are chosen again (:func:`refresh_ticks`): a dense crowd
that walks changes its nearest faster.
"""

from __future__ import annotations

import math

REFRESH_MIN_TICKS = 5
"""Never more often than this: every choice costs the block's observers a diff."""

GROW_MARGIN = 1.5
"""A cell's blocks double only when the doubled block would fit with this much to spare, so
a crowd whose density hovers near one edge does not make its blocks flip at every choice
(every change costs each of its observers a diff)."""


def block_sizes(largest: float, smallest: float) -> tuple[float, ...]:
    """The sizes a block may take, largest first: ``largest`` halved while not below
    ``smallest`` (at least one size)."""
    sizes = [largest]
    while sizes[-1] / 2 >= smallest - 1e-9:
        sizes.append(sizes[-1] / 2)
    return tuple(sizes)


def refit(level: int, reach: float, sizes: tuple[float, ...], fit: float) -> int:
    """The level (index into ``sizes``) a cell's blocks take next, given the smallest
    ``reach`` among its crowded blocks: as small as needed at once, one step larger when
    that fits with :data:`GROW_MARGIN` to spare."""
    side = fit * reach * math.sqrt(2)  # the largest side whose half-diagonal fits
    want = next((i for i, s in enumerate(sizes) if s <= side), len(sizes) - 1)
    if want > level:
        return want
    if level > 0 and sizes[level - 1] * GROW_MARGIN <= side:
        return level - 1
    return level


def refresh_ticks(reach: float, ticks_per_m: float, longest: int) -> int:
    """Ticks between two choices of a block whose reach is ``reach`` metres: ``ticks_per_m``
    per metre of it (``knn_refresh_s_per_m`` at the tick rate; 0: always ``longest``), never
    more than ``longest`` nor fewer than :data:`REFRESH_MIN_TICKS`."""
    if ticks_per_m <= 0:
        return longest
    return max(min(REFRESH_MIN_TICKS, longest), min(longest, int(reach * ticks_per_m)))
