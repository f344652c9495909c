"""Zoned processes: each server process serves one stretch of the street.

With ``--workers N`` on one Redis every process shows the whole crowd its visitors can see,
so a crowd standing where visitors of two processes mix is taken in, ranked and framed by
both (issue 16: two workers cost 26–37 % more CPU per client-tick than one). Sri Chan Road
is a line of landmarks, so the street splits into N stretches along its length, one per
process, and a visitor is asked to move to the process of the stretch it stands in: the
client reconnects to ``/ws?zone=k`` with its resume token (same place, same name; the
connection gate passes the socket to worker k, server/handoff.py). Only the visitors
near a boundary are then seen by two processes.

A visitor is asked only once it stands ``margin_m`` inside another stretch, so walking along
a boundary does not bounce it between processes, and again every ``nudge_s`` while it stays
there (a client that ignores the request is still served: the others' avatars reach it over
the shared news, it just costs more). The check runs once a second, not per move.
"""

from __future__ import annotations

from collections.abc import Iterable

from srichan_world.scene.geometry import InterestGrid
from srichan_world.world.presence.avatars import Session


class Zones:
    """Which stretch of the street each process serves, and who should move."""

    def __init__(
        self, grid: InterestGrid, count: int, home: int, margin_m: float, nudge_s: float
    ) -> None:
        if not 0 <= home < count:
            raise ValueError(f"zone {home} is not one of {count}")
        self.count = count
        self.home = home
        self.margin = margin_m
        self.nudge_s = nudge_s
        # stretches by interest-grid columns, as even as the columns allow
        self.edges = [grid.origin[0] + grid.cell * (k * grid.cols // count) for k in range(count)]
        self.edges.append(grid.origin[0] + grid.cell * grid.cols)
        self.asked: dict[int, float] = {}
        """Avatar id → when it was last asked to move (while it stands abroad)."""

    def zone_of(self, x: float) -> int:
        """The stretch ``x`` (metres along the street) lies in; outside the grid, the nearest."""
        edges = self.edges
        for k in range(self.count - 1, 0, -1):
            if x >= edges[k]:
                return k
        return 0

    def settled(self, x: float) -> int | None:
        """The stretch ``x`` stands at least the margin inside, or None near a boundary."""
        zone = self.zone_of(x)
        if zone > 0 and x - self.edges[zone] < self.margin:
            return None
        if zone < self.count - 1 and self.edges[zone + 1] - x < self.margin:
            return None
        return zone

    def movers(self, sessions: Iterable[Session], now: float) -> list[tuple[int, int]]:
        """``(session, zone)`` of each welcomed visitor to ask to move now: settled in
        another stretch and not asked in the last ``nudge_s``."""
        out: list[tuple[int, int]] = []
        asked = self.asked
        abroad: dict[int, float] = {}
        for s in sessions:
            a = s.avatar
            if a is None or s.closing or a.session is not s:
                continue
            zone = self.settled(a.x)
            if zone is None or zone == self.home:
                continue
            last = asked.get(a.id)
            if last is None or now - last >= self.nudge_s:
                out.append((s.id, zone))
                last = now
            abroad[a.id] = last
        self.asked = abroad  # forget those back home, gone or near a boundary again
        return out
