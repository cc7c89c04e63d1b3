"""OrgModel: the AI talent market as a Mesa model.

Labs, researchers and executives are ``mesa.Agent`` handles; researchers'
weekly numbers live in :class:`~orgsim.sim.population.Population` arrays and
every mechanism is a vectorized pass over them. One step is one week, in the
order the mechanism registry (:mod:`orgsim.sim.plugins`) builds from the
mechanisms' declared stages (docs/ODD.md §3).

Mesa's ``time`` is the only clock: week ``w`` spans model time ``[w, w + 1)``.
Its dated scenario events run at time ``w`` in their declared priority
(:mod:`orgsim.sim.timeline`), its step at ``w + 0.5``; ``model.week`` is
``floor(time)`` and ``model.step()`` (Mesa's) advances one week.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.agentset import AbstractAgentSet, AgentSet
from mesa.time import Event, Priority, Schedule

from orgsim import outcomes
from orgsim.schema import HiringSpec, Scenario
from orgsim.settings import scenario_of
from orgsim.sim import decision, derived, plugins, timeline
from orgsim.sim.agents import Executive, Researcher
from orgsim.sim.lab import Lab
from orgsim.sim.population import Population
from orgsim.sim.recording import HANDCUFF_YEARS, Recorder
from orgsim.sim.reporters import WeeklyCollector, model_reporters
from orgsim.sim.streams import Streams
from orgsim.sim.world import World

#: a week's step runs half-way through it, after the dated events stamped at its start
MID_WEEK = 0.5


class OrgModel(mesa.Model):
    """The 2025-26 race for AI research talent, one week per step.

    ``scenario`` is a shipped scenario's name, a YAML path or a
    :class:`~orgsim.schema.Scenario`; any config path can be set as a
    keyword, validated like ``--set``, so Mesa's ``batch_run`` can vary it.
    The validated scenario is ``model.spec`` (Mesa's own ``model.scenario``
    holds the seed). ``datacollector`` is a Mesa ``DataCollector`` holding the weekly
    model-level series (:mod:`orgsim.sim.reporters`).

    >>> from orgsim import OrgModel
    >>> model = OrgModel("baseline", rng=1, **{"population.scale": 0.05})
    >>> model.run(weeks=4).week
    4
    >>> model.metrics_frame().metric.nunique() > 10
    True
    >>> model.datacollector.get_model_vars_dataframe().index.tolist()
    [0, 1, 2, 3, 4]
    """

    # the world's structure, built from the scenario by World.build_labs (:mod:`orgsim.sim.world`)
    labs: list[Lab]  # in config order
    lab_by_key: dict[str, Lab]
    executive_by_key: dict[str, Executive]
    team_names: list[str]  # "lab/team"
    team_index: dict[tuple[str, str], int]
    team_lab: np.ndarray  # (teams,) each team's lab
    team_target: np.ndarray  # (teams,) target headcount at the start, in this world's scale
    team_protected: np.ndarray  # (teams,) spared by layoffs and reorgs
    team_skill_shift: np.ndarray  # (teams,) log shift of its researchers' skill
    lab_pay: np.ndarray  # (labs, 3) base k$, equity k$, skill elasticity
    lab_vesting: np.ndarray  # (labs, 4) cliff, vesting interval, grant length, claw-back window (weeks)
    lab_mission: np.ndarray  # (labs, 3) safety, openness, product (M13 moves it)
    vesting: derived.VestingTables
    fits: derived.Fits
    # the people (World.build_population) and the run's fixed top-talent line
    population: Population
    star_threshold: float

    def __init__(
        self,
        scenario: Scenario | str | Path = "baseline",
        rng: int | None = None,
        run_id: str | None = None,
        **settings: Any,
    ):
        scenario = scenario_of(scenario, settings)
        super().__init__(rng=rng)
        self._step_mid_week()
        # every mechanism draws from its own stream of this seed (common random numbers across scenarios)
        self.streams = Streams(rng if isinstance(rng, int | np.integer) else self.rng.integers(2**63))
        self.spec = scenario
        self.params = plugins.params(scenario.mechanisms)
        self.pipeline = plugins.pipeline()
        self.hooks = plugins.hooks()
        self.actions = plugins.actions()
        self.value_mechanisms = plugins.stay_terms()
        self.stay_prices = tuple(plugins.iter_prices(self))
        self.scale = scenario.population.scale
        self.run_id = run_id or f"{scenario.name}-seed{rng}"
        self.week_quantiles = derived.WeekQuantiles()
        self.cohorts: list[str] = []
        self.fired: list[tuple[int, str]] = []
        self.decisions: list[tuple[int, str, str]] = []
        self.release_log: list[dict] = []
        self.slip_log: list[dict] = []

        self.world = World(self)
        self.world.build_labs()
        self.population = self.world.build_population()
        self.star_threshold = derived.market_quantile(self, scenario.outcomes.top_quantile)  # fixed for the run
        self.states = plugins.setup(self)
        self.leave_constant = decision.calibrate(self)  # a_L per lab (M3), once every mechanism's state exists
        self.recorder = Recorder(self, scenario.weeks)
        self.top_talent_watch = outcomes.TopTalentWatch(self, scenario.outcomes.retention_weeks)
        self._timeline = timeline.schedule(self)
        self.levels = self._levels()
        self.datacollector = WeeklyCollector(model_reporters=model_reporters(self))
        self.datacollector.collect(self)

    # ------------------------------------------------------------ running

    def _step_mid_week(self) -> None:
        """Mesa's default schedule steps at whole times, where the next week's dated events fall too.

        It is replaced, as Mesa's own ``DEVSimulator`` replaces it, by one at
        mid-week, so ``floor(time)`` is the week whether an event or the step
        is running; ``step()`` still advances one week, events of the next
        week included, as Mesa's does.
        """
        self._default_schedule.stop()
        self.schedule_recurring(self._do_step, Schedule(interval=1.0, start=MID_WEEK), priority=Priority.HIGH)

    @property
    def week(self) -> int:
        """The week under way: ``floor(time)``, Mesa's clock."""
        return int(self.time)

    def step(self) -> None:
        """Simulate one week (stages 2-8) and record it."""
        for stage in self.pipeline:
            stage(self)
        self.levels = self._levels()
        self.recorder.collect(self.levels)
        self.datacollector.collect(self)
        if self.week + 1 >= self.spec.weeks:
            self.running = False

    def run(self, weeks: int | None = None) -> OrgModel:
        """Run ``weeks`` more weeks, or to the scenario's horizon (never past it: its dated inputs end there)."""
        end = self.spec.weeks if weeks is None else min(self.week + weeks, self.spec.weeks)
        if end > self.time:
            self.run_until(end)
        return self

    def stream(self, name: str) -> np.random.Generator:
        """This week's random generator of mechanism ``name`` (see :mod:`orgsim.sim.streams`)."""
        return self.streams.get(name, self.week)

    def schedule_week(self, week: int, function: Callable[[], None], priority: Priority) -> Event:
        """Run ``function`` at the start of ``week``, before its step, placed among its dated events by ``priority``.

        A week whose step has begun, or a past one, means the next week to
        start: an event scheduled by the step of week ``w`` runs in ``w + 1``.
        """
        return self.schedule_event(function, at=float(max(week, math.ceil(self.time))), priority=priority)

    # ------------------------------------------------------------ state readers

    @property
    def config(self) -> Scenario:
        """Deprecated: ``model.spec``, the orgsim scenario (Mesa's ``model.scenario`` is its own, holding the seed)."""
        warnings.warn("OrgModel.config is now OrgModel.spec", DeprecationWarning, stacklevel=2)
        return self.spec

    @property
    def date(self) -> dt.date:
        return self.spec.start + dt.timedelta(weeks=self.week)

    @property
    def year(self) -> int:
        return self.date.year

    @property
    def focal(self) -> Lab:
        return self.lab_by_key[self.spec.focal_lab]

    def headcounts(self) -> np.ndarray:
        pop = self.population
        if pop.headcounts is not None:
            return pop.headcounts
        return pop.lab_counts(len(self.labs))

    def growth_factor(self) -> np.ndarray:
        """Per team: how much its lab's target headcount has grown since the start."""
        growth = np.array([self.lab_growth(lab.spec.hiring) for lab in self.labs])
        return growth[self.team_lab]

    def lab_growth(self, hiring: HiringSpec) -> float:
        """Growth of a lab's target headcount to this week: ``growth`` a year, then ``later_growth``."""
        switch = (
            self.week if hiring.growth_until is None else min(self.week, max(0, self.spec.week_of(hiring.growth_until)))
        )
        return (1.0 + hiring.growth) ** (switch / 52.0) * (1.0 + hiring.later_growth) ** ((self.week - switch) / 52.0)

    def team_targets(self) -> np.ndarray:
        """Target headcount per team this week, grown at each lab's configured rate."""
        return self.team_target * self.growth_factor()

    def vacancies(self) -> np.ndarray:
        """Open positions per lab (0 while a hiring freeze lasts)."""
        open_ = np.bincount(self.team_lab, weights=self.team_targets(), minlength=len(self.labs)) - self.headcounts()
        frozen = np.array([lab.hiring_frozen for lab in self.labs])
        return np.where(frozen, 0.0, np.maximum(open_, 0.0))

    def lab_price(self) -> np.ndarray:
        return derived.lab_array(self, "share_price")

    def compute_per_researcher(self) -> np.ndarray:
        return derived.lab_array(self, "accelerators") / np.maximum(self.headcounts(), 1)

    def cohort_code(self, name: str) -> int:
        if name not in self.cohorts:
            self.cohorts.append(name)
        return self.cohorts.index(name)

    def scaled(self, n: int) -> int:
        """A configured count (layoffs, acqui-hires) in this world's population scale."""
        return int(round(n * self.scale))

    @property
    def lab_agents(self) -> AbstractAgentSet[Lab]:
        """The labs as Mesa's AgentSet, in config order: mechanisms ask every lab to decide with ``.do``."""
        return self.agents_by_type[Lab]

    @property
    def researchers(self):
        return self.agents_by_type.get(Researcher) or AgentSet([], random=self.random)

    @property
    def executives(self) -> list[Executive]:
        return [e for lab in self.labs for e in lab.executives if e.active]

    # ------------------------------------------------------------ outputs

    def _levels(self) -> dict[str, np.ndarray]:
        pop, n_labs = self.population, len(self.labs)
        labs = pop.lab.astype(np.int64)
        headcount = np.bincount(labs, minlength=n_labs).astype(float)
        stars = np.bincount(labs, weights=(pop.skill >= self.star_threshold), minlength=n_labs)
        tracked = np.array([c == self.spec.outcomes.cohort for c in self.cohorts] or [False])[pop.cohort]
        ceo_pressure = [lab.ceo.pressure if lab.ceo is not None else 0.0 for lab in self.labs]
        handcuffed = derived.forfeited(self) > HANDCUFF_YEARS * pop.market_k
        return {
            "headcount": headcount,
            "top_talent": stars,
            "top_talent_share": stars / max(stars.sum(), 1.0),
            "capability": derived.lab_array(self, "capability"),
            "standing": derived.lab_array(self, "standing"),
            "knowledge": plugins.act(self, "knowledge", default=np.zeros(n_labs)),
            "morale": np.bincount(labs, weights=pop.morale, minlength=n_labs) / np.maximum(headcount, 1),
            "stability": derived.lab_array(self, "stability"),
            "share_price": self.lab_price(),
            "prestige": derived.lab_array(self, "prestige"),
            "trust": derived.lab_array(self, "trust"),
            "pressure": np.array(ceo_pressure),
            "tracked_cohort": np.bincount(labs, weights=tracked, minlength=n_labs),
            "handcuffed": np.bincount(labs, weights=handcuffed, minlength=n_labs),
        }

    def metrics_frame(self) -> pd.DataFrame:
        """Weekly metrics, tidy: run_id, week, date, lab, metric, value."""
        return self.recorder.metrics_frame(self.run_id)

    def events_frame(self) -> pd.DataFrame:
        """One row per researcher event with the hazard covariates at that moment."""
        return self.recorder.events_frame(self.run_id)

    def headline(self, metrics: pd.DataFrame | None = None, events: pd.DataFrame | None = None) -> outcomes.Headline:
        """Release outcome, tracked-cohort retention after it, top-talent share (see :mod:`orgsim.outcomes`)."""
        o = self.spec.outcomes
        return outcomes.headline(
            self.metrics_frame() if metrics is None else metrics,
            self.events_frame() if events is None else events,
            self.release_log,
            self.spec.focal_lab,
            o.cohort,
            o.release,
            o.retention_weeks,
            self.top_talent_watch.retention,
        )
