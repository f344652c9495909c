"""Blocks that fit the crowd (srichan_world/world/presence/blocks.py): their sizes and how
often they are chosen, the rules alone, and a dense crowd, standing and walking, whose
observers see their nearest neighbours."""

from __future__ import annotations

import math
import random

import pytest

from srichan_world.protocol.messages import Move
from srichan_world.world.presence import PresenceSettings
from srichan_world.world.presence.blocks import GROW_MARGIN, block_sizes, refit, refresh_ticks
from tests.world.test_presence import Harness

SIZES = (16.0, 8.0, 4.0, 2.0)


def test_sizes_halve_from_the_largest_down_to_the_smallest() -> None:
    assert block_sizes(16.0, 2.0) == SIZES
    assert block_sizes(16.0, 3.0) == (16.0, 8.0, 4.0)
    assert block_sizes(8.0, 8.0) == (8.0,)


def test_a_dense_crowd_shrinks_the_blocks_at_once() -> None:
    # reach 5 m, fit 0.5: the largest side that fits is 3.5 m, so 2 m from 16 m in one step
    assert refit(0, 5.0, SIZES, 0.5) == 3
    assert refit(1, 12.0, SIZES, 0.5) == 1, "side 8.5 m: 8 m blocks still fit"
    assert refit(1, 10.0, SIZES, 0.5) == 2, "side 7.1 m: down to 4 m"
    assert refit(2, 12.0, SIZES, 0.5) == 2  # 4 m: 8 m would fit but not with the margin
    assert refit(3, 0.1, SIZES, 0.5) == 3, "never below the smallest"


def test_a_thinning_crowd_grows_the_blocks_one_step_with_a_margin() -> None:
    side = 8.0 * GROW_MARGIN  # the reach at which 8 m blocks fit with the margin
    reach = side / (0.5 * math.sqrt(2))
    assert refit(2, reach, SIZES, 0.5) == 1
    assert refit(2, reach * 0.99, SIZES, 0.5) == 2, "just short of the margin: stays"
    assert refit(2, 1000.0, SIZES, 0.5) == 1, "one step at a time"
    assert refit(0, 1000.0, SIZES, 0.5) == 0


def test_settings_refuse_blocks_that_cannot_be() -> None:
    with pytest.raises(ValueError, match="knn_block_min_m"):
        PresenceSettings(knn_block_m=4.0, knn_block_min_m=8.0)
    with pytest.raises(ValueError, match="knn_block_min_m"):
        PresenceSettings(knn_block_min_m=0.0)
    with pytest.raises(ValueError, match="knn_block_fit"):
        PresenceSettings(knn_block_fit=0.0)


def _dense_crowd(seed: int, **settings: object) -> tuple[Harness, list[int]]:
    """300 visitors in a 20 m square (three times a festival crowd's density), K = 64,
    three ticks: the first choice sizes the blocks, the next ones use them."""
    rng = random.Random(seed)
    spawns = [(rng.uniform(20.0, 40.0), rng.uniform(-30.0, -10.0)) for _ in range(300)]
    h = Harness(spawns, **settings)
    sids = [h.join(f"คนที่{i}") for i in range(len(spawns))]
    for _ in range(3):
        h.tick()
    return h, sids


def _sees_all_nearest(h: Harness, sids: list[int]) -> float:
    """The share of observers whose client sees all of their 20 nearest avatars."""
    w = h.world
    full = 0
    for sid in sids:
        me = w.avatars[h.ids[sid]]
        others = sorted(
            (math.dist((me.x, me.z), (o.x, o.z)), o.id) for o in w.avatars.values() if o is not me
        )
        full += {aid for _, aid in others[:20]} <= set(h.views[sid].avatars)
    return full / len(sids)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_dense_crowd_sees_what_its_blocks_promise(seed: int) -> None:
    """Each observer stands within ``fit`` of the densest reach from its block's centre, so
    its client sees everyone within ``(1 - fit) * reach`` of it (its own block's reach), and
    nearly everyone sees all of their 20 nearest."""
    h, sids = _dense_crowd(seed)
    w = h.world
    fit = w.settings.knn_block_fit
    smallest = len(w.block_sizes) - 1
    for sid in sids:
        me = w.avatars[h.ids[sid]]
        g = me.group
        assert g is not None
        off = math.dist((me.x, me.z), (g.cx, g.cz))
        if w.block_level[me.cell] == smallest:
            continue  # denser than the smallest block can serve: no promise
        assert off <= fit * g.reach
        near = {
            o.id
            for o in w.avatars.values()
            if o is not me and math.dist((me.x, me.z), (o.x, o.z)) < (1 - fit) * g.reach
        }
        assert near <= set(h.views[sid].avatars), f"{sid} misses someone it was promised"
    assert _sees_all_nearest(h, sids) >= 0.95


def test_one_fixed_block_misses_near_neighbours_in_that_crowd() -> None:
    """The same crowd with the blocks held at 8 m (the rule before): the last check above
    fails (it can)."""
    h, sids = _dense_crowd(1, knn_block_m=8.0, knn_block_min_m=8.0)
    assert _sees_all_nearest(h, sids) < 0.95


def test_a_dense_block_is_chosen_again_sooner() -> None:
    """One tick per metre of reach at 10 Hz (0.1 s per metre), within 5 ticks and the
    longest; 0 s per metre keeps the longest."""
    assert refresh_ticks(9.0, 1.0, 20) == 9
    assert refresh_ticks(2.0, 1.0, 20) == 5
    assert refresh_ticks(40.0, 1.0, 20) == 20
    assert refresh_ticks(9.0, 0.0, 20) == 20
    assert refresh_ticks(9.0, 1.0, 1) == 1, "a period shorter than the minimum stays"


def _walking_crowd_views(**settings: object) -> list[float]:
    """The dense crowd of the tests above walking at 1.4 m/s, each in its own direction
    (turning at the square's edge): the share that sees all of its 20 nearest, every half
    second from the second second on."""
    h, sids = _dense_crowd(3, **settings)
    w = h.world
    rng = random.Random(5)
    heading = {sid: rng.uniform(0.0, 2 * math.pi) for sid in sids}
    shares = []
    for tick in range(40):
        for sid in sids:
            a = w.avatars[h.ids[sid]]
            x = a.x + 0.14 * math.cos(heading[sid])
            z = a.z + 0.14 * math.sin(heading[sid])
            if not (20.0 <= x <= 40.0 and -30.0 <= z <= -10.0):
                heading[sid] = rng.uniform(0.0, 2 * math.pi)
                continue
            h.send(sid, Move(x, z, 0.0, 1))
        h.tick()
        if tick >= 10 and tick % 5 == 0:
            shares.append(_sees_all_nearest(h, sids))
    return shares


def test_a_walking_dense_crowd_keeps_seeing_its_nearest() -> None:
    assert min(_walking_crowd_views()) >= 0.95


def test_a_walking_crowd_chosen_every_two_seconds_loses_its_nearest() -> None:
    """The same crowd with its blocks' nearest chosen every 2 s whatever the reach: the
    check above fails (it can)."""
    assert min(_walking_crowd_views(knn_refresh_s_per_m=0.0)) < 0.95
