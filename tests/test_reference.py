"""The outputs of the reference runs are the committed bytes (tests/reference/runs.py; ``make digests``)."""

import pytest
from reference.runs import CASES, digest, stored


@pytest.mark.parametrize("name", CASES)
def test_reference_run_outputs_are_byte_identical(name):
    expected = stored()[name]
    actual = digest(name)
    changed = [part for part in expected if actual[part] != expected[part]]
    assert not changed, f"{name}: {', '.join(changed)} changed (regenerate with `make digests` only on purpose)"
