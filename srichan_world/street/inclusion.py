"""The ``usage`` message, decided here: a visitor's display settings become anonymous counts.

No store step and no reply: the program checks the values
(:func:`srichan_world.world.inclusion.settings_of`; ``bad_usage`` otherwise), counts what this
visitor was not yet counted for today (:class:`~srichan_world.world.inclusion.SeenToday`) and
hands the counts out on its :class:`~srichan_world.street.steps.Outcome`; the learning loop
adds them to the store's daily counters with the other figures. The message's rate limit is
the protocol's (``RATE_LIMITS[USAGE]``), enforced by the presence world before it gets here.
"""

from __future__ import annotations

from srichan_world.errors import Refused
from srichan_world.protocol.messages import Error
from srichan_world.protocol.usage_messages import UsageMsg
from srichan_world.street.steps import Outcome, Program
from srichan_world.world.inclusion import SeenToday, settings_of


class InclusionDesk:
    """One per process: today's memory of who was counted for what."""

    def __init__(self, seen: SeenToday | None = None) -> None:
        self.seen = seen or SeenToday()

    def usage(self, visitor_id: str, msg: UsageMsg, now: float) -> Program[Outcome]:
        yield from ()
        try:
            pairs = settings_of(msg.list_mode, msg.lang, msg.larger_text, msg.narration, msg.device)
        except Refused as exc:
            return Outcome([Error(int(exc.refusal.code), exc.refusal.detail)])
        return Outcome(usage=self.seen.count(visitor_id, pairs, now))
