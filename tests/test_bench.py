"""Speed benchmarks (pytest-benchmark). Disabled timing by default; `pytest --benchmark-enable tests/test_bench.py`."""

from __future__ import annotations

from conftest import make_scenario

from orgsim import OrgModel


def test_bench_full_scale_week(benchmark) -> None:
    """One simulated week of the full world (~16,800 researchers)."""
    model = OrgModel(make_scenario("baseline", scale=1.0), rng=1)
    model.run(5)
    benchmark(model.step)
    assert model.week >= 6


def test_bench_tenth_scale_run(benchmark) -> None:
    """A whole tenth-size run to the horizon, build included."""
    scenario = make_scenario("avocado_failure", scale=0.1)
    model = benchmark.pedantic(lambda: OrgModel(scenario, rng=1).run(), rounds=1, iterations=1)
    assert model.week == scenario.weeks


def bench_300(*options: str) -> tuple[str, str]:
    """``orgsim bench`` on a 300-researcher world, two weeks, one repeat: its whole output and the table's row."""
    from typer.testing import CliRunner

    from orgsim.cli import app

    result = CliRunner().invoke(app, ["bench", "--researchers", "300", "--repeats", "1", "--weeks", "2",
                                      "--boltzmann-steps", "2", *options])
    assert result.exit_code == 0, result.output
    return result.output, next(line for line in result.output.splitlines() if "│" in line and "300" in line)


def test_bench_prints_the_ratio_to_mesas_boltzmann_example() -> None:
    output, row = bench_300()
    assert "researcher-weeks/s" in output and "Boltzmann agent-steps/s" in output
    assert "300 researchers: timing whole runs (1)" in output  # progress, before the table
    assert float(row.split("│")[-2]) > 0  # the ratio


def test_bench_traces_the_peak_memory_per_researcher() -> None:
    """``--memory`` adds the peak traced over one more run, divided by the researchers: a figure, not zero."""
    output, row = bench_300("--memory")
    assert "bytes/researcher" in output  # "peak" may wrap onto the line above in a narrow terminal
    assert float(row.split("│")[-2].replace(",", "")) > 100  # a researcher's state alone is hundreds of bytes
