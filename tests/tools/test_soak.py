"""The soak benchmark's arithmetic, and a short run of it against a real server process."""

from __future__ import annotations

import json
import math
from pathlib import Path

from tools.bench import soak
from tools.bench.soak import Sample, slope_per_minute


def test_the_slope_is_mib_per_minute() -> None:
    flat = [Sample(t, 100.0, 10) for t in (0.0, 60.0, 120.0)]
    rising = [Sample(t, 100.0 + t / 60 * 0.5, 10) for t in (0.0, 60.0, 120.0, 180.0)]
    assert slope_per_minute(flat) == 0.0
    assert math.isclose(slope_per_minute(rising), 0.5)
    assert math.isnan(slope_per_minute(rising[:1]))


def test_a_short_soak_runs_and_counts_its_load(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    soak.main(["--minutes", "0.2", "--walkers", "6", "--churn", "3", "--learner-every", "4",
               "--out", str(out)])  # fmt: skip
    result = json.loads(out.read_text(encoding="utf-8"))
    counts = result["counts"]
    assert counts["walkers_connected"] >= 6 and counts["churned"] > 20
    assert counts["awards"] >= 1 and counts["coupons"] >= 1, counts
    assert result["baseline"]["fds"] > 0 and result["samples"]
    assert result["fds_back_to_baseline"], (result["baseline"], result["after_drain"])
