"""One clock, Mesa's ``time``: week w spans [w, w + 1), its dated events run at w by declared priority, its step at w + 0.5."""

from __future__ import annotations

import pytest
from conftest import make_scenario
from mesa.time import Priority

from orgsim import OrgModel
from orgsim.mechanisms import releases


def small(**overrides) -> OrgModel:
    return OrgModel(make_scenario(scale=0.05, **overrides), rng=3)


def test_week_is_mesa_time_during_events_and_steps() -> None:
    model = small()
    seen: list[tuple[str, float, int, int]] = []

    def stage(m: OrgModel) -> None:
        seen.append(("step", m.time, m.week, m.steps))

    def dated() -> None:
        seen.append(("event", model.time, model.week, model.steps))

    model.pipeline = (*model.pipeline, stage)
    model.schedule_week(2, dated, Priority.DEFAULT)
    assert (model.time, model.week) == (0.0, 0)
    model.run(3)
    assert seen == [("step", 0.5, 0, 1), ("step", 1.5, 1, 2), ("event", 2.0, 2, 2), ("step", 2.5, 2, 3)]
    assert (model.time, model.week, model.steps) == (3.0, 3, 3)
    model.step()  # Mesa's own step: one more week
    assert (model.time, model.week, model.steps) == (4.0, 4, 4)
    with pytest.raises(AttributeError):
        model.week = 7  # derived from the clock, not a second one


def test_dated_events_of_a_week_run_by_priority_then_date_then_key(monkeypatch) -> None:
    """Week 3 (from Monday 2025-06-23): the share shock dated Sunday runs first (TERMS), the layoff and the reorg
    of Tuesday next by key (ORGANIZATION), the release dated Monday last, after all three (RELEASES)."""
    timeline = {
        "z_shock": {"date": "2025-06-29", "kind": "share_shock", "lab": "meta", "change": -0.05},
        "b_reorg": {"date": "2025-06-24", "kind": "reorg", "lab": "meta"},
        "a_layoff": {"date": "2025-06-24", "kind": "layoff", "lab": "meta", "n": 20},
        "probe": {"date": "2025-06-23", "kind": "release", "lab": "openai", "model": "probe"},
    }
    model = small(timeline=timeline)
    assert {model.spec.week_of(e.date) for e in model.spec.timeline.values()} == {3}
    fired_at_release: list[list[str]] = []
    land = releases.release

    def spy(m, lab, name, **kwargs):
        if name == "probe":
            fired_at_release.append([key for _, key in m.fired])
        return land(m, lab, name, **kwargs)

    monkeypatch.setattr(releases, "release", spy)
    model.run(4)
    assert model.fired == [(3, "z_shock"), (3, "a_layoff"), (3, "b_reorg")]
    assert fired_at_release == [["z_shock", "a_layoff", "b_reorg"]]
    assert [(r["week"], r["model"]) for r in model.release_log if r["model"] == "probe"] == [(3, "probe")]


def test_schedule_week_during_a_step_runs_at_the_start_of_the_next_week() -> None:
    """Asked during week 2's step for week 2 (under way) or week 1 (past): both run at time 3, before week 3's step."""
    model = small()
    seen: list[tuple[str, float]] = []

    def late() -> None:
        seen.append(("late", model.time))

    def stage(m: OrgModel) -> None:
        seen.append(("step", m.time))
        if m.week == 2:
            for week in (m.week, m.week - 1):
                event = m.schedule_week(week, late, Priority.LOW)
                assert event.time == 3.0 and event.priority == Priority.LOW

    model.pipeline = (*model.pipeline, stage)
    model.run(4)
    assert seen == [("step", 0.5), ("step", 1.5), ("step", 2.5), ("late", 3.0), ("late", 3.0), ("step", 3.5)]


def test_during_a_dated_event_its_own_week_is_still_open() -> None:
    """An event that schedules for its own week (a slip of 0 weeks would) runs that same week, before the step."""
    model = small()
    seen: list[tuple[str, int]] = []

    def follow_up() -> None:
        seen.append(("follow-up", model.week))

    def first() -> None:
        seen.append(("first", model.week))
        model.schedule_week(model.week, follow_up, Priority.DEFAULT)

    model.pipeline = (*model.pipeline, lambda m: seen.append(("step", m.week)))
    model.schedule_week(1, first, Priority.DEFAULT)
    model.run(2)
    assert seen == [("step", 0), ("first", 1), ("follow-up", 1), ("step", 1)]
