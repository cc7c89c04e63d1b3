"""Building the world from a scenario: labs, teams, executives, the initial population.

Also the draws every arrival needs (skill, preferences, a team), so hiring,
acqui-hires and the initial population share one definition of a researcher.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import logsumexp

from orgsim.schema import ExecutiveSpec
from orgsim.sim import decision, derived, matching, morale
from orgsim.sim.agents import Executive, Researcher
from orgsim.sim.lab import Lab
from orgsim.sim.population import PREFERENCES, Population
from orgsim.sim.transitions import set_pay

if TYPE_CHECKING:
    from orgsim.sim.model import OrgModel


#: the tenure cap of a lab with no founding year (an old organization such as Apple or Microsoft)
OLD_ORGANIZATION_YEARS = 40
#: candidates drawn per seat of the initial staff, before they are weighted by how long each would stay
CANDIDATES = 3
#: candidates valued at a time
POOL_BLOCK = 8192


class World:
    """Creates labs, teams, executives and researchers for one model."""

    def __init__(self, model: OrgModel):
        self.model = model
        self.spec = model.spec.population

    # ------------------------------------------------------------ draws

    def draw_skill(self, k: int, log_shift: float | np.ndarray = 0.0) -> np.ndarray:
        """Pareto(alpha) skill >= 1, shifted in logs: a few stars carry much of the output."""
        return (1.0 + self.model.stream("population").pareto(self.spec.skill_alpha, size=k)) * np.exp(log_shift)

    def new_researcher_traits(self, labs: np.ndarray) -> dict[str, np.ndarray]:
        """Preference weights and mission ideals for researchers arriving at ``labs``.

        Ideals are Beta draws whose mean moves ``mission_sorting`` of the way
        from the population's mean to the lab's profile (people self-select
        into labs that fit them; M13), with the configured concentration.
        """
        rng, spec = self.model.stream("population"), self.spec
        k = len(labs)
        means = np.array([getattr(spec, f"weight_{p}") for p in PREFERENCES])
        spread = rng.lognormal(-0.5 * spec.preference_spread**2, spec.preference_spread, size=(k, len(PREFERENCES)))
        profile = self.model.lab_mission[labs]
        ideals = {}
        for column, (name, (a, b)) in enumerate(
            (("safety_pref", spec.safety_pref_beta), ("openness_pref", spec.openness_pref_beta))
        ):
            mean = (1.0 - spec.mission_sorting) * a / (a + b) + spec.mission_sorting * profile[:, column]
            mean = np.minimum(np.maximum(mean, 0.02), 0.98)  # np.clip's values, without its dispatch
            ideals[name] = rng.beta(mean * (a + b), (1.0 - mean) * (a + b))
        return {"prefs": means[None, :] * spread, **ideals}

    def pick_teams(self, labs: np.ndarray) -> np.ndarray:
        """A team for each arrival, in proportion to the teams' target sizes."""
        model = self.model
        teams = np.empty(len(labs), dtype=np.int64)
        for lab in np.unique(labs):
            ids = np.asarray(model.labs[lab].team_ids)
            weights = model.team_target[ids] + 1e-9
            sel = labs == lab
            teams[sel] = model.stream("population").choice(ids, size=int(sel.sum()), p=weights / weights.sum())
        return teams

    # ------------------------------------------------------------ structure

    def build_labs(self) -> None:
        model, scale = self.model, self.spec.scale
        model.labs, model.lab_by_key, model.team_names, model.team_index = [], {}, [], {}
        targets, protected, shifts = [], [], []
        for index, (key, spec) in enumerate(model.spec.labs.items()):
            lab = Lab(model, index, key, spec)
            model.labs.append(lab)
            model.lab_by_key[key] = lab
            for team_key, team in spec.teams.items():
                model.team_index[(key, team_key)] = len(model.team_names)
                lab.team_ids.append(len(model.team_names))
                model.team_names.append(f"{key}/{team_key}")
                targets.append(team.headcount * scale)
                protected.append(team.protected)
                shifts.append(team.skill_shift)
        model.team_target = np.array(targets, dtype=float)
        model.team_protected = np.array(protected, dtype=bool)
        model.team_skill_shift = np.array(shifts, dtype=float)
        model.team_lab = np.array([model.lab_by_key[name.split("/", 1)[0]].index for name in model.team_names])
        labs = list(model.spec.labs.values())
        model.lab_pay = np.array([[lab.pay.base_k, lab.pay.equity_k, lab.pay.skill_elasticity] for lab in labs])
        model.lab_vesting = np.array(
            [
                [lab.pay.cliff_weeks, lab.pay.vest_interval_weeks, lab.pay.vesting_years * 52, lab.pay.clawback_weeks]
                for lab in labs
            ],
            dtype=np.int64,
        )
        model.vesting = derived.VestingTables(model.lab_vesting)
        model.fits = derived.Fits()
        model.lab_mission = np.array([[lab.mission.safety, lab.mission.openness, lab.mission.product] for lab in labs])
        model.executive_by_key = {}
        for lab, spec in zip(model.labs, labs, strict=True):
            for key, ex in spec.executives.items():
                self._add(lab, key, ex)
        # an exit the scenario dates is a fact: friction must not pre-empt it
        for event in model.spec.timeline.values():
            if event.kind == "executive_exit":
                model.executive_by_key[event.executive].scripted = True

    def _add(self, lab: Lab, key: str, spec: ExecutiveSpec) -> Executive:
        model = self.model
        team_ids = [model.team_index[(lab.key, t)] for t in spec.teams]
        executive = Executive(model, key, lab, spec, team_ids)
        lab.executives.append(executive)
        model.executive_by_key[key] = executive
        return executive

    def add_executive(
        self,
        lab: Lab,
        key: str,
        role: str,
        team_ids: list[int],
        *,
        insider: bool,
        friction: float,
        unvested_musd: float = 0.0,
        pay_musd: float = 1.0,
    ) -> Executive:
        """An executive arriving mid-run (acqui-hire, successor), with the package they would forfeit by leaving."""
        teams = [self.model.team_names[t].split("/", 1)[1] for t in team_ids]
        return self._add(
            lab,
            key,
            ExecutiveSpec(
                role=role,  # type: ignore[arg-type]  # an existing executive's role
                teams=teams,
                insider=insider,
                friction=friction,
                unvested_musd=unvested_musd,
                pay_musd=pay_musd,
            ),
        )

    def replace_executive(self, leaver: Executive, *, insider: bool) -> Executive:
        key = f"{leaver.key}-successor-w{self.model.week}"
        return self.add_executive(
            leaver.lab, key, leaver.role, leaver.team_ids, insider=insider, friction=0.1 if insider else 0.3
        )

    # ------------------------------------------------------------ people

    def draw_staff(self, labs: np.ndarray) -> dict[str, np.ndarray]:
        """Tenure, true match and summed match signals of each initial researcher (:mod:`~orgsim.sim.matching`).

        Each lab's staff is its stable tenure distribution capped at the lab's age, and at each tenure the
        matches of those who would still be there.
        """
        model, rng = self.model, self.model.stream("population")
        staff = {name: np.zeros(len(labs)) for name in ("match", "match_sum")}
        staff["tenure"] = np.zeros(len(labs), dtype=np.int64)
        for lab in model.labs:
            members = np.flatnonzero(labs == lab.index)
            founded = lab.spec.founded
            age_weeks = 52 * (OLD_ORGANIZATION_YEARS if founded is None else model.spec.start.year - founded)
            cohort = matching.cohort(model, lab.index, lab.spec.quit_rate, lab.spec.hiring.growth, age_weeks)
            tenure = rng.choice(len(cohort.pmf), size=len(members), p=cohort.pmf)
            staff["tenure"][members] = tenure
            staff["match"][members], staff["match_sum"][members] = matching.initial_staff(model, cohort, tenure)
        return staff

    def settled_draws(self, team: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Skill and traits for the seats ``team`` of the initial staff: entrants' draws, weighted by how long each
        would stay.

        In a lab that has long replaced its leavers, a kind of researcher is
        present in proportion to how often it arrives times how long it stays
        (renewal theory), so ``CANDIDATES`` entrants per seat are drawn and each
        team's staff is resampled from them with weights 1 / (hazard + growth),
        the hazard from what in the leaving decision does not change with
        tenure (pay, amenities, the alternatives; M3). Otherwise the kinds most
        likely to leave would leave first and churn would drift down as the
        staff settled.
        """
        model, rng = self.model, self.model.stream("population")
        pool = np.repeat(team, CANDIDATES)
        labs = model.team_lab[pool]
        skill = self.draw_skill(len(pool), model.team_skill_shift[pool])
        traits = self.new_researcher_traits(labs)
        # the pool's top-talent line and headcounts, as a population of the whole pool would have them
        model.star_threshold = derived.skill_line(skill, model.spec.outcomes.top_quantile)
        headcounts = np.bincount(labs, minlength=len(model.labs))
        odds = np.empty(len(pool))
        # each candidate's odds are its own: the pool is valued a block at a time, so that it is never held as a
        # whole population (three times the staff, the build's peak of memory)
        for start in range(0, len(pool), POOL_BLOCK):
            rows = slice(start, start + POOL_BLOCK)
            k = len(pool[rows])
            model.population = Population(model.params.learning.dimensions, capacity=k, labs=len(model.labs))
            model.population.headcounts = headcounts
            slots = model.population.add(
                [_Candidate() for _ in range(k)],
                lab=labs[rows],
                team=pool[rows],
                skill=skill[rows],
                **{name: values[rows] for name, values in traits.items()},
            )
            derived.price_arrivals(model, slots)
            set_pay(model, slots, labs[rows], derived.lab_comp(model, labs[rows], skill[rows]))
            odds[rows] = decision.persistent_odds(model)
        quit_rate = derived.lab_array(model, "quit_rate")[labs]
        growth = np.log1p(np.array([lab.spec.hiring.growth for lab in model.labs]))[labs] / 52.0
        picks = []
        for t in np.unique(team):
            seats = np.flatnonzero(pool == t)
            # each candidate's hazard relative to the team's mean, in logs so that no odds overflow
            relative = np.exp(odds[seats] - logsumexp(odds[seats]) + np.log(len(seats)))
            weight = 1.0 / np.maximum(quit_rate[seats] / 52.0 * relative + growth[seats], 1e-12)
            picks.append(rng.choice(seats, size=int((team == t).sum()), p=weight / weight.sum()))
        chosen = np.concatenate(picks)
        return skill[chosen], {name: values[chosen] for name, values in traits.items()}

    def build_population(self) -> Population:
        """The initial researchers: skill, tenure, pay and grants, preferences, beliefs."""
        model, spec, rng = self.model, self.spec, self.model.stream("population")
        sizes = np.maximum(np.rint(model.team_target), 0).astype(np.int64)
        n = int(sizes.sum())
        team = np.repeat(np.arange(len(sizes)), sizes)
        labs = model.team_lab[team]
        skill, drawn = self.settled_draws(team)
        values: dict[str, Any] = dict(drawn)
        # the candidates' population goes now, not at the end: it was the build's peak of memory
        pop = model.population = Population(
            model.params.learning.dimensions, capacity=n + n // 16 + 16, labs=len(model.labs)
        )
        staff = self.draw_staff(labs)
        tenure = staff["tenure"]
        agents = [Researcher(model) for _ in range(n)]
        values.update(
            uid=np.array([a.unique_id for a in agents]),
            lab=labs,
            team=team,
            skill=skill,
            hire_week=-tenure,
            team_since=-np.minimum(tenure, rng.integers(0, 104, size=n)),
            insider=tenure >= spec.insider_years * 52,
            morale=morale.target(model)[labs],
            cohort=model.cohort_code("incumbent"),
            match=staff["match"],
            match_sum=staff["match_sum"],
            beliefs=rng.integers(-1, 2, size=(n, model.params.learning.dimensions), dtype=np.int8),
        )
        slots = pop.add(agents, **values)
        derived.price_arrivals(model, slots)
        set_pay(model, slots, labs, derived.lab_comp(model, labs, skill))
        pop.grant_week[slots] = -tenure  # the new-hire grant started at hire; refreshes followed (derived.ladder)
        return pop


class _Candidate:
    """A seat-holder of the candidate pool (:meth:`World.settled_draws`): a place in the population's agents and
    nothing else."""
