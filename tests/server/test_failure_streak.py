"""Background loops log an outage once, then once more when it is over."""

from __future__ import annotations

import logging

import pytest

from server.health import FailureStreak


def test_one_traceback_per_outage(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("srichan.test.streak")
    streak = FailureStreak(log, "booth poll")
    with caplog.at_level(logging.INFO, logger=log.name):
        for _ in range(5):
            try:
                raise ConnectionError("redis went away")
            except ConnectionError:
                streak.failed()
        streak.succeeded()
        streak.succeeded()
        try:
            raise ConnectionError("again")
        except ConnectionError:
            streak.failed()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(errors) == 2, "one traceback for each of the two outages"
    assert errors[0].exc_info is not None
    assert infos == ["booth poll works again after 5 failures"]
