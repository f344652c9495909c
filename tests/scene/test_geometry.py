"""Plane geometry the compiler and the server share."""

from __future__ import annotations

import pytest

from srichan_world.scene.geometry import (
    InterestGrid,
    Polyline,
    Walkable,
    distance_to_polygon,
    point_in_polygon,
    polygons_overlap,
)

SQUARE = ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0))


def test_point_in_polygon() -> None:
    assert point_in_polygon((5, 5), SQUARE)
    assert not point_in_polygon((15, 5), SQUARE)
    assert not point_in_polygon((5, -0.1), SQUARE)


def test_distance_to_polygon() -> None:
    assert distance_to_polygon((5, 5), SQUARE) == 0
    assert distance_to_polygon((13, 14), SQUARE) == pytest.approx(5.0)


def test_overlap_is_interior_only() -> None:
    touching = ((10.0, 0.0), (20.0, 0.0), (20.0, 10.0), (10.0, 10.0))
    crossing = ((9.0, 9.0), (20.0, 9.0), (20.0, 20.0), (9.0, 20.0))
    assert not polygons_overlap(SQUARE, touching)
    assert polygons_overlap(SQUARE, crossing)


def test_walkable_round_trips_through_json() -> None:
    line = Polyline(((0.0, 0.0), (100.0, 0.0)))
    walk = Walkable(line.corridor(10), (line.rectangle(50, 10, 2, 8),))
    again = Walkable.from_json(walk.to_json())
    assert again == walk
    assert again.contains((10, 5)) and not again.contains((50, -5)) and not again.contains((10, 11))


def test_interest_grid_cells_and_neighbours() -> None:
    grid = InterestGrid.covering(((0.0, -20.0), (100.0, 20.0)), 16.0)
    assert (grid.cols, grid.rows) == (7, 3)
    assert grid.cell_of((0.0, -20.0)) == (0, 0)
    assert grid.cell_of((1000.0, 1000.0)) == (6, 2), "points outside clamp to the edge"
    assert len(grid.neighbourhood((0, 0))) == 4
    assert len(grid.neighbourhood((3, 1))) == 9


def test_corridor_of_bent_polyline_contains_its_centreline() -> None:
    line = Polyline(((0.0, 0.0), (50.0, 0.0), (80.0, 30.0)))
    band = line.corridor(5.0)
    for station in range(0, int(line.length), 5):
        assert point_in_polygon(line.place(station, 0), band)
        assert point_in_polygon(line.place(station, 4.5), band)
        assert not point_in_polygon(line.place(station, 6.5), band)
