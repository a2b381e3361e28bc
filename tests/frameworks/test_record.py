"""records/frameworks.json is what PyTorch and JAX compute now.

Chapter 11 ("ELU in the frameworks") computes its claims from that record,
without the frameworks installed. ``make test-frameworks`` (CI) installs them
and runs these tests with ELU_RUN_FRAMEWORKS=1: the recorder runs again and
any bit that differs from the record fails. ``make test`` collects this file
too but skips the re-run (6-14 s measured, outside its time budget). Without
PyTorch or JAX the re-run skips, saying so, unless ELU_REQUIRE_FRAMEWORKS=1
(set in CI) makes that a failure.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "record_frameworks.py"


def load_recorder():
    spec = importlib.util.spec_from_file_location("record_frameworks", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


recorder = load_recorder()
stored = json.loads(recorder.RECORD.read_text())


@pytest.mark.skipif(
    os.environ.get("ELU_RUN_FRAMEWORKS") != "1",
    reason="re-runs PyTorch and JAX: make test-frameworks",
)
def test_the_frameworks_compute_what_the_record_says():
    missing = [
        name
        for name in ("torch", "jax", "jaxlib")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        message = f"not installed: {', '.join(missing)} (make test-frameworks)"
        if os.environ.get("ELU_REQUIRE_FRAMEWORKS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    assert recorder.differences(recorder.record(), stored) == []


def test_one_changed_bit_is_a_difference():
    changed = copy.deepcopy(stored)
    entry = changed["accuracy"]["torch.elu_1"]
    last = entry["grad"][-1]
    entry["grad"] = entry["grad"][:-1] + ("0" if last != "0" else "1")
    assert recorder.differences(changed, stored) == ["/accuracy/torch.elu_1/grad"]
    assert recorder.differences(stored, copy.deepcopy(stored)) == []


def test_installed_sizes_agree_to_one_percent_and_nothing_else_does():
    changed = copy.deepcopy(stored)
    changed["installed_bytes"]["torch"] += stored["installed_bytes"]["torch"] // 200
    assert recorder.differences(changed, stored) == []  # 0.5 %: pip's doing
    changed["installed_bytes"]["jax"] *= 2
    assert recorder.differences(changed, stored) == ["/installed_bytes/jax"]
    changed = copy.deepcopy(stored)
    changed["defaults"] = {k: 0 for k in stored["defaults"]}
    assert recorder.differences(changed, stored)  # every other value: exactly


def test_a_missing_or_extra_entry_is_a_difference():
    changed = copy.deepcopy(stored)
    del changed["subnormals"]["jax.elu"]
    changed["versions"]["numpy"] = "2"
    assert recorder.differences(changed, stored) == [
        "/subnormals/jax.elu",
        "/versions/numpy",
    ]


def test_a_quoted_line_must_be_found_exactly_once(tmp_path):
    source = tmp_path / "source.h"
    source.write_text("  a < 0\n    ? expm1(a)\n    : a;\nb < 0\n")
    assert recorder.excerpt(source, "a < 0", 2) == "a < 0\n? expm1(a)"
    with pytest.raises(ValueError, match="'c < 0' found 0 times"):
        recorder.excerpt(source, "c < 0", 1)  # gone from the source
    with pytest.raises(ValueError, match="'b < 0' found 2 times"):
        source.write_text(source.read_text() + "b < 0\n")
        recorder.excerpt(source, "b < 0", 1)  # no longer one place


def test_the_record_holds_every_quoted_source():
    assert set(stored["sources"]) >= {
        "torch.Elu.h.scalar",
        "torch.derivatives.elu_",
        "jax.lax.expm1",
        "jax.nn.elu",
    }
    assert all(isinstance(v, str) and v for v in stored["sources"].values())
