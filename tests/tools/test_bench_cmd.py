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
