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
* ``srichan:{badges}:…``: Open Badges, their signing keys and revocation bits (see
  :mod:`server.store.redis.badges`).
* ``srichan:{v:<visitor id>}:crs``: the visitor's lessons read and courses completed (see
  :mod:`server.store.redis.courses`).
* ``srichan:{dlg:<question id>}:…`` and ``srichan:{dlg}:questions``: the dialogue space (see
  :mod:`server.store.redis.dialogue`).
* ``srichan:{acct}:…``: account links, both ways (see :mod:`server.store.redis.accounts`).

Atomicity. The rules send plans (an answer, a quest fact, a redemption: see
:mod:`server.store.base`). A plan's conditions (the state it rests on, the day's cap, the
stock, the funds) are checked with the rules' own functions over a consistent read of the
visitor's slot (or of the street), and the writes are committed by a compare-and-set script
that applies them only if the slot's state version (the street's revision) is unchanged, else
the store reads and checks again. One process also serialises each visitor's requests, so
retries only happen between processes.

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
  :mod:`server.store.redis.coupons`).

Every step is idempotent and the work left to do is kept durably (the visitor's outbox, the
sequencer's ``credits``), so a call that dies halfway is finished by the same visitor's next
operation, by a retry with the same key, or by ``settle`` (the audit runs it first). Between
two steps of one call the ledger does not sum to zero; every method returns only after all its
steps, so its caller reads the invariants whole.

Differences from SQLite, all deliberate: statements are filed under
``max(their time, the latest filed time)`` so ``since`` is a range query (a statement that
arrives late is found by slightly later ``since`` values, never lost); a transfer with a key
starting ``award:`` or ``redeem:`` (the store's own) is refused as ``KEY_CONFLICT``; and a
coupon whose price changes between the visitor's debit and the street's decision is refused
as ``PROMOTION_CHANGED`` (SQLite, deciding in one transaction, would charge the new price).

Durability is Redis's: see docs/deploy.md (AOF ``appendfsync always`` loses nothing that was
acknowledged; ``everysec`` may lose the last second on a power cut).

Layout: one module per area (:mod:`~server.store.redis.ledger`, ``learning``, ``owners``,
``booths``, ``coupons``, ``audit``) over three shared parts: the :class:`~server.store.redis.
connection.Connection`, the visitors' slots (:mod:`~server.store.redis.slots`, the only code
that crosses slots) and the street (:mod:`~server.store.redis.street`).
"""

from __future__ import annotations

from server.store.redis.accounts import RedisAccounts
from server.store.redis.audit import RedisAudit
from server.store.redis.badges import RedisBadges
from server.store.redis.booths import RedisBooths
from server.store.redis.connection import Connection
from server.store.redis.console import RedisConsole
from server.store.redis.coupons import RedisCoupons, Sales
from server.store.redis.courses import RedisCourses
from server.store.redis.dialogue import RedisDialogue
from server.store.redis.events import RedisEvents
from server.store.redis.learning import RedisLearning
from server.store.redis.ledger import RedisVisitorLedger
from server.store.redis.owners import RedisOwners
from server.store.redis.personal import RedisPersonal
from server.store.redis.slots import VisitorSlots
from server.store.redis.street import Street
from server.store.redis.usage import RedisUsage


class RedisStore(
    RedisVisitorLedger,
    RedisLearning,
    RedisBooths,
    RedisCoupons,
    RedisOwners,
    RedisAudit,
    RedisBadges,
    RedisConsole,
    RedisCourses,
    RedisEvents,
    RedisUsage,
    RedisDialogue,
    RedisAccounts,
    RedisPersonal,
):
    """The Redis :class:`~server.store.base.Store`, one area per module; open with :meth:`open`."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._street = Street(conn)
        self._sales = Sales(conn, self._street)
        self._slots = VisitorSlots(conn, self._sales.confirm)

    @classmethod
    async def open(cls, url: str) -> RedisStore:
        """Connect, check the data's schema version, and return the store.

        Raises ``ValueError`` for a URL this store does not take, ``StoreError`` when Redis
        cannot be reached or holds data from a newer program.
        """
        return cls(await Connection.open(url))

    @property
    def cluster(self) -> bool:
        return self._conn.cluster

    async def close(self) -> None:
        await self._conn.close()
