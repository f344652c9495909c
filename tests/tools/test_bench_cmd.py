"""`srichan bench …` exposes the load benchmarks with their own flags."""

from __future__ import annotations

import pytest

from tools.cli import main


@pytest.mark.parametrize(
    ("name", "flag"),
    [
        ("presence", "--clients"),
        ("scale", "--modes"),
        ("reload", "--visitors"),
        ("decode", "--observers"),
        ("blockfit", "--festival"),
    ],
)
def test_bench_subcommands_show_their_flags(
    name: str, flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", name, "--help"]) == 0
    assert flag in capsys.readouterr().out


def test_bench_needs_a_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench"]) == 2
    assert "presence" in capsys.readouterr().err


def test_decode_bench_measures_tiers_against_every_tick(tmp_path) -> None:
    """A small run of `srichan bench decode`: node decodes the frames with the browser's code;
    with a crowd over K the tiers carry fewer updates per frame and fewer bytes."""
    out = tmp_path / "decode.json"
    args = ["bench", "decode", "--clients", "400", "--seconds", "1", "--warmup", "1"]
    assert main([*args, "--observers", "10", "--repeat", "1", "--json", str(out)]) == 0
    import json

    tiers, flat = json.loads(out.read_text())["rows"]
    assert tiers["mode"] == "tiers" and flat["mode"] == "every tick"
    assert tiers["updates_per_frame"] < flat["updates_per_frame"]
    assert tiers["bytes_per_client_s"] < flat["bytes_per_client_s"]
    assert tiers["decode_ms_per_client_s"] > 0 and flat["decode_ms_per_client_s"] > 0


def test_blockfit_bench_shows_fitted_blocks_seeing_a_festival_crowd(tmp_path) -> None:
    """A small run of `srichan bench blockfit`: around one landmark, blocks fitted to the crowd
    show observers more of their 20 nearest than one fixed 8 m block, standing or walking; in
    a thin crowd (no cell over K) they see just what fixed blocks show."""
    import json

    out = tmp_path / "blockfit.json"
    args = ["bench", "blockfit", "--spread", "200", "--festival", "400", "--ticks", "21"]
    assert main([*args, "--json", str(out)]) == 0
    rows = {(r["crowd"], r["blocks"]): r for r in json.loads(out.read_text())["rows"]}
    assert len(rows) == 12
    for crowd in ("festival", "festival walking"):
        fixed, fitted = rows[crowd, "fixed 8 m"], rows[crowd, "fitted"]
        assert fitted["all20"] > fixed["all20"] and fitted["near20"] > fixed["near20"]
        assert "4.0" in fitted["cells_by_block_m"] or "2.0" in fitted["cells_by_block_m"]
    assert rows["spread", "fitted"]["near20"] == rows["spread", "fixed 8 m"]["near20"]


def test_blockfit_bench_needs_ticks_to_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "blockfit", "--ticks", "5"]) == 2
    assert "--ticks" in capsys.readouterr().err
