"""elu_lib.registry: each activation written down once, and every list agrees.

The tests elsewhere take their names from the registry, so a function,
expression or colour missing for one of its names has to fail here.
"""

from __future__ import annotations

import inspect

import pytest
from matplotlib.colors import to_rgb

import elu_lib
from elu_lib import activations as A
from elu_lib import plotting
from elu_lib import symbolic as S
from elu_lib.registry import ACTIVATIONS, FUNCTION_NAMES, NAMES


def test_function_names_are_each_activation_then_its_derivative():
    assert NAMES == tuple(ACTIVATIONS)
    assert FUNCTION_NAMES == tuple(
        fname for name in NAMES for fname in (name, f"{name}_grad")
    )


@pytest.mark.parametrize("fname", FUNCTION_NAMES)
def test_every_function_is_in_activations_and_exported(fname):
    f = getattr(A, fname, None)
    assert callable(f), f"elu_lib.activations has no function {fname}"
    assert fname in A.__all__, f"{fname} missing from elu_lib.activations.__all__"
    assert fname in elu_lib.__all__, f"{fname} missing from elu_lib.__all__"
    assert getattr(elu_lib, fname) is f


def test_activations_exports_no_function_the_registry_lacks():
    public = {name for name in A.__all__ if inspect.isfunction(getattr(A, name))}
    assert public == set(FUNCTION_NAMES)


@pytest.mark.parametrize("fname", FUNCTION_NAMES)
def test_parameters_and_defaults_are_the_registrys(fname):
    spec = ACTIVATIONS[fname.removesuffix("_grad")]
    z, *params = inspect.signature(getattr(A, fname)).parameters.values()
    assert z.name == "z"
    assert {p.name: p.default for p in params} == dict(spec.params)


def test_symbolic_has_one_expression_per_name():
    assert set(S.EXPRESSIONS) == set(NAMES)
    assert set(S.DERIVATIVES) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_expression_takes_the_registrys_parameters(name):
    symbols = {str(s) for s in S.EXPRESSIONS[name].free_symbols}
    assert symbols == {"z", *ACTIVATIONS[name].params}


def test_plotting_colours_and_labels_cover_every_name():
    missing = [name for name in NAMES if name not in plotting.COLORS]
    assert not missing, f"no house colour for {missing}"
    for name in NAMES:
        assert plotting.color_for(name) == plotting.COLORS[name]
        assert plotting.LABELS[name] == ACTIVATIONS[name].label
    colours = {to_rgb(plotting.COLORS[name]) for name in NAMES}
    assert len(colours) == len(NAMES), "two activations share a colour"
