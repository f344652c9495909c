"""The dialogue space in Redis: each question's records in its own slot,
``srichan:{dlg:<question id>}:…``, so every step below touches one slot:

* ``votes``: visitor id → option (``HSET`` answers whether the field is new: one vote each);
* ``ops``: opinion number → its JSON; ``byv``: visitor id → their opinion's number; ``seq``:
  the last number given (one small script keeps a visitor's one opinion and numbers it);
* ``sup``: the set of ``<number>\\n<visitor id>`` (``SADD``: support counted once).

The questions themselves are one hash, ``srichan:{dlg}:questions`` (id → JSON). A statement
goes to the sequencer slot's stream before the record that answers "first time", once per
statement id there (as courses do); a reward is an award in the visitor's slot, through the
same compare-and-set commit as a quiz's (:mod:`server.store.redis.learning`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from server.store.redis.connection import Connection, guarded
from server.store.redis.keys import AWD, statement_item
from server.store.redis.learning import _earning_fields, _pay, _require_registered
from server.store.redis.slots import View, VisitorSlots, Writes
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world import dialogue
from srichan_world.world.awards import Award, Payout
from srichan_world.world.dialogue import Opinion, Part, Question, Tally

QUESTIONS = "srichan:{dlg}:questions"
POST_OPINION = """
local number = redis.call('HGET', KEYS[2], ARGV[1])
if number then return 0 end
number = redis.call('INCR', KEYS[3])
local body = string.gsub(ARGV[2], '"number": 0', '"number": ' .. number, 1)
redis.call('HSET', KEYS[1], number, body)
redis.call('HSET', KEYS[2], ARGV[1], number)
return number
"""


def _keys(question_id: str) -> tuple[str, str, str, str, str]:
    base = f"srichan:{{dlg:{question_id}}}"
    return f"{base}:votes", f"{base}:ops", f"{base}:byv", f"{base}:seq", f"{base}:sup"


def _opinion_json(o: Opinion) -> str:
    return json.dumps(
        {
            "number": o.number,
            "visitor_id": o.visitor_id,
            "name": o.name,
            "text": o.text,
            "at": o.at,
            "hidden": o.hidden,
        },
        ensure_ascii=False,
    )


def _opinion(question_id: str, raw: str, supports: int) -> Opinion:
    d = json.loads(raw)
    return Opinion(
        question_id,
        d["number"],
        d["visitor_id"],
        d["name"],
        d["text"],
        d["at"],
        supports,
        d["hidden"],
    )


class RedisDialogue:
    """Questions, votes, opinions and support."""

    _conn: Connection
    _slots: VisitorSlots

    @guarded
    async def put_question(self, question: Question) -> None:
        await self._conn.redis.hset(QUESTIONS, question.id, dialogue.dumps(question))

    @guarded
    async def questions(self) -> tuple[Question, ...]:
        held: dict[str, str] = await self._conn.redis.hgetall(QUESTIONS)
        return tuple(dialogue.loads(held[qid]) for qid in sorted(held))

    @guarded
    async def dialogue_tally(self, question_id: str) -> Tally:
        votes_key, ops_key, _byv, _seq, sup_key = _keys(question_id)
        redis = self._conn.redis
        votes: dict[int, int] = {}
        for option in (await redis.hgetall(votes_key)).values():
            votes[int(option)] = votes.get(int(option), 0) + 1
        supports: dict[int, int] = {}
        for member in await redis.smembers(sup_key):
            number = int(member.partition("\n")[0])
            supports[number] = supports.get(number, 0) + 1
        ops: dict[str, str] = await redis.hgetall(ops_key)
        opinions = sorted(
            (_opinion(question_id, raw, supports.get(int(n), 0)) for n, raw in ops.items()),
            key=lambda o: o.number,
        )
        return Tally(votes, tuple(opinions))

    @guarded
    async def dialogue_part(self, question_id: str, visitor_id: str) -> Part:
        votes_key, _ops, byv_key, _seq, sup_key = _keys(question_id)
        redis = self._conn.redis
        vote = await redis.hget(votes_key, visitor_id)
        mine = await redis.hget(byv_key, visitor_id)
        supported = frozenset(
            int(n)
            for n, _, who in (m.partition("\n") for m in await redis.smembers(sup_key))
            if who == visitor_id
        )
        return Part(
            None if vote is None else int(vote), None if mine is None else int(mine), supported
        )

    @guarded
    async def cast_vote(
        self, question_id: str, visitor_id: str, option: int, statement: dict[str, Any], now: float
    ) -> bool:
        votes_key = _keys(question_id)[0]
        redis = self._conn.redis
        if not await redis.hexists(votes_key, visitor_id):
            await self._slots.post([statement_item(statement, now)])
        return bool(await redis.hset(votes_key, visitor_id, str(option)))

    @guarded
    async def post_opinion(self, opinion: Opinion, statement: dict[str, Any]) -> Opinion | None:
        _votes, ops_key, byv_key, seq_key, _sup = _keys(opinion.question_id)
        if await self._conn.redis.hexists(byv_key, opinion.visitor_id):
            return None
        await self._slots.post([statement_item(statement, opinion.at)])
        blank = Opinion(
            opinion.question_id, 0, opinion.visitor_id, opinion.name, opinion.text, opinion.at
        )
        script = self._dialogue_script()
        number = int(
            await script(
                keys=[ops_key, byv_key, seq_key], args=[opinion.visitor_id, _opinion_json(blank)]
            )
        )
        if number == 0:
            return None
        return Opinion(
            opinion.question_id, number, opinion.visitor_id, opinion.name, opinion.text, opinion.at
        )

    def _dialogue_script(self) -> Any:
        held: dict[str, Any] = self.__dict__.setdefault("_dialogue_scripts", {})
        if "post" not in held:
            held["post"] = self._conn.redis.register_script(POST_OPINION)
        return held["post"]

    @guarded
    async def support_opinion(self, question_id: str, number: int, visitor_id: str) -> bool:
        return bool(await self._conn.redis.sadd(_keys(question_id)[4], f"{number}\n{visitor_id}"))

    @guarded
    async def hide_opinion(self, question_id: str, number: int, hidden: bool) -> Opinion:
        _votes, ops_key, _byv, _seq, sup_key = _keys(question_id)
        redis = self._conn.redis
        raw = await redis.hget(ops_key, str(number))
        if raw is None:
            raise Refused(ErrorCode.UNKNOWN_OPINION, f"no opinion {number} in {question_id}")
        body = json.loads(raw) | {"hidden": hidden}
        await redis.hset(ops_key, str(number), json.dumps(body, ensure_ascii=False))
        supports = sum(
            1 for m in await redis.smembers(sup_key) if m.partition("\n")[0] == str(number)
        )
        return _opinion(question_id, json.dumps(body), supports)

    @guarded
    async def pay_award(self, award: Award) -> Payout:
        fields = [(AWD, award.key), *_earning_fields(award.at)]

        def decide(view: View) -> tuple[Writes, Callable[[int], Payout]]:
            _require_registered(view)
            writes = Writes()
            payout = _pay(writes, view, award)
            return writes, lambda _balance: payout

        return await self._slots.update(award.visitor_id, fields, decide)
