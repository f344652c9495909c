"""Events end to end: the real app on a loopback port with a clock the test sets, visitors on
the Python client, operators on the admin API, and the calendar parsed as iCalendar."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import icalendar
import pytest

from server.ws.client import ServerError
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import (
    BadgeEarned,
    Badges,
    BadgesGet,
    EventAttended,
    Events,
    QuizAnswer,
    QuizOpen,
    QuizQuestion,
    QuizResult,
    WalletGet,
)
from srichan_world.scene.events import BANGKOK
from tests.server.learning_fixtures import (
    ADMIN_TOKEN,
    Q_MUSEUM_1,
    Q_MUSEUM_2,
    Walker,
    open_street,
    visitor,
)
from tests.world.test_events import ENDS, EVENT_TOML, STARTS

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class Clock:
    """The wall clock the street decides at, set by the test."""

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


async def code_of(walker: Walker, message: Any) -> int:
    with pytest.raises(ServerError) as caught:
        await walker.ask(message)
    return caught.value.error.code


async def test_event_quiz_points_open_and_pay_only_in_their_window(tmp_path: Path) -> None:
    clock = Clock(STARTS - 600)
    one_seat = EVENT_TOML.replace("capacity = 2", "capacity = 1")
    async with open_street(tmp_path, extra=one_seat, wall=clock) as street:
        vid, secret = visitor(1)
        me = await Walker.join(street.url, "แก่น", vid, secret)
        await me.walk(Q_MUSEUM_1)
        assert await code_of(me, QuizOpen("q-museum-1")) == ErrorCode.EVENT_NOT_NOW

        clock.at = STARTS + 60  # the window opens
        attended = await me.ask(QuizOpen("q-museum-1"))
        assert isinstance(attended, EventAttended)
        assert (attended.event_id, attended.bonus, attended.balance) == ("museum-walk", 30, 30)
        badge = await me.client.next(BadgeEarned, where=lambda m: m.cid == attended.cid)
        assert (badge.badge.achievement, badge.badge.kind) == ("event-museum-walk", "event")
        question = await me.client.next(QuizQuestion, where=lambda m: m.cid == attended.cid)
        assert question.quiz_id == "q-museum-1"
        result = await me.ask(QuizAnswer("q-museum-1", 0))
        assert (
            isinstance(result, QuizResult) and result.correct and result.balance == 60
        )  # + the quest it completes
        again = await me.ask(QuizOpen("q-museum-1"))
        assert isinstance(again, QuizQuestion), "attending is once per visitor"

        other_id, other_secret = visitor(2)
        late = await Walker.join(street.url, "ขอนแก่น", other_id, other_secret)
        await late.walk(Q_MUSEUM_1)
        assert await code_of(late, QuizOpen("q-museum-1")) == ErrorCode.EVENT_FULL
        assert await code_of(late, QuizAnswer("q-museum-1", 0)) == ErrorCode.NO_OPEN_QUIZ
        await late.walk(Q_MUSEUM_2)
        assert isinstance(await late.ask(QuizOpen("q-museum-2")), QuizQuestion)

        clock.at = ENDS  # the window closed
        await me.walk(Q_MUSEUM_1)
        assert await code_of(me, QuizOpen("q-museum-1")) == ErrorCode.EVENT_NOT_NOW
        wallet = await me.ask(WalletGet())
        assert getattr(wallet, "balance", None) == 60
        badges = await me.ask(BadgesGet())
        assert isinstance(badges, Badges)
        assert [b.achievement for b in badges.badges if b.kind == "event"] == ["event-museum-walk"]

        page = await street.store.statements_since(0)
        attended_ids = [
            s["actor"]["account"]["name"]
            for s in page.statements
            if s["verb"]["id"] == "http://adlnet.gov/expapi/verbs/attended"
        ]
        assert attended_ids == [vid]
        await me.close()
        await late.close()


WORKSHOP = {
    "title": {"th": "เวิร์กช็อปผ้ามัดหมี่", "en": "Mudmee workshop"},
    "description": {"th": "ทดลองมัดหมี่กับช่างทอ", "en": "Try mudmee with weavers"},
    "host": {"th": "เทศกาลอีสานสร้างสรรค์", "en": "Isan Creative Festival"},
    "starts": "2027-11-20T13:00",
    "ends": "2027-11-20T16:00",
    "landmark": "museum",
    "quiz_points": ["q-museum-2"],
    "bonus": 20,
    "capacity": 30,
}


async def test_operators_create_update_and_cancel_events_without_a_restart(
    tmp_path: Path,
) -> None:
    clock = Clock(STARTS + 60)
    async with open_street(tmp_path, extra=EVENT_TOML, wall=clock) as street:
        vid, secret = visitor(1)
        me = await Walker.join(street.url, "แก่น", vid, secret)
        await me.walk(Q_MUSEUM_2)
        assert isinstance(await me.ask(QuizOpen("q-museum-2")), QuizQuestion)
        url = f"{street.http}/admin/api/events/workshop"
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"Authorization": "Bearer wrong"}):
                async with http.put(url, json=WORKSHOP, headers=headers) as r:
                    assert r.status == 401
                    assert r.headers["WWW-Authenticate"] == "Bearer"
            async with http.post(f"{url}/cancel") as r:
                assert r.status == 401
            async with http.get(f"{street.http}/admin/api/events") as r:
                assert r.status == 401

            bad = WORKSHOP | {"starts": "soon", "quiz_points": ["q-nowhere"], "capacity": 0}
            async with http.put(url, json=bad, headers=AUTH) as r:
                assert r.status == 422
                body = await r.json()
            assert body["error"] == "bad_event" and body["code"] == ErrorCode.BAD_EVENT
            assert {e["path"] for e in body["errors"]} == {
                "event.starts",
                "event.capacity",
            }
            async with http.put(url, data=b"{not json", headers=AUTH) as r:
                assert r.status == 400

            # q-museum-2 now belongs to a workshop in November: it goes off at once
            async with http.put(url, json=WORKSHOP, headers=AUTH) as r:
                assert r.status == 200, await r.text()
                created = (await r.json())["event"]
            assert created["starts_local"] == "2027-11-20T13:00:00+07:00"
            pushed = await me.client.next(Events)
            assert pushed.cid is None
            assert {e["id"] for e in pushed.events} == {"museum-walk", "workshop"}
            assert await code_of(me, QuizOpen("q-museum-2")) == ErrorCode.EVENT_NOT_NOW

            moved = WORKSHOP | {"starts": "2027-03-13T08:00", "ends": "2027-03-13T18:00"}
            async with http.put(url, json=moved, headers=AUTH) as r:
                assert r.status == 200
            await me.client.next(Events)
            assert isinstance(await me.ask(QuizOpen("q-museum-2")), EventAttended)

            async with http.post(
                f"{street.http}/admin/api/events/museum-walk/cancel", headers=AUTH
            ) as r:
                assert r.status == 200
                assert (await r.json())["event"]["cancelled"] is True
            pushed = await me.client.next(Events)
            walk = next(e for e in pushed.events if e["id"] == "museum-walk")
            assert walk["cancelled"] is True
            await me.walk(Q_MUSEUM_1)
            assert await code_of(me, QuizOpen("q-museum-1")) == ErrorCode.EVENT_CANCELLED

            async with http.post(
                f"{street.http}/admin/api/events/nothing/cancel", headers=AUTH
            ) as r:
                assert r.status == 404
                assert (await r.json())["error"] == "unknown_event"
            async with http.get(f"{street.http}/admin/api/events", headers=AUTH) as r:
                listed = {e["id"]: e["source"] for e in (await r.json())["events"]}
            assert listed == {"museum-walk": "operator", "workshop": "operator"}

        # a newcomer learns the changed calendar right after its welcome
        other_id, other_secret = visitor(2)
        newcomer = await Walker.join(street.url, "ขอนแก่น", other_id, other_secret)
        calendar = await newcomer.client.next(Events)
        assert calendar.cid is not None
        await me.close()
        await newcomer.close()


async def test_the_calendar_is_icalendar(tmp_path: Path) -> None:
    async with (
        open_street(tmp_path, extra=EVENT_TOML) as street,
        aiohttp.ClientSession() as http,
    ):
        async with http.put(
            f"{street.http}/admin/api/events/museum-walk/cancel", headers=AUTH
        ) as r:
            assert r.status == 405  # cancelling is a POST
        async with http.get(f"{street.http}/events.ics") as r:
            assert r.status == 200
            assert r.headers["Content-Type"] == "text/calendar; charset=utf-8"
            whole = icalendar.Calendar.from_ical(await r.read())
        async with http.get(f"{street.http}/events/museum-walk.ics") as r:
            one = icalendar.Calendar.from_ical(await r.read())
        async with http.get(f"{street.http}/events/nothing.ics") as r:
            assert r.status == 404
        async with http.post(
            f"{street.http}/admin/api/events/museum-walk/cancel", headers=AUTH
        ) as r:
            assert r.status == 200
        async with http.get(f"{street.http}/events/museum-walk.ics") as r:
            cancelled = icalendar.Calendar.from_ical(await r.read())

    (tz,) = whole.walk("VTIMEZONE")
    assert str(tz["TZID"]) == "Asia/Bangkok"
    (event,) = whole.walk("VEVENT")
    assert str(event["UID"]) == "museum-walk@events.srichan.world"
    start = event.decoded("DTSTART")
    assert start == datetime(2027, 3, 13, 9, 0, tzinfo=BANGKOK)
    assert start.timestamp() == STARTS and event.decoded("DTEND").timestamp() == ENDS
    assert event["DTSTART"].params["TZID"] == "Asia/Bangkok"
    assert str(event["SUMMARY"]) == "เดินชมพิพิธภัณฑ์ · Museum walk"
    assert "พิพิธภัณฑ์มีชีวิต" in str(event["DESCRIPTION"])
    assert str(event["STATUS"]) == "CONFIRMED"
    assert [str(e["UID"]) for e in one.walk("VEVENT")] == ["museum-walk@events.srichan.world"]
    (gone,) = cancelled.walk("VEVENT")
    assert str(gone["STATUS"]) == "CANCELLED" and str(gone["UID"]) == str(event["UID"])
    assert int(gone["SEQUENCE"]) > int(event["SEQUENCE"])
