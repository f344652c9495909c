"""`srichan bench …` exposes the load benchmarks with their own flags."""

from __future__ import annotations

import pytest

from tools.cli import main


@pytest.mark.parametrize(
    ("name", "flag"), [("presence", "--clients"), ("scale", "--modes"), ("reload", "--visitors")]
)
def test_bench_subcommands_show_their_flags(
    name: str, flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", name, "--help"]) == 0
    assert flag in capsys.readouterr().out


def test_bench_needs_a_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench"]) == 2
    assert "presence" in capsys.readouterr().err
