"""What goes wrong between a visitor and the rules, in the protocol's two grades of bad input.

.. code-block:: text

    Exception
     ├── ProtocolError    the peer broke the envelope: error reply, then the session closes
     └── Refused          a well-formed request was refused: error reply, the session stays
          └── .refusal    Refusal(code, detail, retry_at): the value the reply is made of

:class:`ProtocolError` is raised by the codec (:func:`~srichan_world.protocol.codec.decode`)
for bytes that are not a valid message: not msgpack, not an array, an unknown type, a field
of the wrong shape. It is caught where bytes come in, in the presence world's ``receive``,
which answers with an ``error`` and a ``Close`` effect; the server's WebSocket pump carries
the close out. Nothing after decoding raises it.

:class:`Refused` is the one way to refuse a well-formed request (too far from the quiz point,
sold out, another shop's slot). The rules raise it, and so do the stores, which check the
rules again inside their atomic step; either way nothing is changed. Whoever runs the request
catches it and answers with an ``error`` carrying its code, and the session carries on: the
street's request programs (:mod:`srichan_world.street`, which get a store's refusal thrown
back in at the step that met it) and the owners' HTTP API (a JSON refusal, 4xx). Codes come
from :class:`~srichan_world.protocol.codes.ErrorCode`, the table the browser shares, so a code
is sent as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from srichan_world.protocol.codes import CloseCode, ErrorCode


class ProtocolError(Exception):
    """The peer sent bytes that are not a valid message: the session must close.

    ``cid`` is the client id of the request when it could be read, so the error can echo it.
    """

    def __init__(
        self,
        message: str,
        code: ErrorCode = ErrorCode.BAD_FRAME,
        close: CloseCode = CloseCode.BAD_FRAME,
        cid: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.close = close
        self.cid = cid


@dataclass(frozen=True)
class Refusal:
    """Why a request was refused, and when it may succeed (``retry_at``, Unix seconds)."""

    code: ErrorCode
    detail: str
    retry_at: float | None = None


class Refused(Exception):
    """A well-formed request was refused; :attr:`refusal` says why."""

    def __init__(self, code: ErrorCode, detail: str, retry_at: float | None = None) -> None:
        super().__init__(f"{code.name}: {detail}")
        self.refusal = Refusal(code, detail, retry_at)

    @property
    def code(self) -> ErrorCode:
        return self.refusal.code
