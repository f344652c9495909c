"""Why a learning request was refused, in the codes of the shared protocol table.

A refused request is not a broken session: the visitor gets a :class:`Refusal` (code, detail,
perhaps when to retry), nothing is recorded or awarded, and the session carries on. Codes come
from :class:`srichan_world.protocol.codes.ErrorCode`, the one table the browser shares, so the
WebSocket layer sends a refusal's code as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from srichan_world.protocol.codes import ErrorCode


@dataclass(frozen=True)
class Refusal:
    """A refused request: why, and when it may succeed (``retry_at``, Unix seconds)."""

    code: ErrorCode
    detail: str
    retry_at: float | None = None


class Refused(Exception):
    """Raised where a refusal must unwind a call (the store); carries the :class:`Refusal`."""

    def __init__(self, code: ErrorCode, detail: str, retry_at: float | None = None) -> None:
        super().__init__(f"{code.name}: {detail}")
        self.refusal = Refusal(code, detail, retry_at)

    @property
    def code(self) -> ErrorCode:
        return self.refusal.code
