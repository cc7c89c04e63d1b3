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


def param(default: Any, unit: str, source: str = ASSUMED, **constraints: Any) -> Any:
    """A documented parameter: default, unit and where the value comes from."""
    return Field(default, json_schema_extra={"unit": unit, "source": source}, **constraints)


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
    enabled: bool = param(True, "flag", "every mechanism can be switched off")


Unit = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]


# ---------------------------------------------------------------- world

class TeamSpec(Strict):
    headcount: int = param(..., "researchers", ge=0)
    protected: bool = param(False, "flag", "TBD Lab spared in the Oct 2025 layoffs (Bloomberg)")
    skill_shift: float = param(0.0, "log-skill", "elite teams hired from the top of the market")


class PaySpec(Strict):
    base_k: float = param(..., "k$/year", "H-1B filings: Meta AI research engineer base ~$440k", gt=0)
    equity_k: float = param(..., "k$/year of grant value", "WSJ/Equilar: OpenAI stock pay ~$1.5M/employee", ge=0)
    skill_elasticity: float = param(1.0, "d log pay / d log skill", "stars are paid superlinearly", ge=0)
    vesting_years: float = param(4.0, "years", "standard four-year grants", gt=0, le=MAX_YEARS)
    cliff_weeks: int = param(52, "weeks", "standard one-year cliff", ge=0)
    vest_interval_weeks: int = param(13, "weeks", "quarterly vesting after the cliff", ge=1)
    signon_k: float = param(0.0, "k$", "sign-on bonus on poached hires", ge=0)
    clawback_weeks: int = param(52, "weeks", "sign-on repaid if leaving within this window", ge=0)


class HiringSpec(Strict):
    poaching_intensity: Unit = param(0.1, "share of capacity used", "assumption; blitz events raise it")
    recruit_capacity: float = param(5.0, "approaches/week at full intensity", "~100 approached in ~2 months (WSJ)", ge=0, le=10_000)
    target_quantile: Unit = param(0.9, "skill quantile", "labs target the top of the market (M1)")
    package_premium: float = param(1.5, "x current annual comp", "assumption: offers beat current pay", ge=1)
    package_cap_musd: float = param(10.0, "M$ over 4 years", "offers $1M to $100M+ (press)", gt=0)
    counteroffer: bool = param(True, "flag", "incumbents counter for stars (M2)")
    counter_quantile: Unit = param(0.9, "skill quantile", "counteroffers for researchers above a skill threshold")
    counter_match: float = param(1.1, "x the rival offer", "a chief scientist's pay tripled to keep him", ge=0)
    backfill_share: Unit = param(0.08, "share of vacancies filled per week", "assumption: ~3 months to fill")
    growth: float = param(0.0, "annual growth of target headcount", "OpenAI ~3,000 (Aug 2025) -> ~4,000 (late 2025)", ge=-0.5, le=3)
    growth_until: dt.date | None = param(None, "date", "a hiring push ends: `later_growth` applies from this date on")
    later_growth: float = param(0.0, "annual growth of target headcount after `growth_until`",
                                "assumption: a lab's hiring pushes are dated, not forever", ge=-0.5, le=3)
    source_weights: dict[str, Annotated[float, Field(ge=0.0, le=100.0)]] = param(
        {}, "odds multiplier per rival lab (default 1)",
        "fitted for Meta: 45 of the ~100 first approached were OpenAI researchers (seed article; press, Jun-Aug 2025)")


class MissionSpec(Strict):
    safety: Unit = param(0.5, "0-1 profile", "public positioning of each lab")
    openness: Unit = param(0.5, "0-1 profile", "publishes papers / releases weights")
    product: Unit = param(0.5, "0-1 profile", "product focus")


class FinanceSpec(Strict):
    public: bool = param(True, "flag", "listed (weekly random walk) or private (valuation moves only on events)")
    share_price: float = param(100.0, "$ (or valuation $bn if private)", "market data, June 2025", gt=0)
    volatility: float = param(0.35, "annual sd of log price", "typical big-tech volatility", ge=0, le=5)
    drift: float = param(0.08, "annual log drift", ASSUMED, ge=-5, le=5)
    capex_bn: float = param(0.0, "$bn/year", "Meta capex $39bn 2024, >=$70bn 2025", ge=0)
    comp_budget_musd: float = param(500.0, "M$/year for new packages", ASSUMED, ge=0)


ExecRole = Literal["ceo", "chief_ai_officer", "research_head", "product_head", "chief_scientist"]


class ExecutiveSpec(Strict):
    role: ExecRole
    name: str = ""
    teams: list[str] = param([], "team ids", "teams that report to this executive")
    micromanagement: Unit = param(0.3, "0-1", "style; raises friction (M8)")
    risk_appetite: Unit = param(0.5, "0-1", "'high-stakes poker' style (M8)")
    patience: Unit = param(0.5, "0-1", "pressure the CEO tolerates before acting (M8)")
    insider: bool = param(True, "flag", "long-tenured; outsider successors raise turnover more")
    friction: Unit = param(0.1, "0-1", "friction with the CEO at start")


class LabSpec(Strict):
    name: str
    teams: dict[str, TeamSpec]
    pay: PaySpec
    hiring: HiringSpec = HiringSpec()
    mission: MissionSpec = MissionSpec()
    finance: FinanceSpec = FinanceSpec()
    executives: dict[str, ExecutiveSpec] = {}
    accelerators_k: float = param(100.0, "thousand H100-equivalents", "public compute plans, 2025", ge=0)
    capability: float = param(45.0, "index points (Gemini 2.5 = 47, Gemini 3 = 55)", "public composite index, June 2025 (ODD, M9)", ge=0)
    prestige: Unit = param(0.5, "0-1", "reputation among researchers")
    trust: Unit = param(0.7, "0-1", "trust in leadership and conduct (M12)")
    vision_clarity: Unit = param(0.6, "0-1", "clarity of research direction")
    quit_rate: float = param(0.15, "annual voluntary quit rate at mean covariates", "fitted to SignalFire 2-yr retention", ge=0, le=2)
    recent_reorgs: NonNeg = param(0.0, "reorgs (decaying count) before the start", "Meta: two AI reorgs in early 2025")
    release_every_weeks: int = param(26, "weeks (0 = only dated releases)", "frontier labs ship roughly twice a year", ge=0)
    founded: int | None = param(None, "year (none: an old organization)",
                                "the lab's founding year caps the tenure of its first researchers", ge=1900, le=2100)


class PopulationSpec(Strict):
    scale: float = param(1.0, "x headcounts", "0.1 gives a tenth-size world for tests", gt=0, le=10)
    skill_alpha: float = param(2.5, "Pareto tail index", "heavy-tailed research output (Lotka; Azoulay)", gt=1)
    insider_years: float = param(5.0, "years", "long-tenured 'friends of the CEO'", gt=0)
    mission_sorting: Unit = param(
        0.6, "share of a researcher's ideals drawn toward their lab's profile",
        "assumption: people self-select into labs that fit them (M13); 0 = labs staffed at random")
    preference_spread: float = param(0.5, "sd of log weight", "heterogeneous preferences (M13); at most 5 keeps "
                                     "the lognormal weights finite", ge=0, le=5)
    weight_money: NonNeg = param(1.0, "relative weight", "pay dominates offers (press)")
    weight_mission: NonNeg = param(1.0, "relative weight", "mission sorting (M13)")
    weight_compute: NonNeg = param(0.5, "relative weight", "'compute per researcher' pitch (press)")
    weight_prestige: NonNeg = param(0.7, "relative weight", ASSUMED)
    weight_stability: NonNeg = param(0.5, "relative weight", ASSUMED)
    safety_pref_beta: tuple[Positive, Positive] = param((2.0, 2.0), "Beta(a, b)", ASSUMED)
    openness_pref_beta: tuple[Positive, Positive] = param((2.0, 2.0), "Beta(a, b)", ASSUMED)
    entrant_skill_shift: float = param(-0.15, "log-skill", "backfill hires are less senior")


# ---------------------------------------------------------------- mechanisms

class OffersParams(Switchable):
    """M1 offers and poaching: logit acceptance of a rival package."""

    beta_money: float = param(1.2, "utils per log comp ratio", "calibrated: ~10% of approached accept (WSJ)")
    beta_mission: float = param(4.0, "utils per unit fit (x the mission weight)", "assumption sized so mission fit moves choices as much as the pay gaps between labs do (researchers turned down nine-figure offers for mission, press 2025); M13 must shape the flow matrix")
    beta_compute: float = param(0.3, "utils per log compute/researcher ratio", "Meta's compute pitch")
    beta_prestige: float = param(1.0, "utils per unit prestige", ASSUMED)
    beta_stability: float = param(0.8, "utils per unit stability", "reorg-weary targets")
    beta_trust: float = param(1.0, "utils per unit trust", "M12 trust")
    beta_colleagues: float = param(0.4, "utils per log(1+former colleagues)", "stars follow stars")
    beta_forfeit: float = param(
        1.2, "utils per log(1 + forfeited / market pay)",
        "assumption: forfeited money weighs like a pay cut of the same log size (beta_money); the offer must beat it")
    beta_embeddedness: float = param(0.3, "utils per log(1+team tenure years)", "job embeddedness")
    status_quo: float = param(-3.0, "utils", "calibrated: 45 courted, 4 moved (press)")
    personal_touch: float = param(0.8, "utils", "the CEO's personal outreach (press)")
    cooldown_weeks: int = param(26, "weeks", "a declined target is not re-approached soon", ge=0)


class CounterofferParams(Switchable):
    """M2 counteroffers and retention grants."""

    beta_countered: float = param(0.5, "log hazard ratio", "low-confidence: countered staff stay 1.7-3.5 years")


class AttritionParams(Switchable):
    """M3 voluntary attrition: proportional weekly hazard."""

    tenure_peak_weeks: float = param(13.0, "weeks", "Farber (1994): the separation hazard peaks at about three months of tenure", gt=0)
    tenure_peak_amplitude: float = param(2.0, "x baseline at the peak", "Farber (1994)", ge=0)
    tenure_decline: float = param(0.1, "per year of tenure", "Farber (1994): hazard falls with tenure", ge=0)
    tenure_floor: Unit = param(
        0.3, "share of the at-hire hazard the decline levels off at",
        "Farber (1994); BLS job tenure: separation rates level off after 5-10 years instead of vanishing; "
        "0.3 is an assumption")
    beta_morale: float = param(-2.0, "log HR per unit morale", ASSUMED)
    beta_pay_gap: float = param(1.0, "log HR per relative gap below market", ASSUMED)
    beta_mission_fit: float = param(-2.0, "log HR per unit fit", "assumption: misfits leave (M13), half the offer weight")
    beta_instability: float = param(0.6, "log HR per unit instability", "reorgs (M6)")
    beta_layoff_shock: float = param(
        0.39, "log HR per unit survivor shock (shock = ln(1 + % of staff cut) x (1 - fairness))",
        "Trevor & Nyberg (2008): a 1% downsizing raises voluntary turnover by about 31%: 0.39 x ln 2 = ln 1.31 "
        "with no fairness (x1.18 at the default 0.4); concave in the cut (assumption beyond small cuts)")
    beta_manager_exit: float = param(1.0, "log HR per unit of the manager-exit shock", "shock = log(1 + rise) (M8), so 1 applies Hayes, Oyer & Schaefer as is")
    beta_newcomer: float = param(0.4, "log HR for acqui-hired newcomers", "M15 friction with insiders")
    rival_share: Unit = param(
        0.25, "probability a voluntary leaver moves to another simulated lab",
        "assumption: most people leaving a big lab go to start-ups, other firms and academia; no public share")
    dest_beta_pay: float = param(1.0, "utils per log pay ratio (x the money weight)", ASSUMED)
    dest_beta_mission: float = param(6.0, "utils per unit fit (x the mission weight)", "assumption sized so mission fit moves choices as much as the pay gaps between labs do (researchers turned down nine-figure offers for mission, press 2025); M13 must shape the flow matrix")
    dest_beta_prestige: float = param(1.0, "utils per unit prestige (x the prestige weight)", ASSUMED)
    dest_beta_momentum: float = param(1.0, "utils per unit momentum", "recent releases attract")
    dest_beta_colleagues: float = param(0.5, "utils per log(1+former colleagues)", "stars follow stars")


class ContagionParams(Switchable):
    """M4 turnover contagion: each departure induces further quits in its team."""

    per_quit: NonNeg = param(0.23, "further quits per quit", "turnover contagion meta-evidence (Felps et al. 2009)")
    per_layoff: NonNeg = param(2.2, "further quits per layoff", "same source; saturated by max_weekly")
    similarity: float = param(2.0, "x weight within the same skill tier", "stars follow stars (Sajjadiani et al.)", ge=1)
    spread_weeks: float = param(8.0, "weeks", "induced quits spread over about two months", gt=1)
    max_weekly: Unit = param(0.004, "probability/week", "assumption: saturation for mass events (a mass layoff roughly doubles survivors' quits)")


class VestingParams(Switchable):
    """M5 golden handcuffs."""

    beta_forfeit: float = param(
        -0.8, "log HR per log(1 + forfeited / market pay)",
        "removing vesting took voluntary CEO departures from 5% to 21% (x4.2) at about 4-5 years of pay unvested: "
        "-ln 4.2 / ln 6 = -0.8")
    beta_post_vest: float = param(0.92, "log HR just after a vest", "quits rise 88-239% after vesting (ln 2.5)")
    post_vest_weeks: int = param(4, "weeks", "the spike right after a vesting date", ge=0)


class ReorgParams(Switchable):
    """M6 reorganizations."""

    reassign_share: Unit = param(0.3, "share of members moved", "'experience not crystallising' (press)")
    morale_drop: NonNeg = param(0.05, "morale units", ASSUMED)
    repeat_exponent: NonNeg = param(0.7, "drop x (1+recent reorgs)^k", "'fourth restructuring in six months'")
    recovery_weeks: float = param(26.0, "weeks", ASSUMED, gt=0)
    socialization_disruption: Unit = param(0.5, "share of p1 lost at zero stability", "M10")


class LayoffParams(Switchable):
    """M7 layoffs and survivor syndrome."""

    selectivity: NonNeg = param(1.0, "log-odds per skill sd", "cuts by performance")
    insider_protection: NonNeg = param(1.0, "log-odds", "insiders are protected (press)")
    survivor_morale_drop: NonNeg = param(0.1, "morale units", "Maertz et al. (2010)")
    fairness: Unit = param(0.4, "0-1", "perceived fairness moderates the survivor effect")
    shock_weeks: float = param(26.0, "weeks (decay)", ASSUMED, gt=0)


class ExecutiveParams(Switchable):
    """M8 executives: pressure, decisions, friction and exits."""

    weight_gap: NonNeg = param(3.0, "pressure per unit of gap to the frontier beyond the aspiration", ASSUMED)
    aspiration_weeks: float = param(
        52.0, "weeks (memory of the gap a CEO is used to)",
        "Greve (2003): aspirations adapt to past performance; a one-year memory is an assumption", ge=1)
    weight_drawdown: NonNeg = param(2.0, "pressure per unit drawdown", ASSUMED)
    weight_failure: NonNeg = param(0.3, "pressure per failed release", ASSUMED)
    pressure_memory: Unit = param(0.95, "weekly persistence of shocks", ASSUMED)
    threshold: NonNeg = param(1.5, "pressure that triggers action at patience 0.5", ASSUMED)
    relief: Unit = param(0.5, "share of pressure relieved by acting", ASSUMED)
    cooldown_weeks: float = param(13.0, "weeks between actions", "'the quicker the pivots are going to get'", gt=0)
    action_weights: dict[Literal["reorg", "blitz", "layoffs", "leadership_change"], NonNeg] = param(
        {"reorg": 0.4, "blitz": 0.25, "layoffs": 0.15, "leadership_change": 0.2}, "relative", ASSUMED)
    friction_growth: NonNeg = param(0.01, "friction/week per unit micromanagement", ASSUMED)
    exit_hazard: NonNeg = param(0.02, "probability/week per unit friction", ASSUMED)
    successor_insider: NonNeg = param(0.15, "hazard rise below", "Hayes, Oyer & Schaefer (2006)")
    successor_outsider: NonNeg = param(0.30, "hazard rise below", "Hayes, Oyer & Schaefer (2006)")
    shock_weeks: float = param(26.0, "weeks (decay)", ASSUMED, gt=0)
    action_layoff_share: Unit = param(0.05, "share of staff", ASSUMED)
    action_blitz_weeks: int = param(8, "weeks", ASSUMED, ge=1)


class ReleaseParams(Switchable):
    """M9 capability and releases; capability in index points of a public composite benchmark (ODD, M9)."""

    growth: NonNeg = param(0.165, "index points/week at reference talent, compute and knowledge 0",
                           "leaders 47-48 (June 2025) to 57 (April 2026): ~0.2/week at the frontier")
    star_exponent: float = param(1.5, "talent = sum skill^k", "stars carry output", ge=1)
    talent_returns: Unit = param(0.2, "elasticity of growth to talent",
                                 "strongly diminishing: Anthropic stays at the frontier with a third of "
                                 "DeepMind's effective talent (assumption)")
    compute_returns: NonNeg = param(0.1, "growth multiplier gained per doubling of compute",
                                    "scaling laws: capability linear in log compute (Kaplan et al. 2020); "
                                    "size assumed")
    knowledge_weight: NonNeg = param(0.5, "growth multiplier per unit knowledge", "M10 code feeds M9")
    instability_penalty: Unit = param(0.5, "growth lost at zero stability", "'experience not crystallising'")
    diffusion: Unit = param(0.0192, "share of the gap to the public frontier closed per week (1/52)",
                            "a follower with no research of its own trails by 1/diffusion weeks; open models "
                            "trail the closed frontier by about a year (Epoch AI 2024, 'How far behind are open "
                            "models?': 5-22 months)")
    know_how: Unit = param(0.5, "share of a mover's old lab's lead carried, per unit of talent share",
                           "learning-by-hiring (Song, Almeida & Wu 2003); half stays tacit (assumption)")
    gap_unit: float = param(15.0, "index points per unit of gap in CEO pressure (M8 weight_gap)",
                            "keeps Meta's mean gap term over the calibration window (weeks 0-103) at its calibrated "
                            "size: 0.33 former units (a runaway frontier) = 4.9 points (a bounded one); baseline "
                            "seeds 1-6, scale 0.5", gt=0)
    quality_noise: NonNeg = param(1.5, "index points (sd of a release's quality)", ASSUMED)
    partial_band: NonNeg = param(2.5, "index points below target still 'partial'", ASSUMED)
    morale_effect: NonNeg = param(0.12, "morale units (success +, failure -)", ASSUMED)
    prestige_effect: NonNeg = param(0.1, "prestige units", ASSUMED)
    price_effect: NonNeg = param(0.08, "log share price", ASSUMED)
    momentum_weeks: float = param(26.0, "weeks (decay)", ASSUMED, gt=0)
    slip_morale: NonNeg = param(0.03, "morale units per slip", ASSUMED)
    rush_quality_cost: NonNeg = param(0.5, "index points per week pulled forward", "a rushed AI-video feed")
    gaming_gain: NonNeg = param(0.05, "prestige units", "a tuned variant ranked #2 (press)")
    gaming_trust_loss: NonNeg = param(0.1, "trust units when found out", "the released model ranked ~32nd")
    gaming_found_weeks: int = param(6, "weeks until found out", ASSUMED, ge=0)


class LearningParams(Switchable):
    """M10 organizational learning (March 1991)."""

    dimensions: int = param(30, "dimensions of reality", "March (1991): m = 30", ge=1, le=256)
    p1: Unit = param(0.1, "probability/week", "March (1991) socialization rate")
    p2: Unit = param(0.5, "probability/week", "March (1991) code learning rate")
    p4: Unit = param(0.002, "probability/week per dimension", "the field moves (turbulence)")
    warmup_weeks: int = param(52, "weeks", "labs start near their own equilibrium; at most ten years (a resource "
                              "bound: the warm-up runs before week 0)", ge=0, le=520)


class FinanceParams(Switchable):
    """M11 finance: share prices, capex and budgets."""

    capex_punishment: NonNeg = param(0.0035, "log price per $bn capex raised without clear return", "Oct 2025: -10% after guiding 2026 capex ~$30bn above 2025")
    debt_scepticism: NonNeg = param(0.001, "log price per $bn borrowed", "$30bn bond, $27bn SPV credit")
    debt_budget_share: Unit = param(0.02, "share of debt added to comp budget", ASSUMED)
    jump_sd: float = param(0.0, "sd of weekly jump noise", ASSUMED, ge=0, le=5)


class ReputationParams(Switchable):
    """M12 reputation and trust."""

    recovery_weeks: float = param(52.0, "weeks to recover (decay)", ASSUMED, gt=0)


class MissionParams(Switchable):
    """M13 mission sorting."""

    weight_safety: NonNeg = param(1.0, "relative", ASSUMED)
    weight_openness: NonNeg = param(1.0, "relative", ASSUMED)
    weight_product: NonNeg = param(0.3, "relative", ASSUMED)


class EntryParams(Switchable):
    """M14 entry and exit (arrivals start at their lab's morale target)."""


class AcquisitionParams(Switchable):
    """M15 acqui-hires and stakes."""

    newcomer_weeks: float = param(52.0, "weeks of friction with insiders", ASSUMED, gt=0)


class MoraleParams(Strict):
    """Weekly morale relaxation toward a lab-driven target."""

    rate: Unit = param(0.05, "share of the gap closed per week", ASSUMED)
    base: Unit = param(0.3, "target at neutral conditions", ASSUMED)
    weight_stability: NonNeg = param(0.2, "target per unit stability", ASSUMED)
    weight_vision: NonNeg = param(0.2, "target per unit vision clarity", ASSUMED)
    weight_trust: NonNeg = param(0.1, "target per unit trust", ASSUMED)
    weight_momentum: NonNeg = param(0.15, "target per unit momentum", ASSUMED)


class Mechanisms(Strict):
    offers: OffersParams = OffersParams()
    counteroffers: CounterofferParams = CounterofferParams()
    attrition: AttritionParams = AttritionParams()
    contagion: ContagionParams = ContagionParams()
    vesting: VestingParams = VestingParams()
    reorgs: ReorgParams = ReorgParams()
    layoffs: LayoffParams = LayoffParams()
    executives: ExecutiveParams = ExecutiveParams()
    releases: ReleaseParams = ReleaseParams()
    learning: LearningParams = LearningParams()
    finance: FinanceParams = FinanceParams()
    reputation: ReputationParams = ReputationParams()
    mission: MissionParams = MissionParams()
    entry: EntryParams = EntryParams()
    acquisitions: AcquisitionParams = AcquisitionParams()


# ---------------------------------------------------------------- timeline

class EventBase(Strict):
    date: dt.date
    lab: str
    note: str = ""


class Blitz(EventBase):
    kind: Literal["blitz"]
    until: dt.date
    intensity: Unit = 1.0
    capacity_multiplier: float = Field(1.0, ge=0, le=1000)
    package_cap_musd: float | None = Field(None, gt=0)
    package_premium: float | None = Field(None, ge=1)
    personal_touch: bool = True
    target_quantile: Unit | None = None
    team: str | None = None
    cohort: str = "blitz"


class Freeze(EventBase):
    kind: Literal["freeze"]
    until: dt.date | None = None


class Reorg(EventBase):
    kind: Literal["reorg"]
    teams: list[str] = []
    reassign_share: Unit | None = None


class Layoff(EventBase):
    kind: Literal["layoff"]
    n: int = Field(..., ge=0)
    teams: list[str] = []


class ShareShock(EventBase):
    kind: Literal["share_shock"]
    change: float = Field(..., gt=-1.0)


class Release(EventBase):
    kind: Literal["release"]
    model: str
    target: float | None = Field(None, ge=0)
    floor: float | None = Field(None, ge=0)
    outcome: Literal["success", "failure", "partial", "endogenous"] = "endogenous"
    standing: float | None = Field(None, ge=0)
    reported: float | None = Field(None, ge=0)
    slips_weeks: list[Annotated[int, Field(ge=1)]] = []
    open_weights: bool | None = None
    gamed: bool = False
    pull_forward_weeks: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _check_levels(self) -> Release:
        if self.floor is not None and (self.target is None or self.floor > self.target):
            raise ValueError(f"floor {self.floor} needs a target at or above it (target: {self.target})")
        return self


class ExecutiveExit(EventBase):
    kind: Literal["executive_exit"]
    executive: str
    successor: Literal["insider", "outsider", "none"] = "outsider"


class CapexGuidance(EventBase):
    kind: Literal["capex_guidance"]
    capex_bn: float = Field(..., ge=0)
    clear_return: bool = False


class Debt(EventBase):
    kind: Literal["debt"]
    amount_bn: float = Field(..., ge=0)


class BudgetShift(EventBase):
    kind: Literal["budget_shift"]
    amount_bn: float = Field(..., ge=0)
    price_change: float = Field(0.0, gt=-1.0)


class Acquihire(EventBase):
    kind: Literal["acquihire"]
    company: str
    team: str
    n: int = Field(..., ge=0)
    skill_shift: float = 0.3
    executive: str | None = None
    executive_role: ExecRole = "chief_ai_officer"


class Scandal(EventBase):
    kind: Literal["scandal"]
    trust_drop: Unit = 0.1
    prestige_drop: Unit = 0.05


class RetentionGrant(EventBase):
    """Extra unvested equity for the top ``share`` of a lab: a flat amount plus years of each one's pay."""

    kind: Literal["retention_grant"]
    share: Unit = 1.0
    amount_k: float = Field(0.0, ge=0)
    amount_years: float = Field(0.0, ge=0)


class RefreshChange(EventBase):
    """A change to a lab's annual equity refresh grants: most staff get ``change``, the top ``top_share`` by skill ``top_change``."""

    kind: Literal["refresh_change"]
    change: float = Field(..., gt=-1.0, le=1.0)
    top_share: Unit = 0.0
    top_change: float = Field(0.0, gt=-1.0, le=1.0)


class MissionChange(EventBase):
    kind: Literal["mission_change"]
    safety: Unit | None = None
    openness: Unit | None = None
    product: Unit | None = None


TimelineEvent = Annotated[
    Blitz | Freeze | Reorg | Layoff | ShareShock | Release | ExecutiveExit | CapexGuidance
    | Debt | BudgetShift | Acquihire | Scandal | RetentionGrant | RefreshChange | MissionChange,
    Field(discriminator="kind"),
]


class OutcomeSpec(Strict):
    """What the headline outcomes refer to."""

    cohort: str = param("blitz-2025", "cohort name", "the summer-2025 hires")
    release: str = param("avocado", "model name", "the focal lab's flagship")
    retention_weeks: int = param(52, "weeks", "12-month retention after the release", ge=1)
    top_quantile: Unit = param(0.98, "skill quantile", "top talent: the top 2% at the start")


class Scenario(Strict):
    """A whole world: what ``orgsim validate`` checks and ``OrgModel`` runs."""

    name: str = "scenario"
    title: str = ""  # what a report calls the scenario ("Avocado fails"); the name when empty
    description: str = ""
    start: dt.date = param(dt.date(2025, 6, 2), "date", "week 0: the start of the summer 2025 blitz")
    horizon: dt.date = param(dt.date(2027, 12, 31), "date", "default end")
    focal_lab: str = "meta"
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
                    raise FieldProblem(f"labs.{lab_id}.hiring.source_weights.{source}", f"not a rival lab of {lab_id!r}")
            for ex_id, ex in lab.executives.items():
                for team in ex.teams:
                    if team not in lab.teams:
                        raise FieldProblem(f"labs.{lab_id}.executives.{ex_id}.teams", f"no team {team!r} in lab {lab_id!r}")
        for event_id, event in self.timeline.items():
            self._check_event(f"timeline.{event_id}", event)
        return self

    def _check_resources(self) -> None:
        """A world this machine can hold: bounds on memory and time, not on what the model means."""
        if self.weeks > MAX_YEARS * 52:
            raise FieldProblem("horizon", f"{self.weeks:,} weeks after start is more than {MAX_YEARS} years "
                               "(a resource bound: the recorder holds a row per week)")
        headcount = sum(t.headcount for lab in self.labs.values() for t in lab.teams.values())
        arriving = sum(e.n for e in self.timeline.values() if isinstance(e, Acquihire))
        if (headcount + arriving) * self.population.scale > MAX_RESEARCHERS:
            raise FieldProblem("labs", f"{(headcount + arriving) * self.population.scale:,.0f} researchers (headcounts "
                               f"and acqui-hires x population.scale) exceed {MAX_RESEARCHERS:,} (a resource bound: "
                               "about 1 kB of memory each)")

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
