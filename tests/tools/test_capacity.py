"""The capacity simulation (tools/bench/capacity.py): its counts add up, its shards are the
ones ``redis-cli --cluster create`` makes, and a zoned street hears less than a random one."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from tools.bench import capacity


@pytest.fixture(scope="module")
def street() -> capacity.Street:
    return capacity.Street(capacity.DEFAULT_SCENE, "srichan")


def test_slots_go_to_the_masters_redis_cli_gives_them() -> None:
    # redis-cli --cluster create with 3 masters: 0-5460, 5461-10922, 10923-16383
    assert [capacity.shard_of_slot(s, 3) for s in (0, 5460, 5461, 10922, 10923, 16383)] == [
        0, 0, 1, 1, 2, 2,
    ]  # fmt: skip


def test_the_counts_add_up(street: capacity.Street) -> None:
    sim = capacity.simulate(street, 3000, 4, 1.0, 3, seed=3)
    assert sum(sim["own"]) == 3000
    assert sum(sim["shard_spublish_per_s"]) == pytest.approx(sum(sim["published_per_s"]))
    # everybody moves every tick: each process hears 10 updates a second of every other
    # process's visitor in the cells it watches, never more than all of them
    for p, heard in enumerate(sim["heard_updates_per_s"]):
        assert 0 < heard <= (3000 - sim["own"][p]) * 10


def test_a_zoned_street_hears_a_fraction_of_a_random_one(street: capacity.Street) -> None:
    spread = capacity.simulate(street, 20_000, 16, 1.0, 3, seed=1)
    zoned = capacity.simulate(street, 20_000, 16, 1.0, 3, seed=1, zoned=True)
    assert max(zoned["heard_updates_per_s"]) < max(spread["heard_updates_per_s"]) / 4
    assert sum(1 for v in spread["shard_spublish_per_s"] if v > 0) == 3


def test_the_plan_prints_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    parser = argparse.ArgumentParser()
    capacity.add_arguments(parser)
    out = tmp_path / "capacity.json"
    args = parser.parse_args(["--visitors", "4000", "--machines", "2", "--json", str(out)])
    assert capacity.main(args) == 0
    doc = json.loads(out.read_text())
    assert [s["assign"] for s in doc["scenarios"]] == ["random"] * 2 + ["zoned"] * 2
    assert doc["inputs"]["us_per_remote_update"] > 0
    assert "CPU per process" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="at most 16"):
        capacity.plan(parser.parse_args(["--machines", "9"]))
