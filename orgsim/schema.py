"""The scenario schema: world, mechanism parameters and timeline.

Every parameter carries a unit and a source (or a stated assumption) in its
field metadata; ``docs/ODD.md`` and ``orgsim schema`` are generated from the
same place, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ASSUMED = "assumption"
#: whole numbers (weeks, headcounts) end up in the model's 32-bit integer arrays
INT_LIMIT = 2**31 - 1
#: resource bounds, not domain bounds: about 1 kB of memory per researcher, and a recorder row per week
MAX_RESEARCHERS = 1_000_000
MAX_YEARS = 100
#: the largest price of a term of the leaving decision, in market pay-years a year: far beyond any evidence, and small
#: enough that the decision's exponentials stay finite
PRICE_LIMIT = 100.0


def param(default: Any, unit: str, source: str = ASSUMED, *, label: str = "", **constraints: Any) -> Any:
    """A documented parameter: default, unit, where the value comes from, and its name for readers.

    ``label`` is short, in sentence case and without the unit (the unit is
    shown beside it); it becomes the field's title (``orgsim.labels``, the
    JSON Schema and docs/ODD.md read it there).
    """
    return Field(default, title=label or None, json_schema_extra={"unit": unit, "source": source}, **constraints)


def setting(default: Any, unit: str, label: str, **constraints: Any) -> Any:
    """A field a scenario author sets that is not a model parameter (an event's fields, names): its unit and label."""
    return Field(default, title=label, json_schema_extra={"unit": unit}, **constraints)


class Strict(BaseModel):
    """Frozen, no unknown keys, finite numbers: a typo or a NaN in a config is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _fits_the_arrays(cls, value: Any) -> Any:
        for item in value if isinstance(value, list | tuple) else (value,):
            if isinstance(item, int) and not isinstance(item, bool) and abs(item) > INT_LIMIT:
                raise ValueError(f"{item} is too large: whole numbers must lie within ±{INT_LIMIT:,}")
        return value


class Switchable(Strict):
    enabled: bool = param(True, "flag", "every mechanism can be switched off", label="Mechanism switched on")


Unit = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]


# ---------------------------------------------------------------- world


#: a skill shift beyond e^5 (about 150 times the market's skill) is no team; further out skills overflow
SKILL_SHIFT_LIMIT = 5.0


class TeamSpec(Strict):
    headcount: int = param(..., "researchers", ge=0, label="Target headcount")
    protected: bool = param(
        False, "flag", "TBD Lab spared in the Oct 2025 layoffs (Bloomberg)", label="Spared in layoffs"
    )
    skill_shift: float = param(
        0.0,
        "log-skill",
        "elite teams hired from the top of the market",
        ge=-SKILL_SHIFT_LIMIT,
        le=SKILL_SHIFT_LIMIT,
        label="Skill level relative to the market",
    )


class PaySpec(Strict):
    base_k: float = param(..., "k$/year", "H-1B filings: Meta AI research engineer base ~$440k", gt=0, label="Base pay")
    equity_k: float = param(
        ...,
        "k$/year of grant value",
        "WSJ/Equilar: OpenAI stock pay ~$1.5M/employee",
        ge=0,
        label="Equity grants per year",
    )
    skill_elasticity: float = param(
        1.0,
        "d log pay / d log skill",
        "stars are paid superlinearly (at most 5 keeps every pay finite)",
        ge=0,
        le=5,
        label="How steeply pay rises with skill",
    )
    vesting_years: float = param(
        4.0, "years", "standard four-year grants", gt=0, le=MAX_YEARS, label="Vesting period of equity grants"
    )
    cliff_weeks: int = param(52, "weeks", "standard one-year cliff", ge=0, label="Vesting cliff")
    vest_interval_weeks: int = param(
        13, "weeks", "quarterly vesting after the cliff", ge=1, label="Time between vests after the cliff"
    )
    signon_k: float = param(0.0, "k$", "sign-on bonus on poached hires", ge=0, label="Sign-on bonus for poached hires")
    clawback_weeks: int = param(
        52, "weeks", "sign-on repaid if leaving within this window", ge=0, label="Sign-on clawback window"
    )


class HiringSpec(Strict):
    poaching_intensity: Unit = param(
        0.1, "share of capacity used", "assumption; blitz events raise it", label="Share of recruiting capacity in use"
    )
    recruit_capacity: float = param(
        5.0,
        "approaches/week at full intensity",
        "~100 approached in ~2 months (WSJ)",
        ge=0,
        le=10_000,
        label="Recruiting capacity",
    )
    target_quantile: Unit = param(
        0.9, "skill quantile", "labs target the top of the market (M1)", label="Lowest skill level recruiters target"
    )
    package_premium: float = param(
        1.5,
        "x the lab's own annual comp at the target's skill",
        "assumption: offers beat what the lab pays its own people of that skill (and never pay below the target's "
        "current pay)",
        ge=1,
        label="Offer premium over the lab's own pay",
    )
    package_cap_musd: float = param(
        10.0, "M$ over 4 years", "offers $1M to $100M+ (press)", gt=0, label="Largest offer package"
    )
    counteroffer: bool = param(True, "flag", "incumbents counter for stars (M2)", label="Counters rival offers")
    counter_quantile: Unit = param(
        0.9,
        "skill quantile",
        "counteroffers for researchers above a skill threshold",
        label="Lowest skill level that gets a counteroffer",
    )
    counter_match: float = param(
        1.1,
        "x the rival offer",
        "a chief scientist's pay tripled to keep him",
        ge=0,
        label="Counteroffer size relative to the rival offer",
    )
    backfill_share: Unit = param(
        0.08, "share of vacancies filled per week", "assumption: ~3 months to fill", label="Pace of filling vacancies"
    )
    growth: float = param(
        0.0,
        "annual growth of target headcount",
        "OpenAI ~3,000 (Aug 2025) -> ~4,000 (late 2025)",
        ge=-0.5,
        le=3,
        label="Target headcount growth",
    )
    growth_until: dt.date | None = param(
        None, "date", "a hiring push ends: `later_growth` applies from this date on", label="End of the hiring push"
    )
    later_growth: float = param(
        0.0,
        "annual growth of target headcount after `growth_until`",
        "assumption: a lab's hiring pushes are dated, not forever",
        ge=-0.5,
        le=3,
        label="Target headcount growth after the push",
    )
    source_weights: dict[str, Annotated[float, Field(ge=0.0, le=100.0)]] = param(
        {},
        "odds multiplier per rival lab (default 1)",
        "fitted for Meta: 45 of the ~100 first approached were OpenAI researchers (seed article; press, Jun-Aug 2025)",
        label="Recruiting lean toward a rival's researchers",
    )


class MissionSpec(Strict):
    safety: Unit = param(0.5, "0-1 profile", "public positioning of each lab", label="Safety focus of the mission")
    openness: Unit = param(
        0.5, "0-1 profile", "publishes papers / releases weights", label="Openness (papers, open weights)"
    )
    product: Unit = param(0.5, "0-1 profile", "product focus", label="Product focus")


class FinanceSpec(Strict):
    public: bool = param(
        True, "flag", "listed (weekly random walk) or private (valuation moves only on events)", label="Publicly listed"
    )
    share_price: float = param(
        100.0,
        "$ (or valuation $bn if private)",
        "market data, June 2025",
        gt=0,
        label="Share price or private valuation",
    )
    volatility: float = param(
        0.35, "annual sd of log price", "typical big-tech volatility", ge=0, le=5, label="Share-price volatility"
    )
    drift: float = param(0.08, "annual log drift", ASSUMED, ge=-5, le=5, label="Share-price drift")
    capex_bn: float = param(0.0, "$bn/year", "Meta capex $39bn 2024, >=$70bn 2025", ge=0, label="Capital expenditure")
    comp_budget_musd: float = param(
        500.0, "M$/year for new packages", ASSUMED, ge=0, label="Poaching budget for new packages"
    )


ExecRole = Literal["ceo", "chief_ai_officer", "research_head", "product_head", "chief_scientist"]


class ExecutiveSpec(Strict):
    role: ExecRole = setting(..., "role", "Executive role")
    name: str = setting("", "text", "Executive's name")
    teams: list[str] = param([], "team ids", "teams that report to this executive", label="Teams reporting to them")
    micromanagement: Unit = param(0.3, "0-1", "style; raises friction (M8)", label="Tendency to micromanage")
    risk_appetite: Unit = param(0.5, "0-1", "'high-stakes poker' style (M8)", label="Appetite for risk")
    patience: Unit = param(0.5, "0-1", "pressure the CEO tolerates before acting (M8)", label="Patience under pressure")
    insider: bool = param(
        True, "flag", "long-tenured; outsider successors raise turnover more", label="Long-tenured insider"
    )
    friction: Unit = param(0.1, "0-1", "friction with the CEO at start", label="Friction with the CEO at the start")
    unvested_musd: NonNeg = param(
        0.0,
        "M$ at arrival",
        "what leaving forfeits: the package's unvested equity (vests on the lab's schedule from the start)",
        label="Unvested package",
    )
    pay_musd: Positive = param(
        1.0, "M$/year", "the market's pay for this executive, the package's yardstick", label="Market pay"
    )


class LabSpec(Strict):
    name: str = setting(..., "text", "Display name")
    teams: dict[str, TeamSpec]
    pay: PaySpec
    hiring: HiringSpec = HiringSpec()
    mission: MissionSpec = MissionSpec()
    finance: FinanceSpec = FinanceSpec()
    executives: dict[str, ExecutiveSpec] = {}
    accelerators_k: float = param(
        100.0, "thousand H100-equivalents", "public compute plans, 2025", ge=0, label="Compute (accelerators)"
    )
    capability: float = param(
        45.0,
        "index points (Gemini 2.5 = 47, Gemini 3 = 55)",
        "public composite index, June 2025 (ODD, M9)",
        ge=0,
        label="Model capability at the start",
    )
    prestige: Unit = param(0.5, "0-1", "reputation among researchers", label="Prestige among researchers")
    trust: Unit = param(0.7, "0-1", "trust in leadership and conduct (M12)", label="Trust in leadership")
    vision_clarity: Unit = param(0.6, "0-1", "clarity of research direction", label="Clarity of research direction")
    quit_rate: float = param(
        0.15,
        "annual voluntary quit rate at mean covariates",
        "fitted to SignalFire 2-yr retention",
        ge=0,
        le=2,
        label="Voluntary quit rate",
    )
    recent_reorgs: NonNeg = param(
        0.0,
        "reorgs (decaying count) before the start",
        "Meta: two AI reorgs in early 2025",
        label="Reorgs just before the start",
    )
    release_every_weeks: int = param(
        26,
        "weeks (0 = only dated releases)",
        "frontier labs ship roughly twice a year",
        ge=0,
        label="Time between routine releases",
    )
    founded: int | None = param(
        None,
        "year (none: an old organization)",
        "the lab's founding year caps the tenure of its first researchers",
        ge=1900,
        le=2100,
        label="Founding year",
    )


class PopulationSpec(Strict):
    scale: float = param(
        1.0,
        "x headcounts",
        "0.1 gives a tenth-size world for tests",
        gt=0,
        le=10,
        label="World size relative to the real labs",
    )
    skill_alpha: float = param(
        2.5,
        "Pareto tail index",
        "heavy-tailed research output (Lotka; Azoulay)",
        gt=1,
        label="Skill inequality (Pareto tail)",
    )
    insider_years: float = param(
        5.0, "years", "long-tenured 'friends of the CEO'", gt=0, label="Tenure that makes an insider"
    )
    mission_sorting: Unit = param(
        0.8,
        "share of a researcher's ideals drawn toward their lab's profile",
        "assumption: people self-select into labs that fit them (M13); 0 = labs staffed at random; raised from 0.6 "
        "after the flows between labs came out symmetric (so the SignalFire flow ratios are not a clean "
        "out-of-sample check of it)",
        label="Mission self-selection into labs",
    )
    preference_spread: float = param(
        0.5,
        "sd of log weight",
        "heterogeneous preferences (M13); at most 5 keeps the lognormal weights finite",
        ge=0,
        le=5,
        label="Spread of researchers' preferences",
    )
    weight_mission: NonNeg = param(
        1.0, "relative weight", "mission sorting (M13)", label="Weight researchers give to mission fit"
    )
    weight_compute: NonNeg = param(
        0.5, "relative weight", "'compute per researcher' pitch (press)", label="Weight researchers give to compute"
    )
    weight_prestige: NonNeg = param(0.7, "relative weight", ASSUMED, label="Weight researchers give to prestige")
    weight_stability: NonNeg = param(0.5, "relative weight", ASSUMED, label="Weight researchers give to stability")
    safety_pref_beta: tuple[Positive, Positive] = param(
        (2.0, 2.0), "Beta(a, b)", ASSUMED, label="Spread of researchers' safety ideals"
    )
    openness_pref_beta: tuple[Positive, Positive] = param(
        (2.0, 2.0), "Beta(a, b)", ASSUMED, label="Spread of researchers' openness ideals"
    )
    entrant_skill_shift: float = param(
        -0.15,
        "log-skill",
        "backfill hires are less senior",
        ge=-SKILL_SHIFT_LIMIT,
        le=SKILL_SHIFT_LIMIT,
        label="Skill of backfill hires relative to the market",
    )


# ---------------------------------------------------------------- mechanisms


class MoraleParams(Strict):
    """Weekly morale relaxation toward a lab-driven target."""

    rate: Unit = param(0.05, "share of the gap closed per week", ASSUMED, label="Speed of morale adjustment")
    base: Unit = param(0.3, "target at neutral conditions", ASSUMED, label="Morale target at neutral conditions")
    weight_stability: NonNeg = param(0.2, "target per unit stability", ASSUMED, label="Morale gain from stability")
    weight_vision: NonNeg = param(
        0.2, "target per unit vision clarity", ASSUMED, label="Morale gain from a clear vision"
    )
    weight_trust: NonNeg = param(0.1, "target per unit trust", ASSUMED, label="Morale gain from trust")
    weight_momentum: NonNeg = param(
        0.15, "target per unit momentum", ASSUMED, label="Morale gain from release momentum"
    )


# The ``mechanisms`` block: one field per registered mechanism, whose params class is declared beside its code in
# orgsim/mechanisms/; orgsim.sim.plugins.mechanisms_model builds it from the registry (this base has no field).
class Mechanisms(Strict):
    pass


# ---------------------------------------------------------------- timeline


class EventBase(Strict):
    date: dt.date = setting(..., "date", "When it happens")
    lab: str = setting(..., "lab id", "Lab it happens at")
    note: str = setting("", "text", "Source note")
    label: str = setting("", "text", "Title for readers")  # "Retention grant after the release"; empty: from the key


class Blitz(EventBase):
    kind: Literal["blitz"] = Field(title="Hiring blitz")
    until: dt.date = setting(..., "date", "End date")
    intensity: Unit = setting(1.0, "share of capacity used", "Poaching intensity")
    capacity_multiplier: float = setting(1.0, "x recruiting capacity", "Recruiting capacity multiplier", ge=0, le=1000)
    package_cap_musd: float | None = setting(None, "M$ over 4 years", "Largest offer package", gt=0)
    package_premium: float | None = setting(
        None, "x the lab's own annual comp at the target's skill", "Offer premium over the lab's own pay", ge=1
    )
    personal_touch: bool = setting(True, "flag", "CEO reaches out in person")
    target_quantile: Unit | None = setting(None, "skill quantile", "Lowest skill level targeted")
    team: str | None = setting(None, "team id", "Team the hires join")
    cohort: str = setting("blitz", "cohort name", "Cohort the hires are tracked as")


class Freeze(EventBase):
    kind: Literal["freeze"] = Field(title="Hiring freeze")
    until: dt.date | None = setting(None, "date", "End date")


class Reorg(EventBase):
    kind: Literal["reorg"] = Field(title="Reorganization")
    teams: list[str] = setting([], "team ids", "Teams reorganized")
    reassign_share: Unit | None = setting(None, "share of members", "Share of members moved")


class Layoff(EventBase):
    kind: Literal["layoff"] = Field(title="Layoffs")
    n: int = setting(..., "researchers at full scale", "Researchers laid off", ge=0)
    teams: list[str] = setting([], "team ids", "Teams cut")


class ShareShock(EventBase):
    kind: Literal["share_shock"] = Field(title="Share-price shock")
    change: float = setting(..., "relative change (-0.11 = -11%)", "Share-price change", gt=-1.0)


class Release(EventBase):
    kind: Literal["release"] = Field(title="Model release")
    model: str = setting(..., "model name", "Model released")
    target: float | None = setting(None, "index points", "Capability target", ge=0)
    floor: float | None = setting(None, "index points", "Capability below which it fails", ge=0)
    outcome: Literal["success", "failure", "partial", "endogenous"] = setting(
        "endogenous", "success, failure, partial or endogenous", "Outcome (forced, or from capability)"
    )
    standing: float | None = setting(None, "index points", "Capability reached", ge=0)
    reported: float | None = setting(None, "index points", "Capability reported (a check only)", ge=0)
    slips_weeks: list[Annotated[int, Field(ge=1)]] = setting([], "weeks per slip", "Delays before it lands")
    open_weights: bool | None = setting(None, "flag", "Weights published openly")
    gamed: bool = setting(False, "flag", "Benchmark gamed")
    pull_forward_weeks: int = setting(0, "weeks", "How early it may be rushed", ge=0)

    @model_validator(mode="after")
    def _check_levels(self) -> Release:
        if self.floor is not None and (self.target is None or self.floor > self.target):
            raise ValueError(f"floor {self.floor} needs a target at or above it (target: {self.target})")
        return self


class ExecutiveExit(EventBase):
    kind: Literal["executive_exit"] = Field(title="Executive exit")
    executive: str = setting(..., "executive id", "Executive leaving")
    successor: Literal["insider", "outsider", "none"] = setting(
        "outsider", "insider, outsider or none", "Who succeeds them"
    )


class CapexGuidance(EventBase):
    kind: Literal["capex_guidance"] = Field(title="Capex guidance")
    capex_bn: float = setting(..., "$bn/year", "Capital expenditure guided", ge=0)
    clear_return: bool = setting(False, "flag", "Clear return shown")


class Debt(EventBase):
    kind: Literal["debt"] = Field(title="Debt raised")
    amount_bn: float = setting(..., "$bn", "Amount borrowed", ge=0)


class BudgetShift(EventBase):
    kind: Literal["budget_shift"] = Field(title="Budget shift")
    amount_bn: float = setting(..., "$bn", "Amount moved", ge=0)
    price_change: float = setting(0.0, "relative change", "Share-price change", gt=-1.0)


class Acquihire(EventBase):
    kind: Literal["acquihire"] = Field(title="Acqui-hire")
    company: str = setting(..., "text", "Company acquired")
    team: str = setting(..., "team id", "Team they join")
    n: int = setting(..., "researchers at full scale", "Researchers joining", ge=0)
    skill_shift: float = setting(
        0.3, "log-skill", "Newcomers' skill relative to the market", ge=-SKILL_SHIFT_LIMIT, le=SKILL_SHIFT_LIMIT
    )
    executive: str | None = setting(None, "executive id", "New executive")
    executive_role: ExecRole = setting("chief_ai_officer", "role", "New executive's role")
    executive_unvested_musd: float = setting(0.0, "M$", "New executive's unvested package", ge=0)
    executive_pay_musd: float = setting(1.0, "M$/year", "New executive's market pay", gt=0)


class Scandal(EventBase):
    kind: Literal["scandal"] = Field(title="Scandal")
    trust_drop: Unit = setting(0.1, "trust units (0-1)", "Trust lost")
    prestige_drop: Unit = setting(0.05, "prestige units (0-1)", "Prestige lost")


class RetentionGrant(EventBase):
    """Extra unvested equity for the top ``share`` of a lab: a flat amount plus years of each one's pay."""

    kind: Literal["retention_grant"] = Field(title="Retention grant")
    share: Unit = setting(1.0, "top share of the lab by skill", "Reach")
    amount_k: float = setting(0.0, "k$ per recipient", "Flat amount", ge=0)
    amount_years: float = setting(0.0, "years of each recipient's pay", "Grant size", ge=0)


class RefreshChange(EventBase):
    """A change to a lab's annual equity refresh grants: most staff get ``change``, the top ``top_share`` by skill ``top_change``."""

    kind: Literal["refresh_change"] = Field(title="Change to equity refreshes")
    change: float = setting(..., "relative change", "Change for most staff", gt=-1.0, le=1.0)
    top_share: Unit = setting(0.0, "top share of the lab by skill", "Top staff treated apart")
    top_change: float = setting(0.0, "relative change", "Change for top staff", gt=-1.0, le=1.0)


class RuleOut(EventBase):
    """A CEO rules out one of the M8 levers until a date ("no further company-wide layoffs in 2026")."""

    kind: Literal["rule_out"] = Field(title="Lever ruled out")
    lever: Literal["reorg", "blitz", "layoffs", "leadership_change"] = setting(..., "M8 lever", "Lever ruled out")
    until: dt.date = setting(..., "date", "End date")


class MissionChange(EventBase):
    kind: Literal["mission_change"] = Field(title="Mission change")
    safety: Unit | None = setting(None, "0-1 profile", "New safety focus")
    openness: Unit | None = setting(None, "0-1 profile", "New openness")
    product: Unit | None = setting(None, "0-1 profile", "New product focus")


TimelineEvent = Annotated[
    Blitz
    | Freeze
    | Reorg
    | Layoff
    | ShareShock
    | Release
    | ExecutiveExit
    | CapexGuidance
    | Debt
    | BudgetShift
    | Acquihire
    | Scandal
    | RetentionGrant
    | RefreshChange
    | MissionChange
    | RuleOut,
    Field(discriminator="kind"),
]


class OutcomeSpec(Strict):
    """What the headline outcomes refer to."""

    cohort: str = param("blitz-2025", "cohort name", "the summer-2025 hires", label="Cohort the outcomes follow")
    release: str = param("avocado", "model name", "the focal lab's flagship", label="Release the outcomes follow")
    retention_weeks: int = param(
        52, "weeks", "12-month retention after the release", ge=1, label="Retention window after the release"
    )
    top_quantile: Unit = param(
        0.98, "skill quantile", "top talent: the top 2% at the start", label="Top-talent threshold"
    )


class Scenario(Strict):
    """A whole world: what ``orgsim validate`` checks and ``OrgModel`` runs."""

    name: str = setting("scenario", "text", "Scenario name")
    title: str = setting("", "text", 'Title readers see ("Avocado fails"); the name when empty')
    description: str = setting("", "text", "What the scenario is about")
    start: dt.date = param(
        dt.date(2025, 6, 2), "date", "week 0: the start of the summer 2025 blitz", label="Start date"
    )
    horizon: dt.date = param(dt.date(2027, 12, 31), "date", "default end", label="End date")
    focal_lab: str = setting("meta", "lab id", "Lab the outcomes follow")
    population: PopulationSpec = PopulationSpec()
    labs: dict[str, LabSpec]
    mechanisms: Mechanisms = Mechanisms()
    morale: MoraleParams = MoraleParams()
    timeline: dict[str, TimelineEvent] = {}
    outcomes: OutcomeSpec = OutcomeSpec()

    @property
    def weeks(self) -> int:
        return (self.horizon - self.start).days // 7 + 1

    def week_of(self, date: dt.date) -> int:
        return (date - self.start).days // 7

    @model_validator(mode="after")
    def _check_references(self) -> Scenario:
        if self.horizon <= self.start:
            raise FieldProblem("horizon", f"{self.horizon} is not after start {self.start}")
        self._check_resources()
        if self.focal_lab not in self.labs:
            raise FieldProblem("focal_lab", f"no lab {self.focal_lab!r} (labs: {', '.join(self.labs)})")
        for lab_id, lab in self.labs.items():
            if not lab.teams:
                raise FieldProblem(f"labs.{lab_id}.teams", "a lab needs at least one team")
            if lab.hiring.later_growth and lab.hiring.growth_until is None:
                raise FieldProblem(f"labs.{lab_id}.hiring.later_growth", "applies after growth_until, which is not set")
            if lab.founded is not None and lab.founded > self.start.year:
                raise FieldProblem(f"labs.{lab_id}.founded", f"{lab.founded} is after the start ({self.start.year})")
            for source in lab.hiring.source_weights:
                if source not in self.labs or source == lab_id:
                    raise FieldProblem(
                        f"labs.{lab_id}.hiring.source_weights.{source}", f"not a rival lab of {lab_id!r}"
                    )
            for ex_id, ex in lab.executives.items():
                for team in ex.teams:
                    if team not in lab.teams:
                        raise FieldProblem(
                            f"labs.{lab_id}.executives.{ex_id}.teams", f"no team {team!r} in lab {lab_id!r}"
                        )
        for event_id, event in self.timeline.items():
            self._check_event(f"timeline.{event_id}", event)
        return self

    def _check_resources(self) -> None:
        """A world this machine can hold: bounds on memory and time, not on what the model means."""
        if self.weeks > MAX_YEARS * 52:
            raise FieldProblem(
                "horizon",
                f"{self.weeks:,} weeks after start is more than {MAX_YEARS} years "
                "(a resource bound: the recorder holds a row per week)",
            )
        headcount = sum(t.headcount for lab in self.labs.values() for t in lab.teams.values())
        arriving = sum(e.n for e in self.timeline.values() if isinstance(e, Acquihire))
        if (headcount + arriving) * self.population.scale > MAX_RESEARCHERS:
            raise FieldProblem(
                "labs",
                f"{(headcount + arriving) * self.population.scale:,.0f} researchers (headcounts "
                f"and acqui-hires x population.scale) exceed {MAX_RESEARCHERS:,} (a resource bound: "
                "about 1 kB of memory each)",
            )

    def _check_event(self, where: str, event: Any) -> None:
        for field in ("date", "until"):
            date = getattr(event, field, None)
            if date is not None and not self.start <= date <= self.horizon:
                raise FieldProblem(f"{where}.{field}", f"{date} is outside the horizon {self.start} to {self.horizon}")
        if event.lab not in self.labs:
            raise FieldProblem(f"{where}.lab", f"no lab {event.lab!r} (labs: {', '.join(self.labs)})")
        lab = self.labs[event.lab]
        teams = list(getattr(event, "teams", [])) + ([event.team] if getattr(event, "team", None) is not None else [])
        for team in teams:
            if team not in lab.teams:
                raise FieldProblem(f"{where}.teams", f"no team {team!r} in lab {event.lab!r}")
        if isinstance(event, ExecutiveExit) and event.executive not in lab.executives:
            raise FieldProblem(f"{where}.executive", f"no executive {event.executive!r} in lab {event.lab!r}")
        if getattr(event, "until", None) is not None and event.until < event.date:
            raise FieldProblem(f"{where}.until", f"{event.until} is before the event date {event.date}")


class FieldProblem(ValueError):
    """A cross-reference problem; carries the field path for the error line."""

    def __init__(self, field: str, reason: str):
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")
