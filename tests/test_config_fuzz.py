"""A seeded fuzz of the input boundary: every mutated config is refused cleanly, or it builds and runs.

Structural mutants: the resolved baseline (at a small population scale) with
one to three changes: a wrong type, NaN or infinity, a huge, negative or
zero number, a missing key or a misspelt one, validated with
``scenario_from_dict``. Byte-level mutants: a real scenario file (or a file
it extends) with one to three changes to its bytes: flipped, inserted and
deleted bytes, truncation, shuffled lines, and the cases bytes alone reach (a
NUL byte, Latin-1, a byte-order mark, CRLF, tabs, deep nesting, a very long
value, an alias bomb), loaded with ``load_scenario`` as ``orgsim validate``
does. Each mutant must either be refused with a :class:`ConfigError` whose
every problem is one line naming the file, or give a scenario that builds and
runs six weeks; anything else (an exception, or a run over its time limit)
is a crash, and there must be none.
"""

from __future__ import annotations

import copy
import hashlib
import re
import shutil
import signal
import traceback
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from orgsim.cli import app
from orgsim.config import ConfigError, load_scenario, scenario_from_dict
from orgsim.sim.model import OrgModel

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
BASELINE = CONFIGS / "baseline.yaml"
#: one bad value each; numbers that are huge, tiny, negative or not finite, and values of the wrong type
VALUES = (float("nan"), float("inf"), float("-inf"), 1e300, -1e300, 1e18, 2**63, 10**12, -1, -1e9, -0.5, 0, 0.0,
          1e-300, "x", "", [1, 2], {"a": 1}, True, None, "2025-13-01", 3)
SECONDS = 20  # a mutant that runs longer than this counts as a crash (a hang)


class Hang(Exception):
    pass


def _leaves(node, path=()):
    """Every path into a nested mapping/list, inner nodes included."""
    yield path
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield from _leaves(value, (*path, key))


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parent(data, path):
    for key in path[:-1]:
        data = data[key]
    return data


def mutate(base: dict, rng: np.random.Generator) -> tuple[dict, list[str]]:
    """A copy of ``base`` with one to three random changes, and what they were."""
    data = copy.deepcopy(base)
    done = []
    for _ in range(int(rng.integers(1, 4))):
        paths = [p for p in _leaves(data) if p]
        numbers = [p for p in paths if _is_number(_parent(data, p)[p[-1]])]
        pool = numbers if numbers and rng.random() < 0.5 else paths  # half the changes hit a number
        path = pool[int(rng.integers(len(pool)))]
        parent, key = _parent(data, path), path[-1]
        how = rng.random()
        if how < 0.12 and isinstance(parent, dict):
            del parent[key]
            done.append(f"drop {'.'.join(map(str, path))}")
        elif how < 0.22 and isinstance(parent, dict) and isinstance(key, str) and key:
            i = int(rng.integers(len(key)))
            typo = key[:i] + key[i + 1:] + "x" if rng.random() < 0.5 else key + "s"
            parent[typo] = parent.pop(key)
            done.append(f"rename {'.'.join(map(str, path))} -> {typo}")
        else:
            value = copy.deepcopy(VALUES[int(rng.integers(len(VALUES)))])
            if _is_number(parent[key]) and rng.random() < 0.4:
                value = parent[key] * float(rng.choice([-1.0, 1e3, 1e9, 1e-9]))
            parent[key] = value
            done.append(f"set {'.'.join(map(str, path))} = {value!r}")
    return data, done


def _alarm(signum, frame):
    raise Hang(f"ran over {SECONDS} s")


class Trial:
    """Counts of ``refused`` / ``ran`` / ``crashed`` mutants and what each crash was; every mutant gets ``SECONDS``."""

    def __init__(self, weeks: int):
        self.weeks, self.counts, self.crashes = weeks, Counter(), []
        self.simulated: dict[str, bool] = {}  # config digest -> ran: a config many mutants give is simulated once

    def __enter__(self) -> Trial:
        self.previous = signal.signal(signal.SIGALRM, _alarm)
        return self

    def __exit__(self, *exc) -> None:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self.previous)

    def judge(self, i: int, changes: list[str], build, refused=lambda exc: None) -> None:
        """Build mutant ``i``'s scenario with ``build()``: a ConfigError (checked by ``refused``, which returns
        a complaint or None) counts as refused; a scenario must run ``weeks`` weeks."""
        what = f"mutant {i} ({'; '.join(changes)})"
        signal.alarm(SECONDS)
        try:
            scenario = build()
        except ConfigError as exc:
            complaint = refused(exc)
            self.counts["crashed" if complaint else "refused"] += 1
            if complaint:
                self.crashes.append(f"{what}: {complaint}")
            return
        except Exception as exc:  # noqa: BLE001 - the point is to catch anything
            self.counts["crashed"] += 1
            self.crashes.append(f"{what}: validation raised {exc!r}")
            return
        finally:
            signal.alarm(0)
        digest = hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()
        if digest in self.simulated:
            self.counts["ran"] += 1
            return
        signal.alarm(SECONDS)
        try:
            OrgModel(scenario, rng=i).run(self.weeks)
            self.counts["ran"] += 1
            self.simulated[digest] = True
        except Exception as exc:  # noqa: BLE001
            self.counts["crashed"] += 1
            tail = traceback.format_exception(exc)[-2].strip().splitlines()[0]
            self.crashes.append(f"{what}: {type(exc).__name__}: {exc} at {tail}")
        finally:
            signal.alarm(0)

    def figures(self, kind: str) -> str:
        c = self.counts
        return (f"{kind} fuzz: {sum(c.values())} mutants, {c['refused']} refused, {c['ran']} ran "
                f"({len(self.simulated)} distinct configs simulated {self.weeks} weeks), {c['crashed']} crashed")


def fuzz(mutants: int, seed: int = 2026, scale: float = 0.02, weeks: int = 6) -> Trial:
    """Structural mutants of the resolved baseline, judged."""
    base = load_scenario(BASELINE, [f"population.scale={scale}"]).model_dump(mode="json")
    rng = np.random.default_rng(seed)
    with Trial(weeks) as trial:
        for i in range(mutants):
            data, changes = mutate(base, rng)
            trial.judge(i, changes, lambda data=data: scenario_from_dict(data))
    return trial


# ------------------------------------------------------------ byte-level mutants

#: the files mutated: every shipped scenario and the files they extend
LEAVES = ("avocado_failure", "avocado_success", "avocado_delayed", "history_2026", "baseline", "calibrated")
#: bytes worth inserting: YAML's indicators, line ends, and bytes that are not UTF-8 text
TOKENS = (b"\x00", b"\t", b"\r", b"\r\n", b"\n", b"\xef\xbb\xbf", b"\xff", b"\xe9", b"\x07", b":", b": ", b"- ",
          b"&x ", b"*x", b"[", b"]", b"{", b"}", b"'", b'"', b"#", b"  ", b"!!", b"!!str ", b"|", b">", b"%", b"@",
          b"`", b"? ", b",", b"<<: ", b"~", b"1e999", b"-1", b"9" * 30, b"null", b".nan")
#: whole-file changes for the cases bytes alone reach
WHOLE = {
    "byte-order mark": lambda b, rng: b"\xef\xbb\xbf" + b,
    "CRLF": lambda b, rng: b.replace(b"\n", b"\r\n"),
    "Latin-1": lambda b, rng: b + "# caf\u00e9\n".encode("latin-1"),
    "UTF-16": lambda b, rng: b.decode("utf-8", "replace").encode("utf-16"),
    "tabs": lambda b, rng: re.sub(rb"(?m)^  ", b"\t", b, count=int(rng.integers(1, 4))),
    "deep nesting": lambda b, rng: b + b"deep: " + b"[" * int(rng.integers(40, 3000)) + b"\n",
    "long value": lambda b, rng: b + b"description: " + b"x" * int(rng.integers(9_000, 50_000)) + b"\n",
    "alias bomb": lambda b, rng: b + b"laughs:\n  a: &a [" + b"lol, " * 8 + b"lol]\n" + b"".join(
        b"  %c: &%c [" % (c, c) + b", ".join([b"*%c" % (c - 1)] * 9) + b"]\n" for c in range(ord("b"), ord("j"))),
}


def chain(files: dict[str, bytes], leaf: str) -> list[str]:
    """``leaf`` and the files it extends, by name."""
    names = [f"{leaf}.yaml"]
    while (found := re.search(rb"(?m)^extends:\s*(\S+)", files[names[-1]])) is not None:
        names.append(found.group(1).decode())
    return names


def byte_mutate(raw: bytes, rng: np.random.Generator) -> tuple[bytes, list[str]]:
    """``raw`` with one to three changes to its bytes, and what they were."""
    data, done = bytearray(raw), []
    for _ in range(int(rng.integers(1, 4))):
        how, at = rng.random(), int(rng.integers(len(data) + 1))
        if how < 0.1:
            name = list(WHOLE)[int(rng.integers(len(WHOLE)))]
            data = bytearray(WHOLE[name](bytes(data), rng))
            done.append(name)
        elif how < 0.3 and data:
            at = min(at, len(data) - 1)
            old = data[at]
            data[at] = old ^ (1 << int(rng.integers(8))) if rng.random() < 0.7 else int(rng.integers(256))
            done.append(f"byte {at}: 0x{old:02x} -> 0x{data[at]:02x}")
        elif how < 0.55:
            token = TOKENS[int(rng.integers(len(TOKENS)))] if rng.random() < 0.7 else rng.bytes(int(rng.integers(1, 5)))
            data[at:at] = token
            done.append(f"insert {bytes(token)[:12]!r} at {at}")
        elif how < 0.75:
            n = int(rng.integers(1, 17))
            del data[at:at + n]
            done.append(f"delete {n} bytes at {at}")
        elif how < 0.82:
            del data[at:]
            done.append(f"truncate at {at}")
        else:
            lines = bytes(data).split(b"\n")
            i, j = (int(v) for v in rng.integers(len(lines), size=2))
            kind = ("duplicate", "drop", "swap", "indent", "dedent")[int(rng.integers(5))]
            if kind == "duplicate":
                lines.insert(i, lines[i])
            elif kind == "drop":
                del lines[i]
            elif kind == "swap":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines[i] = b"  " + lines[i] if kind == "indent" else lines[i].removeprefix(b"  ")
            data = bytearray(b"\n".join(lines))
            done.append(f"{kind} line {i + 1}")
    return bytes(data), done


def one_line_each(folder: Path):
    """A check of a refusal: every problem one line, naming a file of ``folder``, no traceback."""

    def check(exc: ConfigError) -> str | None:
        for problem in exc.problems:
            text = str(problem)
            if "\n" in text or "Traceback" in text or not problem.where.startswith(str(folder)):
                return f"refused, but not in one line naming the file: {text[:300]!r}"
        return None

    return check


def byte_fuzz(mutants: int, folder: Path, seed: int, scale: float = 0.02, weeks: int = 6,
              through_cli: int = 25) -> Trial:
    """Byte-level mutants of the shipped scenarios, judged; every ``through_cli``-th is also run through
    ``orgsim validate``, which must exit 2 with one line per problem (or 0)."""
    files = {p.name: p.read_bytes() for p in CONFIGS.glob("*.yaml")}
    for name in files:
        shutil.copy(CONFIGS / name, folder / name)
    rng = np.random.default_rng(seed)
    runner = CliRunner()
    with Trial(weeks) as trial:
        for i in range(mutants):
            leaf = LEAVES[int(rng.integers(len(LEAVES)))]
            names = chain(files, leaf)
            target = names[int(rng.integers(len(names)))]
            raw, changes = byte_mutate(files[target], rng)
            (folder / target).write_bytes(raw)
            changes = [f"{target}: {c}" for c in changes]
            path = folder / f"{leaf}.yaml"
            trial.judge(i, changes, lambda path=path: load_scenario(path, [f"population.scale={scale}"]), one_line_each(folder))
            if i % through_cli == 0:
                result = runner.invoke(app, ["validate", str(path), "--set", f"population.scale={scale}"])
                lines = [line for line in result.output.splitlines() if line.strip()]
                if result.exit_code not in (0, 2) or "Traceback" in result.output or (
                        result.exit_code == 2 and not all(line.startswith("error: ") for line in lines)):
                    trial.counts["crashed"] += 1
                    trial.crashes.append(f"mutant {i} ({'; '.join(changes)}): orgsim validate exited "
                                         f"{result.exit_code}: {result.output[:300]!r}")
            (folder / target).write_bytes(files[target])
    return trial


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # huge values overflow to inf on purpose
def test_fuzzed_configs_are_refused_or_run() -> None:
    trial = fuzz(1000)
    print(trial.figures("structural"))
    assert sum(trial.counts.values()) == 1000 and trial.counts["ran"] > 100
    assert not trial.crashes, "\n".join(trial.crashes[:20])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_byte_mutants_of_real_scenarios_are_refused_in_one_line_or_run(tmp_path: Path) -> None:
    """400 seeded byte-level mutants (seed 19); the slow suite adds 1,000 more. The lower bounds on refused and
    ran only say the mutants reach both sides of the boundary (seed 19 gives 336 and 64)."""
    trial = byte_fuzz(400, tmp_path, seed=19)
    print(trial.figures("byte-level"))
    assert sum(trial.counts.values()) == 400 and trial.counts["refused"] > 100 and trial.counts["ran"] > 30
    assert not trial.crashes, "\n".join(trial.crashes[:20])


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_thousand_more_byte_mutants(tmp_path: Path) -> None:
    """1,000 seeded byte-level mutants (seed 2019) on top of the fast suite's 400."""
    trial = byte_fuzz(1000, tmp_path, seed=2019)
    print(trial.figures("byte-level"))
    assert sum(trial.counts.values()) == 1000 and trial.counts["refused"] > 250 and trial.counts["ran"] > 75
    assert not trial.crashes, "\n".join(trial.crashes[:20])
