"""Stopping a background task: cancel it and wait until it has unwound."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel(task: asyncio.Future[Any] | None) -> None:
    """Cancel ``task`` (if any) and wait for it, swallowing only its cancellation."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
