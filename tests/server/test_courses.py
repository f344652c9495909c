"""Courses end to end: a scripted learner on the real server (real sockets, SQLite and a real
Redis) reads every lesson of the small scene's course and completes its quest, and receives
the course's badge, which verifies with an independent library (PyJWT) and 1EdTech's schema.
Every bad input is attacked, and never harms another visitor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from server.ws.client import ServerError
from srichan_world.protocol.codes import ErrorCode, MsgType
from srichan_world.protocol.limits import RATE_LIMITS
from srichan_world.protocol.messages import (
    BadgeEarned,
    Badges,
    BadgesGet,
    CourseProgress,
    Courses,
    CoursesGet,
    CourseStanding,
    LessonRead,
)
from tests.server.badge_fixtures import (
    CREDENTIAL_SCHEMA,
    badge_street,
    complete_walk,
    get,
    independent_check,
)
from tests.server.learning_fixtures import ADMIN_TOKEN, Walker, visitor
from tools import redis_servers


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    why = redis_servers.available()
    if why:
        pytest.skip(why)
    server = redis_servers.start_server(tmp_path_factory.mktemp("redis"))
    yield server.url
    server.stop()


async def refused(walker: Walker, course: str, lesson: str) -> int:
    with pytest.raises(ServerError) as info:
        await walker.ask(LessonRead(course, lesson))
    return info.value.error.code


async def statements(http: aiohttp.ClientSession, base: str) -> list[str]:
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with http.get(f"{base}/api/xapi/statements?since=0", headers=auth) as response:
        body = await response.json()
    return [f"{s['verb']['id'].rsplit('/', 1)[1]} {s['object']['id']}" for s in body["statements"]]


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_a_learner_completes_a_course_and_its_badge_verifies(
    tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    url = request.getfixturevalue("redis_url") if kind == "redis" else None
    async with badge_street(tmp_path, url) as street, aiohttp.ClientSession() as http:
        base = street.http
        vid, secret = visitor(7)
        me = await Walker.join(street.url, "สมศรี", vid, secret)
        other_tab = await Walker.join(street.url, "สมศรี", vid, secret)
        listed = await me.ask(CoursesGet())
        assert listed == Courses((CourseStanding("intro", (), (), False),), cid=listed.cid)

        # The lessons, in order; reading again changes nothing.
        assert await refused(me, "intro", "museum") == ErrorCode.LESSON_LOCKED
        read = await me.ask(LessonRead("intro", "gate"))
        assert isinstance(read, CourseProgress) and read.course.lessons == ("gate",)
        told = await other_tab.client.next(CourseProgress)
        assert told.course == read.course and told.cid is None, "every tab hears of it"
        again = await me.ask(LessonRead("intro", "gate"))
        assert isinstance(again, CourseProgress) and again.course == read.course
        read = await me.ask(LessonRead("intro", "museum"))
        assert isinstance(read, CourseProgress) and read.course.lessons == ("gate", "museum")
        assert not read.course.completed, "the quest is still to do"

        # The quest completes the course: its progress and badge come with the answer.
        quest_badge = await complete_walk(me)
        assert quest_badge.badge.kind == "quest"
        done = await me.client.next(
            CourseProgress, where=lambda m: m.cid == quest_badge.cid and m.course.completed
        )
        assert done.course == CourseStanding("intro", ("gate", "museum"), ("walk",), True)
        earned = await me.client.next(
            BadgeEarned, where=lambda m: m.cid == done.cid and m.badge.kind == "course"
        )
        assert (earned.badge.achievement, earned.badge.name.en) == (
            "course-intro",
            "Meet the street",
        )
        assert (
            await other_tab.client.next(BadgeEarned, where=lambda m: m.badge.kind == "course")
        ).badge == earned.badge

        # The course badge: signed by the city, checked with PyJWT and the OB 3.0 schema.
        status, token, _ = await get(
            http, f"{base}/badges/credentials/{earned.badge.credential_id}.jwt"
        )
        assert status == 200
        claims = await independent_check(http, base, token)
        document = {k: v for k, v in claims.items() if k not in ("iss", "jti", "nbf", "sub")}
        assert not sorted(CREDENTIAL_SCHEMA.iter_errors(document), key=str)
        achievement = document["credentialSubject"]["achievement"]
        assert achievement["id"] == f"{base}/badges/achievements/course-intro.json"
        assert achievement["name"] == "รู้จักถนน · Meet the street"
        status, body, _ = await get(http, achievement["id"])
        assert status == 200 and "อ่านบทเรียนครบทั้ง 2 บท" in body

        # Listed with the quest's badge; courses_get agrees; nothing is issued twice.
        badges = await me.ask(BadgesGet())
        assert isinstance(badges, Badges)
        assert sorted(b.achievement for b in badges.badges) == ["course-intro", "quest-walk"]
        listed = await me.ask(CoursesGet())
        assert isinstance(listed, Courses) and listed.courses == (done.course,)
        await me.ask(LessonRead("intro", "museum"))
        kept = await statements(http, base)
        course = "https://srichan.world/activities/course/intro"
        assert [s for s in kept if "/course/" in s or "course-intro" in s] == [
            f"experienced {course}/lesson/gate",
            f"experienced {course}/lesson/museum",
            f"completed {course}",
            "earned https://srichan.world/activities/badge/course-intro",
        ]
        await other_tab.close()
        await me.close()


async def test_bad_course_requests_are_refused_and_harm_no_one(tmp_path: Path) -> None:
    async with badge_street(tmp_path) as street:
        me = await Walker.join(street.url, "มานี", *visitor(8))
        other = await Walker.join(street.url, "มานะ", *visitor(9))
        anonymous = await Walker.join(street.url, "บอท")
        assert await refused(me, "no-such-course", "gate") == ErrorCode.UNKNOWN_COURSE
        assert await refused(me, "intro", "no-such-lesson") == ErrorCode.UNKNOWN_LESSON
        assert await refused(me, "intro", "museum") == ErrorCode.LESSON_LOCKED
        assert await refused(anonymous, "intro", "gate") == ErrorCode.NO_IDENTITY
        with pytest.raises(ServerError) as info:
            await anonymous.ask(CoursesGet())
        assert info.value.error.code == ErrorCode.NO_IDENTITY

        # Over the rate: refused, the session stays open, the others are untouched.
        burst = int(RATE_LIMITS[MsgType.LESSON_READ].burst)
        codes = []
        for _ in range(burst + 3):
            try:
                await me.ask(LessonRead("intro", "gate"))
                codes.append(0)
            except ServerError as exc:
                codes.append(exc.error.code)
        assert codes.count(ErrorCode.RATE_LIMITED) >= 2 and codes[0] == 0
        await me.client.ping()
        listed = await other.ask(CoursesGet())
        assert isinstance(listed, Courses) and listed.courses[0].lessons == (), "mine are mine"
        assert not [m for m in other.client.inbox if isinstance(m, CourseProgress)]
        theirs = await other.ask(LessonRead("intro", "gate"))
        assert isinstance(theirs, CourseProgress) and theirs.course.lessons == ("gate",)
        listed = await other.ask(CoursesGet())
        assert isinstance(listed, Courses) and listed.courses[0].lessons == ("gate",)
        for walker in (me, other, anonymous):
            await walker.close()
