"""A dialogue question of the city and one opinion on it, for the console's tests."""

from __future__ import annotations

import time
from typing import Any

from server.store import Store
from srichan_world.world import xapi
from srichan_world.world.dialogue import Opinion, Question

NOW = time.time()
QUESTION_JSON: dict[str, Any] = {
    "title": {"th": "รถไฟฟ้ารางเบาขอนแก่น", "en": "Khon Kaen light rail"},
    "description": {
        "th": "เมืองวางแผนเส้นทางรถไฟฟ้ารางเบาสายแรก เหนือ–ใต้ ผ่านใจกลางเมือง",
        "en": "The city plans its first light rail line, north–south through the centre.",
    },
    "options": [
        {"th": "ใช้แน่นอน", "en": "I would use it"},
        {"th": "อาจจะใช้", "en": "Maybe"},
        {"th": "ไม่ใช้", "en": "I would not"},
    ],
    "opinions": True,
    "opens_at": NOW - 60,
    "closes_at": NOW + 7 * 86400,
    "reward": 2,
}
QUESTION = Question.from_json(QUESTION_JSON | {"id": "light-rail"})


async def seed_dialogue(store: Store) -> None:
    """The question open, with one opinion (number 1)."""
    await store.put_question(QUESTION)
    statement = xapi.commented_statement("visitor-0002", QUESTION.id, QUESTION.title, "ดี", NOW)
    await store.post_opinion(Opinion(QUESTION.id, 0, "visitor-0002", "บี", "ดี", NOW), statement)
