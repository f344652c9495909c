"""The Redis store: the SQLite store's contract for many processes, on one Redis or a Cluster.

URLs (see :func:`server.store.open_store`): ``redis://[:password@]host:port/db``,
``rediss://…`` (TLS), ``unix:///path/redis.sock?db=0``, and for Redis Cluster
``redis+cluster://host:port`` / ``rediss+cluster://host:port`` (any one node; the client
discovers the rest; a cluster has only database 0).

Keys. Every key carries a hash tag, so each Lua script touches ONE slot and runs unchanged on
a single server or a cluster:

* ``srichan:{v:<visitor id>}`` and ``…:bal :legs :out :att :awd :ans :qst :earn``: a visitor
  (secret hash, nickname, state version), their token balance, their transfer legs
  (``cr:<key>``/``dr:<key>`` -> ledger seq, ``""`` until sequenced), their outbox of global
  work not yet done, quiz attempts, awards, answers, quest progress and earnings by period.
  A visitor *account* ``visitor:<name>`` lives in the same slot as the visitor ``<name>``.
* ``srichan:{g}:…``: the sequencer slot. The ledger (``seq`` counter, ``entries`` seq -> body,
  ``keys`` transfer key -> seq, ``ix:<account>`` per-account index), the balances of every
  non-visitor account (``pool:city``, shops), ``credits`` awaiting a visitor's side, answer
  keys (``answers``), the xAPI statements (``stseq``, ``st``, ``sttime``, ``stid``) and the
  leaderboards (``board:<period>`` lexically sorted, with ``bm:``/``bv:`` member and version by
  visitor); and the street (shops, booths, promotions, sign-in links, owner sessions, the owner
  audit log, coupons: see :mod:`server.store.redis.street`). Global orders (ledger seq,
  statement stream, rankings) need one sequencer; its share of each operation is one small
  script, so one shard carries a street many times over.
* ``srichan:{img:<image id>}``: a photo's bytes, spread over the cluster.

Atomicity. Decisions are made in Python by the pure rules (``AttemptPolicy``,
``quests.advance``, ``ledger.allowance``) over a consistent read of the visitor's slot, and
committed by a compare-and-set script that applies the writes only if the visitor's state
version is unchanged (else read and decide again). One process also serialises each
visitor's requests, so retries only happen between processes.

Transfers across slots. A movement has a paying and a receiving side, possibly in different
slots. Rule: *the side that can refuse goes first, atomically with the idempotency key*:

* paid by a visitor (redeeming at a shop): the visitor's slot checks the funds, debits, and
  queues the movement in their outbox (one script). The sequencer then records it once per
  key (next seq, entry, index, the shop's credit). Should the key already belong to another
  movement there, the debit is given back (a credit can never overdraw) and the call refuses.
* paid by the pool or a shop: the sequencer checks the key (and a shop's funds), records the
  entry and debits there, and notes a pending credit; the visitor's slot credits once per key.
* awards: the visitor's commit decides and credits (the pool never refuses) and queues the
  pool's debit and the entry. ``award:`` keys are the store's own, so nothing can conflict.
* coupons: the visitor's debit first, then the street decides once per attempt (see
  :mod:`server.store.redis.street`).

Every step is idempotent and the work left to do is kept durably (the visitor's outbox, the
sequencer's ``credits``), so a call that dies halfway is finished by the same visitor's next
operation, by a retry with the same key, or by :meth:`RedisStore.settle` (the audit runs it
first). Between two steps of one call the ledger does not sum to zero; every method returns
only after all its steps, so its caller reads the invariants whole.

Differences from SQLite, all deliberate: statements are filed under
``max(their time, the latest filed time)`` so ``since`` is a range query (a statement that
arrives late is found by slightly later ``since`` values, never lost); a transfer with a key
starting ``award:`` or ``redeem:`` (the store's own) is refused as ``KEY_CONFLICT``; and a
coupon whose price changes between the visitor's debit and the street's decision is refused
as ``PROMOTION_CHANGED`` (SQLite, deciding in one transaction, would charge the new price).

Durability is Redis's: see docs/deploy.md (AOF ``appendfsync always`` loses nothing that was
acknowledged; ``everysec`` may lose the last second on a power cut).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from redis.exceptions import RedisClusterException, RedisError

from server.redis_client import is_cluster, open_client, redacted
from server.store.base import StatementPage, StoreError, Visitor
from server.store.redis.keys import (
    ANS,
    ANSWERS,
    ATT,
    AWD,
    BAL,
    BALANCES,
    CREDITS,
    EARN,
    ENTRIES,
    HASH,
    LEGS,
    OUT,
    POST_KEYS,
    QST,
    SCHEMA_KEY,
    SEQ,
    ST,
    ST_SEQ,
    ST_TIME,
    VISITOR_PATTERN,
    KeyList,
    Scripts,
    Turns,
    board_keys,
    dumps,
    guarded,
    index_key,
    item_args,
    movement,
    page,
    payer_visitor,
    statement_item,
    transfer_of,
    visitor_keys,
    visitor_of_key,
)
from server.store.redis.street import StreetMethods
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world import ledger, xapi
from srichan_world.world import quests as quest_rules
from srichan_world.world.leaderboard import BOARD_MAX, Board, LeaderRow, day_key, earning_periods
from srichan_world.world.leaderboard import period_key as board_period
from srichan_world.world.ledger import CITY_POOL, AuditReport, Entry, Transfer
from srichan_world.world.quests import QuestEntry, QuestFact, QuestState, QuestUpdate
from srichan_world.world.quizzes import Answer, AnswerOutcome, AttemptState
from srichan_world.world.visitors import (
    check_credentials,
    display_name,
    hash_secret,
    normalize_nickname,
    secret_matches,
)

T = TypeVar("T")

SCHEMA = 1
"""Bump when the key layout changes; a store refuses data written by a newer program."""
CAS_TRIES = 64
PAGE = 1000
"""Entries read per round trip by the audit."""
RESERVED_PREFIXES = ("award:", "redeem:")
"""Transfer keys the store makes for awards and coupons; ``transfer()`` refuses them."""
TOKENS_TOP = 10**15
QUESTS_TOP = 10**9


def board_member(visitor_id: str, tokens: int, quests: int, updated_at: float) -> str:
    """A leaderboard row as a string whose byte order is the ranking: more tokens, then more
    quests, then earlier, then visitor id (Redis sorts equal-score members lexically)."""
    tokens_left = TOKENS_TOP - min(tokens, TOKENS_TOP)
    quests_left = QUESTS_TOP - min(quests, QUESTS_TOP)
    return f"{tokens_left:016d}|{quests_left:010d}|{max(updated_at, 0.0):020.6f}|{visitor_id}"


def _board_row(member: str) -> tuple[str, int, int]:
    tokens_left, quests_left, _, visitor_id = member.split("|", 3)
    return visitor_id, TOKENS_TOP - int(tokens_left), QUESTS_TOP - int(quests_left)


@dataclass(frozen=True)
class _View:
    """A visitor's slot read at one instant."""

    registered: bool
    version: str
    values: dict[tuple[int, str], str | None]
    outbox: dict[str, dict[str, Any]]

    def get(self, key_index: int, name: str) -> str | None:
        return self.values[(key_index, name)]

    @property
    def next_version(self) -> int:
        return int(self.version) + 1


@dataclass
class _Plan:
    """What one visitor commit writes: hash fields, a balance change, outbox items."""

    writes: list[tuple[int, str, str]] = field(default_factory=list)
    delta: int = 0
    items: dict[str, dict[str, Any]] = field(default_factory=dict)

    def put(self, key_index: int, name: str, value: Any) -> None:
        self.writes.append((key_index, name, value if isinstance(value, str) else dumps(value)))

    def queue(self, item_id: str, item: dict[str, Any]) -> None:
        self.items[item_id] = item
        self.put(OUT, item_id, item)


class _Earnings:
    """A visitor's earnings rows (tokens, quests, updated_at) for the periods of ``now``."""

    def __init__(self, view: _View, now: float) -> None:
        self.rows: dict[str, tuple[int, int, float]] = {}
        for period in earning_periods(now):
            raw = view.get(EARN, period)
            self.rows[period] = tuple(json.loads(raw)) if raw else (0, 0, 0.0)  # type: ignore[assignment]

    @staticmethod
    def fields(now: float) -> list[tuple[int, str]]:
        return [(EARN, period) for period in earning_periods(now)]


class RedisStore(StreetMethods):
    """The Redis :class:`~server.store.base.Store`; open with :meth:`open`."""

    def __init__(self, client: Any, *, cluster: bool) -> None:
        self._client: Any = client
        self.cluster = cluster
        self._scripts = Scripts.of(client)
        self._turns = Turns()

    @classmethod
    async def open(cls, url: str) -> RedisStore:
        """Connect, check the data's schema version, and return the store.

        Raises ``ValueError`` for a URL this store does not take, ``StoreError`` when Redis
        cannot be reached or holds data from a newer program.
        """
        client = open_client(url, decode_responses=True)
        cluster = is_cluster(url)
        try:
            if cluster:
                await client.initialize()
            await client.set(SCHEMA_KEY, SCHEMA, nx=True)
            held = int(await client.get(SCHEMA_KEY))
        except (RedisError, RedisClusterException, OSError) as exc:
            await client.aclose()
            raise StoreError(f"cannot use Redis at {redacted(url)}: {exc}") from exc
        if held > SCHEMA:
            await client.aclose()
            raise StoreError(
                f"Redis data has schema version {held}, newer than this program "
                f"(knows up to {SCHEMA}); upgrade the program"
            )
        return cls(client, cluster=cluster)

    async def close(self) -> None:
        if self._client is None:
            return
        client, self._client = self._client, None
        await client.aclose()

    @property
    def _redis(self) -> Any:
        if self._client is None:
            raise StoreError("the store is closed")
        return self._client

    # -- visitors ---------------------------------------------------------------------------

    @guarded
    async def register_visitor(self, visitor_id: str, secret: str, now: float) -> Visitor:
        check_credentials(visitor_id, secret)
        held = await self._scripts.register(
            [visitor_keys(visitor_id)[HASH - 1]], [hash_secret(secret), repr(float(now))]
        )
        if not held:
            return Visitor(visitor_id, None, now)
        if not secret_matches(secret, held[0]):
            raise Refused(ErrorCode.BAD_IDENTITY, "this visitor id belongs to someone else")
        return Visitor(visitor_id, held[1], float(held[2]))

    @guarded
    async def authenticate_visitor(self, visitor_id: str, secret: str) -> Visitor:
        check_credentials(visitor_id, secret)
        stored, nick, created = await self._redis.hmget(
            visitor_keys(visitor_id)[HASH - 1], "secret", "nick", "created"
        )
        if stored is None or not secret_matches(secret, stored):
            raise Refused(ErrorCode.BAD_IDENTITY, "unknown visitor or wrong secret")
        return Visitor(visitor_id, nick, float(created))

    @guarded
    async def set_nickname(self, visitor_id: str, nickname: str) -> Visitor:
        name = normalize_nickname(nickname)
        created = await self._scripts.nickname([visitor_keys(visitor_id)[HASH - 1]], [name])
        if created is None:
            raise Refused(ErrorCode.BAD_IDENTITY, "unknown visitor")
        return Visitor(visitor_id, name, float(created))

    # -- quizzes ----------------------------------------------------------------------------

    @guarded
    async def quiz_attempts(self, visitor_id: str, quiz_key: str) -> AttemptState:
        view = await self._view(visitor_id, [(ATT, quiz_key), (AWD, f"quiz:{quiz_key}")])
        return _attempts(view, quiz_key)

    @guarded
    async def record_answer(self, answer: Answer, daily_cap: int) -> AnswerOutcome:
        visitor_id, quiz_key, now = answer.visitor_id, answer.quiz_key, answer.now
        await self._claim_answer_key(answer.key, visitor_id)
        award_key = f"quiz:{quiz_key}"
        fields = [(ANS, answer.key), (ATT, quiz_key), (AWD, award_key), *_Earnings.fields(now)]

        def decide(view: _View) -> tuple[_Plan, Callable[[int], AnswerOutcome]]:
            if view.get(ANS, answer.key) is not None:
                raise Refused(ErrorCode.ANSWER_REPLAYED, "this answer was already graded")
            if not view.registered:
                raise Refused(ErrorCode.BAD_IDENTITY, "unknown visitor")
            state = _attempts(view, quiz_key)
            answer.policy.check(state, now)
            after = answer.policy.after(state, answer.correct, now)
            plan = _Plan()
            plan.put(ATT, quiz_key, [after.wrong, after.last_wrong_at])
            paid, capped = 0, False
            if answer.correct and not state.awarded:
                paid, capped = _award(
                    plan,
                    _Earnings(view, now),
                    view.next_version,
                    visitor_id,
                    award_key,
                    answer.reward,
                    f"quiz {quiz_key}",
                    now,
                    daily_cap,
                    quests_completed=0,
                )
            plan.put(
                ANS,
                answer.key,
                {
                    "quiz_key": quiz_key,
                    "choice": answer.choice,
                    "correct": answer.correct,
                    "awarded": paid,
                    "at": now,
                },
            )
            plan.queue(f"s:{answer.statement['id']}", statement_item(answer.statement, now))
            left = answer.policy.left(after, now)

            def outcome(balance: int) -> AnswerOutcome:
                return AnswerOutcome(
                    awarded=paid,
                    balance=balance,
                    already_awarded=state.awarded,
                    capped=capped,
                    attempts_left=left,
                    retry_at=after.last_wrong_at + answer.policy.cooldown_s if left == 0 else None,
                )

            return plan, outcome

        return await self._update(visitor_id, fields, decide)

    # -- quests -----------------------------------------------------------------------------

    @guarded
    async def advance_quests(
        self,
        visitor_id: str,
        fact: QuestFact,
        quests: Sequence[QuestEntry],
        now: float,
        daily_cap: int,
    ) -> tuple[QuestUpdate, ...]:
        fields = [(QST, e.key) for e in quests] + [(AWD, f"quest:{e.key}") for e in quests]
        fields += _Earnings.fields(now)

        def decide(view: _View) -> tuple[_Plan, Callable[[int], tuple[QuestUpdate, ...]]]:
            if not view.registered:
                raise Refused(ErrorCode.BAD_IDENTITY, "unknown visitor")
            plan, earnings = _Plan(), _Earnings(view, now)
            states: dict[str, QuestState] = {}
            awarded: set[str] = set()
            updates: list[QuestUpdate] = []
            for entry in quests:
                if entry.key in states:
                    state = states[entry.key]
                else:
                    state = _quest_state(view.get(QST, entry.key))
                after = quest_rules.advance(entry.quest, state, fact, now)
                if after == state:
                    continue
                states[entry.key] = after
                plan.put(QST, entry.key, _quest_json(after))
                update = quest_rules.progress(entry, after)
                if after.completed_at is not None:
                    award_key = f"quest:{entry.key}"
                    already = award_key in awarded or view.get(AWD, award_key) is not None
                    awarded.add(award_key)
                    paid, capped = (0, False)
                    if not already:
                        paid, capped = _award(
                            plan,
                            earnings,
                            view.next_version,
                            visitor_id,
                            award_key,
                            entry.quest.bonus,
                            f"quest {entry.key}",
                            now,
                            daily_cap,
                            quests_completed=1,
                        )
                    statement = xapi.completed_statement(
                        f"quest:{visitor_id}:{entry.key}",
                        visitor_id,
                        entry.quest,
                        entry.version,
                        now,
                    )
                    plan.queue(f"s:{statement['id']}", statement_item(statement, now))
                    update = replace(update, just_completed=True, bonus_awarded=paid, capped=capped)
                updates.append(update)
            return plan, lambda _balance: tuple(updates)

        return await self._update(visitor_id, fields, decide)

    @guarded
    async def quest_progress(self, visitor_id: str) -> dict[str, QuestState]:
        rows = await self._redis.hgetall(visitor_keys(visitor_id)[QST - 1])
        return {key: _quest_state(raw) for key, raw in rows.items()}

    # -- ledger -----------------------------------------------------------------------------

    @guarded
    async def transfer(self, transfer: Transfer) -> Entry:
        transfer.check()
        if transfer.key.startswith(RESERVED_PREFIXES):
            raise Refused(
                ErrorCode.KEY_CONFLICT, f"keys starting {RESERVED_PREFIXES} are the store's own"
            )
        payer = payer_visitor(transfer.source)
        if payer is None:
            return await self._transfer_from_sequencer(transfer)
        return await self._transfer_from_visitor(payer, transfer)

    @guarded
    async def balance(self, account: str) -> int:
        if not isinstance(account, str) or not ledger.ACCOUNT.match(account):
            return 0
        visitor_id = payer_visitor(account)
        if visitor_id is None:
            held = await self._redis.hget(BALANCES, account)
        else:
            held = await self._redis.get(visitor_keys(visitor_id)[BAL - 1])
        return int(held or 0)

    @guarded
    async def entries(
        self, account: str | None = None, *, after: int = 0, limit: int = 100
    ) -> tuple[Entry, ...]:
        limit = page(limit)
        keys = [ENTRIES] if account is None else [ENTRIES, index_key(account)]
        flat = await self._scripts.entries(keys, [max(int(after), 0), limit])
        return tuple(Entry(int(flat[i]), transfer_of(flat[i + 1])) for i in range(0, len(flat), 2))

    @guarded
    async def audit(self) -> AuditReport:
        """Settle half-done steps, then recompute; a discrepancy that a concurrent operation
        in flight could explain is re-checked twice before it is reported."""
        report = await self._audit_once()
        for _ in range(2):
            if report.ok:
                break
            await asyncio.sleep(0.05)
            report = await self._audit_once()
        return report

    @guarded
    async def settle(self) -> int:
        """Finish every cross-slot step that a crashed or cut-off call left undone: pending
        credits to visitors and visitors' outboxes. Idempotent; safe from any process at any
        time. Returns how many steps it found waiting."""
        redis = self._redis
        found = 0
        for seq in (await redis.hgetall(CREDITS)).values():
            body = await redis.hget(ENTRIES, seq)
            if body is not None:
                await self._deliver(transfer_of(body), int(seq))
                found += 1
        async for out_key in redis.scan_iter(match=f"{VISITOR_PATTERN}:out", count=500):
            visitor_id = visitor_of_key(out_key, ":out")
            async with self._turns(visitor_id):
                raw = await redis.hgetall(out_key)
                if raw:
                    found += len(raw)
                    await self._flush(visitor_id, {k: json.loads(v) for k, v in raw.items()})
        return found

    # -- leaderboards and learning records ---------------------------------------------------

    @guarded
    async def leaderboard(self, board: Board, now: float, limit: int = 10) -> tuple[LeaderRow, ...]:
        if not 1 <= limit <= BOARD_MAX:
            raise ValueError(f"limit must be 1..{BOARD_MAX}")
        board_key = board_keys(board_period(Board(board), now))[0]
        members = await self._redis.zrange(board_key, 0, limit - 1)
        rows = [_board_row(m) for m in members]
        pipe = self._redis.pipeline(transaction=False)
        for visitor_id, _, _ in rows:
            pipe.hget(visitor_keys(visitor_id)[HASH - 1], "nick")
        nicks = await pipe.execute() if rows else []
        return tuple(
            LeaderRow(rank, vid, display_name(vid, nick), tokens, done)
            for rank, ((vid, tokens, done), nick) in enumerate(
                zip(rows, nicks, strict=True), start=1
            )
        )

    @guarded
    async def statements_since(
        self, since: float, *, after: str | None = None, limit: int = 100
    ) -> StatementPage:
        limit = page(limit)
        try:
            cursor = int(after) if after is not None else 0
        except ValueError:
            raise ValueError(f"after {after!r} is not a cursor this store returned") from None
        since = float(since)
        if since != since:
            raise ValueError("since must be a number, not NaN")
        reply = await self._scripts.statements(
            [ST_SEQ, ST, ST_TIME], [repr(since), max(cursor, 0), limit]
        )
        more, bodies = reply[0], reply[1]
        statements = tuple(json.loads(b) for b in bodies if b is not None)
        return StatementPage(statements, str(reply[2]) if more else None)

    # -- the visitor's slot -------------------------------------------------------------------

    async def _claim_answer_key(self, key: str, visitor_id: str) -> None:
        """Answer keys are unique across visitors, as in SQLite. The quiz desk's keys name their
        visitor (``answer:<visitor id>:<nonce>``): such a key is that visitor's alone, anyone
        else using it replays it, and the visitor's own slot checks it atomically. Any other
        key is first claimed for its visitor in the sequencer (one more round trip)."""
        kind, _, rest = key.partition(":")
        owner, sep, _ = rest.partition(":")
        if kind == "answer" and sep:
            if owner != visitor_id:
                raise Refused(ErrorCode.ANSWER_REPLAYED, "this answer key is another visitor's")
            return
        claimed = await self._redis.hsetnx(ANSWERS, key, visitor_id)
        if not claimed and await self._redis.hget(ANSWERS, key) != visitor_id:
            raise Refused(ErrorCode.ANSWER_REPLAYED, "this answer was already graded")

    async def _view(self, visitor_id: str, fields: Iterable[tuple[int, str]]) -> _View:
        wanted = list(fields)
        args: list[Any] = []
        for key_index, name in wanted:
            args += [key_index, name]
        registered, version, values, outbox = await self._scripts.view(
            visitor_keys(visitor_id), args
        )
        return _View(
            registered=bool(registered),
            version=str(version),
            values=dict(zip(wanted, values, strict=True)),
            outbox={outbox[i]: json.loads(outbox[i + 1]) for i in range(0, len(outbox), 2)},
        )

    async def _update(
        self,
        visitor_id: str,
        fields: Sequence[tuple[int, str]],
        decide: Callable[[_View], tuple[_Plan, Callable[[int], T]]],
    ) -> T:
        """Read the visitor's slot, decide with the rules, commit if nothing changed in between
        (else again), then do the global steps of what was committed (and of any leftovers)."""
        keys = visitor_keys(visitor_id)
        async with self._turns(visitor_id):
            for attempt in range(CAS_TRIES):
                view = await self._view(visitor_id, fields)
                plan, finish = decide(view)
                if not plan.writes:
                    await self._flush(visitor_id, view.outbox)
                    return finish(0)
                args: list[Any] = [view.version, plan.delta]
                for write in plan.writes:
                    args += write
                ok, _, balance = await self._scripts.commit(keys, args)
                if ok:
                    await self._flush(visitor_id, view.outbox | plan.items)
                    return finish(int(balance))
                await asyncio.sleep(random.uniform(0, 0.001 * (attempt + 1)))
        raise StoreError(f"visitor {visitor_id} kept changing; gave up after {CAS_TRIES} tries")

    async def _flush(
        self, visitor_id: str, items: dict[str, dict[str, Any]]
    ) -> dict[str, Entry | None]:
        """Run the sequencer step for a visitor's outbox items, finish their other legs, and
        clear them; a movement whose key the sequencer holds for another movement maps to
        ``None`` (its debit given back). A paid redemption is decided by the street."""
        items = dict(items)
        for item_id in [i for i, item in items.items() if item["kind"] == "C"]:
            # A refusal is decided and the debit given back; whoever paid was told (or is gone).
            with contextlib.suppress(Refused, StoreError):
                await self._confirm(visitor_id, item_id, items.pop(item_id))
        if not items:
            return {}
        ids = list(items)
        results = await self._post([items[i] for i in ids])
        legs: list[str] = []
        done: list[str] = []
        entries: dict[str, Entry | None] = {}
        for item_id, (status, seq, body, waiting) in zip(ids, results, strict=True):
            item = items[item_id]
            if item["kind"] != "M":
                done.append(item_id)
                continue
            held = transfer_of(body) if status != "short" else None
            if held is None or not held.same_movement(transfer_of(item["body"])):
                if item["leg"].startswith("dr:"):
                    keys = visitor_keys(visitor_id)
                    await self._scripts.refund(
                        [keys[BAL - 1], keys[LEGS - 1], keys[OUT - 1]],
                        [item["leg"], item["amount"], item_id, dumps(item)],
                    )
                    entries[item_id] = None
                # A credit cannot be taken back safely: the item stays for the audit to report.
                continue
            if int(waiting):
                await self._deliver(held, int(seq))
            legs += [item["leg"], str(seq)]
            done.append(item_id)
            entries[item_id] = Entry(int(seq), held)
        keys = visitor_keys(visitor_id)
        await self._scripts.ack([keys[LEGS - 1], keys[OUT - 1]], [len(legs) // 2, *legs, *done])
        return entries

    # -- transfers ----------------------------------------------------------------------------

    async def _post(self, items: Sequence[dict[str, Any]]) -> list[list[Any]]:
        keys = KeyList(POST_KEYS)
        args = item_args(items, keys)
        return await self._scripts.post(keys.names, args)

    async def _deliver(self, t: Transfer, seq: int) -> None:
        """The receiving visitor's side of a sequenced movement, then clear it as pending."""
        payee = payer_visitor(t.target)
        assert payee is not None, t
        keys = visitor_keys(payee)
        await self._scripts.credit([keys[BAL - 1], keys[LEGS - 1]], [f"cr:{t.key}", t.amount, seq])
        await self._redis.hdel(CREDITS, t.key)

    async def _transfer_from_sequencer(self, t: Transfer) -> Entry:
        ((status, seq, body, waiting),) = await self._post([movement(t, debit_here=True, leg=None)])
        if status == "short":
            raise Refused(ErrorCode.INSUFFICIENT_TOKENS, f"{t.source} holds less than {t.amount}")
        held = transfer_of(body)
        if not held.same_movement(t):
            raise Refused(ErrorCode.KEY_CONFLICT, f"key {t.key!r} was used for another transfer")
        if int(waiting):
            await self._deliver(held, int(seq))
        return Entry(int(seq), held)

    async def _transfer_from_visitor(self, payer: str, t: Transfer) -> Entry:
        keys = visitor_keys(payer)
        item_id = f"m:{t.key}"
        item = movement(t, debit_here=False, leg=f"dr:{t.key}")
        status, detail = await self._scripts.debit(
            [keys[BAL - 1], keys[LEGS - 1], keys[OUT - 1]],
            [f"dr:{t.key}", f"cr:{t.key}", t.amount, item_id, dumps(item)],
        )
        conflict = Refused(ErrorCode.KEY_CONFLICT, f"key {t.key!r} was used for another transfer")
        if status == "short":
            raise Refused(ErrorCode.INSUFFICIENT_TOKENS, f"{t.source} holds less than {t.amount}")
        if status == "conflict":
            raise conflict
        if status == "done":
            held = transfer_of(await self._redis.hget(ENTRIES, detail))
            if not held.same_movement(t):
                raise conflict
            return Entry(int(detail), held)
        if status == "pending" and detail:
            queued = json.loads(detail)
            if not transfer_of(queued["body"]).same_movement(t):
                raise conflict
            item = queued
        entry = (await self._flush(payer, {item_id: item})).get(item_id)
        if entry is None:
            raise conflict
        return entry

    # -- audit ----------------------------------------------------------------------------------

    async def _audit_once(self) -> AuditReport:
        await self.settle()
        redis = self._redis
        problems: list[str] = []
        entries: list[Entry] = []
        count = int(await redis.get(SEQ) or 0)
        for first in range(1, count + 1, PAGE):
            seqs = list(range(first, min(count, first + PAGE - 1) + 1))
            for seq, body in zip(seqs, await redis.hmget(ENTRIES, seqs), strict=True):
                if body is None:
                    problems.append(f"entry {seq} is missing")
                else:
                    entries.append(Entry(seq, transfer_of(body)))
        stored = {account: int(v) for account, v in (await redis.hgetall(BALANCES)).items()}
        balance_keys = [k async for k in redis.scan_iter(match=f"{VISITOR_PATTERN}:bal")]
        for key, held in zip(balance_keys, await self._get_many(balance_keys), strict=True):
            stored[ledger.visitor_account(visitor_of_key(key, ":bal"))] = int(held or 0)
        report = ledger.audit(entries, stored)
        by_key = {e.transfer.key: e.transfer for e in entries}
        async for key in redis.scan_iter(match=f"{VISITOR_PATTERN}:awd"):
            problems += await self._award_problems(visitor_of_key(key, ":awd"), by_key)
        problems += await self._coupon_problems(by_key)
        waiting = await redis.hlen(CREDITS)
        async for key in redis.scan_iter(match=f"{VISITOR_PATTERN}:out"):
            waiting += await redis.hlen(key)
        if waiting:
            problems.append(f"{waiting} cross-slot steps still pending after settling")
        return replace(report, problems=report.problems + tuple(problems))

    async def _get_many(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.get(key)
        return list(await pipe.execute())

    async def _award_problems(self, visitor_id: str, transfers: dict[str, Transfer]) -> list[str]:
        """Awards and the ledger must agree, as in the SQLite store's audit."""
        keys = visitor_keys(visitor_id)
        awards = await self._redis.hgetall(keys[AWD - 1])
        earned_all = await self._redis.hget(keys[EARN - 1], "all")
        problems = []
        total = 0
        for award_key, raw in awards.items():
            award = json.loads(raw)
            total += award["amount"]
            if award["amount"] <= 0:
                continue
            t = transfers.get(award["transfer_key"])
            if t is None or t.amount != award["amount"] or t.source != CITY_POOL:
                problems.append(f"award {award_key} of {visitor_id} has no matching transfer")
        earned = json.loads(earned_all)[0] if earned_all else 0
        if total != earned:
            problems.append(
                f"{visitor_id}: awards total {total} but learning earnings say {earned}"
            )
        return problems


# -- rules over a visitor's view (pure, no awaiting) ------------------------------------------


def _attempts(view: _View, quiz_key: str) -> AttemptState:
    raw = view.get(ATT, quiz_key)
    wrong, last = json.loads(raw) if raw else (0, 0.0)
    return AttemptState(wrong, last, awarded=view.get(AWD, f"quiz:{quiz_key}") is not None)


def _quest_state(raw: str | None) -> QuestState:
    if raw is None:
        return QuestState()
    held = json.loads(raw)
    return QuestState(frozenset(held["done"]), held["completed_at"])


def _quest_json(state: QuestState) -> dict[str, Any]:
    return {"done": sorted(state.done), "completed_at": state.completed_at}


def _award(
    plan: _Plan,
    earnings: _Earnings,
    version: int,
    visitor_id: str,
    award_key: str,
    amount: int,
    reason: str,
    now: float,
    daily_cap: int,
    *,
    quests_completed: int,
) -> tuple[int, bool]:
    """Plan an award not yet given, clipped to the day's allowance: credit the visitor, queue
    the pool's side, record earnings and leaderboard rows. Returns ``(paid, capped)``."""
    paid = ledger.allowance(amount, earnings.rows[day_key(now)][0], daily_cap)
    transfer_key = None
    if paid > 0:
        transfer_key = f"award:{visitor_id}:{award_key}"
        t = Transfer(transfer_key, CITY_POOL, ledger.visitor_account(visitor_id), paid, reason, now)
        plan.delta += paid
        plan.put(LEGS, f"cr:{transfer_key}", "")
        plan.queue(f"m:{transfer_key}", movement(t, debit_here=True, leg=f"cr:{transfer_key}"))
    plan.put(AWD, award_key, {"amount": paid, "transfer_key": transfer_key, "at": now})
    if paid > 0 or quests_completed:
        for period, (tokens, quests, _) in list(earnings.rows.items()):
            row = (tokens + paid, quests + quests_completed, now)
            earnings.rows[period] = row
            plan.put(EARN, period, list(row))
            if not period.startswith("D:"):
                member = board_member(visitor_id, row[0], row[1], now)
                plan.queue(
                    f"b:{period}:{version}",
                    {
                        "kind": "B",
                        "period": period,
                        "visitor": visitor_id,
                        "member": member,
                        "ver": version,
                    },
                )
    return paid, paid < amount
