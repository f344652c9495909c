"""Configuration is validated once at start, with every problem named."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from server.config import ConfigError, add_arguments, load_settings
from tools.cli import main


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_flags_override_environment(scene_dir: Path) -> None:
    env = {"SRICHAN_PORT": "9000", "SRICHAN_TICK_HZ": "20", "SRICHAN_SCENE_DIR": str(scene_dir)}
    settings = load_settings(parse(["--port", "9100"]), env)
    assert settings.port == 9100
    assert settings.tick_hz == 20.0


def test_every_problem_is_reported(tmp_path: Path) -> None:
    env = {"SRICHAN_TICK_HZ": "50", "SRICHAN_RESUME_WINDOW_S": "0"}
    argv = ["--port", "http", "--store", "mysql://x", "--scene-dir", str(tmp_path)]
    with pytest.raises(ConfigError) as info:
        load_settings(parse(argv), env)
    text = "\n".join(info.value.problems)
    assert "--port: 'http' is not a valid int" in text
    assert "tick_hz: 50 must be between 10 and 20" in text
    assert "resume_window_s: 0 must be in [1, 300] s" in text
    assert "must start with sqlite:// or redis://" in text
    assert "run `srichan scene build` first" in text


def test_serve_exits_2_on_bad_config(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["serve", "--tick-hz", "5", "--scene-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "srichan serve: tick_hz: 5 must be between 10 and 20" in err


def test_limits_and_trusted_proxies_come_from_flags_and_environment(scene_dir: Path) -> None:
    env = {
        "SRICHAN_SCENE_DIR": str(scene_dir),
        "SRICHAN_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8",
        "SRICHAN_WS_PER_ADDRESS": "1000",
    }
    settings = load_settings(parse(["--hello-burst", "500", "--slow-client-s", "6"]), env)
    assert [str(n) for n in settings.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8"]
    limits = settings.admission_limits()
    assert (limits.sockets_per_address, limits.hello_burst) == (1000, 500)
    assert settings.slow_client_s == 6.0


def test_bad_limits_are_named(scene_dir: Path) -> None:
    env = {"SRICHAN_SCENE_DIR": str(scene_dir), "SRICHAN_SLOW_CLIENT_S": "100"}
    argv = ["--trusted-proxies", "nginx", "--ws-per-address", "0", "--header-timeout-s", "0"]
    with pytest.raises(ConfigError) as info:
        load_settings(parse(argv), env)
    text = "\n".join(info.value.problems)
    assert "--trusted-proxies: 'nginx' is not a valid list of IP networks" in text
    assert "ws_per_address: 0 must be in [1, 100000]" in text
    assert "header_timeout_s: 0 must be in [1, 120] s" in text
    assert "slow_client_s: 100 must be in [2, 60] s" in text


def test_the_public_url_must_be_an_origin(scene_dir: Path) -> None:
    env = {"SRICHAN_SCENE_DIR": str(scene_dir)}
    for bad in ("srichan.example", "https://srichan.example/street", "ftp://x", "https://a b"):
        with pytest.raises(ConfigError) as info:
            load_settings(parse(["--public-url", bad]), env)
        assert any(p.startswith("public_url:") for p in info.value.problems), bad
    good = load_settings(parse(["--public-url", "https://srichan.example/"]), env)
    assert good.badge_base_url() == "https://srichan.example"
    assert load_settings(parse([]), env).badge_base_url() == "http://127.0.0.1:8080"


def test_the_websocket_transport_is_picows_or_aiohttp(scene_dir: Path) -> None:
    env = {"SRICHAN_SCENE_DIR": str(scene_dir)}
    assert load_settings(parse([]), env).ws_transport == "picows"
    fallback = {**env, "SRICHAN_WS_TRANSPORT": "aiohttp"}
    assert load_settings(parse([]), fallback).ws_transport == "aiohttp"
    with pytest.raises(ConfigError) as info:
        load_settings(parse(["--ws-transport", "tornado"]), env)
    assert info.value.problems == ["ws_transport: 'tornado' must be one of picows, aiohttp"]


def test_retention_comes_from_flags_and_environment_and_is_bounded(scene_dir: Path) -> None:
    env = {"SRICHAN_RETAIN_REPORTS_DAYS": "90", "SRICHAN_SCENE_DIR": str(scene_dir)}
    settings = load_settings(parse(["--retain-statements-days", "0"]), env)
    assert settings.retention().to_json() == {"statements_days": 0, "reports_days": 90}
    assert load_settings(
        parse([]), {"SRICHAN_SCENE_DIR": str(scene_dir)}
    ).retention().to_json() == {
        "statements_days": 365,
        "reports_days": 180,
    }
    with pytest.raises(ConfigError) as info:
        load_settings(parse(["--retain-statements-days", "3"]), env)
    assert "retention statements_days: 3 must be 0 (keep) or 7..3650 days" in info.value.problems


def test_zoning_is_shared_unless_asked_and_refuses_other_words(scene_dir: Path) -> None:
    env = {"SRICHAN_SCENE_DIR": str(scene_dir)}
    assert load_settings(parse([]), env).zoning == "shared"
    assert load_settings(parse(["--zoning", "zoned"]), env).zoning == "zoned"
    assert load_settings(parse([]), {**env, "SRICHAN_ZONING": "zoned"}).zoning == "zoned"
    with pytest.raises(ConfigError) as info:
        load_settings(parse(["--zoning", "halves"]), env)
    assert info.value.problems == ["zoning: 'halves' must be one of shared, zoned"]
