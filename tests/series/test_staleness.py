"""Series over time: figures growing old leave the estimate standing, marked stale; only a
source reporting a lower number makes it fall (issue 11, item 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from tests.series.test_series import D0, WINDOW, World


@pytest.fixture
def world(session: Session) -> World:
    return World(session)


def test_old_figures_leave_the_estimate_standing_and_marked_stale(world: World) -> None:
    world.figure("A", "LB-AK", D0, 3000)
    last_fresh = world.at("LB-AK", D0 + timedelta(days=WINDOW - 1))
    assert last_fresh is not None and not last_fresh.stale
    assert last_fresh.fresh_until == D0 + timedelta(days=WINDOW - 1)
    held = world.at("LB-AK", D0 + timedelta(days=WINDOW))
    assert held is not None and held.stale
    assert (held.estimate, held.fresh_until) == (3000, D0 + timedelta(days=WINDOW - 1))


def test_arrivals_since_a_total_do_not_fall_when_the_total_grows_old(world: World) -> None:
    world.figure("A", "LB-AK", D0, 10_000)
    world.figure("A", "LB-AK", D0 + timedelta(days=5), 2000, kind="new")
    # the total is older than the window on this day, the arrivals are not
    point = world.at("LB-AK", D0 + timedelta(days=WINDOW + 1))
    assert point is not None and point.estimate == 12_000 and not point.stale


def test_a_source_growing_old_does_not_hand_the_estimate_to_a_lower_one(world: World) -> None:
    world.figure("A", "LB-AK", D0, 10_000)
    world.figure("B", "LB-AK", D0 + timedelta(days=5), 3000)
    point = world.at("LB-AK", D0 + timedelta(days=WINDOW + 1))
    assert point is not None and point.estimate == 10_000 and not point.stale


def test_a_lower_report_makes_a_fall(world: World) -> None:
    world.figure("A", "LB-AK", D0, 10_000)
    later = D0 + timedelta(days=WINDOW + 10)
    world.figure("A", "LB-AK", later, 6000)
    point = world.at("LB-AK", later)
    assert point is not None and (point.estimate, point.stale) == (6000, False)


def test_a_parent_keeps_a_quiet_childs_estimate(world: World) -> None:
    world.figure("A", "LB-AK", D0, 3000)
    later = D0 + timedelta(days=WINDOW + 10)
    world.figure("B", "LB-BH", later, 10_000)
    point = world.at("LB", later)
    assert point is not None and point.estimate == 13_000 and not point.stale
    assert {s["figure_id"] for s in point.sources} == {
        s["figure_id"] for p in ("LB-AK", "LB-BH")
        for s in world.at(p, later if p == "LB-BH" else D0).sources}  # type: ignore[union-attr]


def test_arrivals_long_after_a_total_add_to_what_stands(world: World) -> None:
    world.figure("A", "LB-AK", D0, 10_000)
    world.figure("A", "LB-AK", D0 + timedelta(days=3), 9000)  # supersedes the 10,000
    later = D0 + timedelta(days=100)
    world.figure("A", "LB-AK", later, 500, kind="new")
    point = world.at("LB-AK", later)
    assert point is not None and (point.estimate, point.new_arrivals) == (9500, 500)
    assert point.fresh_until == later + timedelta(days=WINDOW - 1)
    assert len(point.sources) == 2
