"""A Hypothesis state machine over answer / retry / redeem / restart against the real store.

The model is a few counters; after every step the store must agree with it, no balance may be
negative, the ledger must sum to zero, the audit must pass, and no quiz may be awarded twice.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import Counter
from collections.abc import Coroutine
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from server.store import Store, open_store
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.ledger import CITY_POOL, Transfer, shop_account, visitor_account
from srichan_world.world.periods import day_of
from srichan_world.world.quizzes import quiz_version, reward_due
from tests.server.store.conftest import SECRET, T0, make_answer, record_answer
from tests.world.learning_fixtures import quiz

T = TypeVar("T")
VISITORS = ("visitor-0001", "visitor-0002")
SHOPS = (shop_account("B01"), shop_account("B02"))
QUIZZES = tuple(quiz(f"q{i}", reward=r, cooldown_s=0.0) for i, r in enumerate((10, 25, 40)))
CAP = 60


class StoreMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.mkdtemp(prefix="srichan-stateful-")
        self.url = f"sqlite:///{self.folder}/machine.db"
        self.loop = asyncio.new_event_loop()
        self.store: Store = self.run(open_store(self.url))
        for v in VISITORS:
            self.run(self.store.register_visitor(v, SECRET, T0))
        self.now = T0
        self.serial = 0
        self.balances: Counter[str] = Counter()
        self.awarded: set[tuple[str, str]] = set()
        self.missed: Counter[tuple[str, str]] = Counter()
        self.paid_awards = 0
        self.earned: Counter[tuple[str, str]] = Counter()
        self.answer_keys: list[str] = []
        self.redeems: dict[str, tuple[Transfer, bool]] = {}

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.run(self.store.close())
        self.loop.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def next_key(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    @rule(visitor=st.sampled_from(VISITORS), q=st.sampled_from(QUIZZES), correct=st.booleans())
    def answer(self, visitor: str, q: Any, correct: bool) -> None:
        key = self.next_key("answer-")
        outcome = self.run(
            record_answer(
                self.store, make_answer(visitor, key, correct=correct, now=self.now, q=q), CAP
            )
        )
        self.answer_keys.append(key)
        expected = 0
        if correct and (visitor, q.id) not in self.awarded:
            day = (visitor, day_of(self.now))
            due = reward_due(q.reward, self.missed[visitor, q.id], q.attempts)
            expected = max(0, min(due, CAP - self.earned[day]))
            self.awarded.add((visitor, q.id))
            self.earned[day] += expected
            self.paid_awards += expected > 0
        if not correct:
            self.missed[visitor, q.id] += 1
        assert outcome.awarded == expected
        self.balances[visitor_account(visitor)] += expected
        self.balances[CITY_POOL] -= expected
        assert outcome.balance == self.balances[visitor_account(visitor)]

    @precondition(lambda self: self.answer_keys)
    @rule(data=st.data())
    def retry_answer(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(self.answer_keys))
        visitor = data.draw(st.sampled_from(VISITORS))
        try:
            self.run(record_answer(self.store, make_answer(visitor, key, now=self.now), CAP))
        except Refused as exc:
            assert exc.code == ErrorCode.ANSWER_REPLAYED
        else:
            raise AssertionError(f"replayed answer {key} was accepted")

    @rule(visitor=st.sampled_from(VISITORS), shop=st.sampled_from(SHOPS), amount=st.integers(1, 60))
    def redeem(self, visitor: str, shop: str, amount: int) -> None:
        transfer = Transfer(
            self.next_key("redeem-"), visitor_account(visitor), shop, amount, "redeem", self.now
        )
        self.redeems[transfer.key] = (transfer, self.attempt(transfer))

    @precondition(lambda self: self.redeems)
    @rule(data=st.data())
    def retry_redeem(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.redeems)))
        transfer, succeeded = self.redeems[key]
        if succeeded:
            before = dict(self.balances)
            entry = self.run(self.store.transfer(transfer))
            assert entry.transfer.key == key
            assert dict(self.balances) == before
        else:
            self.redeems[key] = (transfer, self.attempt(transfer))

    def attempt(self, transfer: Transfer) -> bool:
        can_pay = self.balances[transfer.source] >= transfer.amount
        try:
            self.run(self.store.transfer(transfer))
        except Refused as exc:
            assert exc.code == ErrorCode.INSUFFICIENT_TOKENS and not can_pay
            return False
        assert can_pay, f"{transfer} overdrew"
        self.balances[transfer.source] -= transfer.amount
        self.balances[transfer.target] += transfer.amount
        return True

    @rule(seconds=st.sampled_from((1.0, 600.0, 3600.0 * 13, 86_400.0)))
    def wait(self, seconds: float) -> None:
        self.now += seconds

    @rule()
    def restart(self) -> None:
        self.run(self.store.close())
        self.store = self.run(open_store(self.url))

    @invariant()
    def the_store_agrees_with_the_model(self) -> None:
        accounts = [CITY_POOL, *(visitor_account(v) for v in VISITORS), *SHOPS]
        stored = {a: self.run(self.store.balance(a)) for a in accounts}
        assert stored == {a: self.balances[a] for a in accounts}
        assert all(b >= 0 for a, b in stored.items() if a != CITY_POOL)
        assert sum(stored.values()) == 0

    @invariant()
    def the_audit_passes_and_no_award_is_given_twice(self) -> None:
        report = self.run(self.store.audit())
        assert report.ok, report.problems
        entries = self.run(self.store.entries(limit=1000))
        awards = Counter(e.transfer.key for e in entries if e.transfer.key.startswith("award:"))
        assert all(n == 1 for n in awards.values())
        assert len(awards) == self.paid_awards
        for visitor, quiz_id in self.awarded:
            q = next(q for q in QUIZZES if q.id == quiz_id)
            key = f"{q.id}@{quiz_version(q)}"
            assert self.run(self.store.quiz_attempts(visitor, key)).awarded


StoreMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestStoreMachine = StoreMachine.TestCase
