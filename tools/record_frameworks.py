"""Run PyTorch and JAX (CPU) on fixed inputs and record their raw outputs.

    python tools/record_frameworks.py            print the record (JSON)
    python tools/record_frameworks.py --write    rewrite records/frameworks.json
    python tools/record_frameworks.py --check    exit 1 if a result differs
                                                 from records/frameworks.json

The chapter "ELU in the frameworks" reads records/frameworks.json and
computes every claim from it, so the book runs without PyTorch (~750 MB)
and JAX (~380 MB). tests/frameworks re-runs this script (`make
test-frameworks`, in CI) and fails if a single bit differs.

The record holds outputs, not conclusions (and, under "sources", the few
lines of the installed packages' source that the chapter quotes, so a quote
that goes stale fails the test too): every float is stored as its bit
pattern (``bits``: hexadecimal, big-endian, one fixed-width word per
element), on input grids fixed here. The frameworks are imported inside the
probes, so the chapter can import this file to show the probes' source.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
from pathlib import Path

import numpy as np

RECORD = Path(__file__).resolve().parent.parent / "records" / "frameworks.json"
# The special inputs; ELU and CELU at alpha = 2, so that alpha and 1 differ.
SPECIAL = [0.0, -0.0, float("nan"), float("inf"), float("-inf")]
ALPHA = 2.0
# The float32 accuracy grid; its negative part is where the work is.
ACCURACY_GRID = np.linspace(-20, 2, 2049, dtype=np.float32)
# CELU at alpha = 0.01 is exp(x / 0.01) - 1: the same grid, scaled by 0.01.
CELU_GRID = np.linspace(-0.2, 0.02, 2049, dtype=np.float32)
SIGMOID_GRID = np.linspace(-30, 30, 1025, dtype=np.float32)
# float16 and bfloat16: the grid, rounded to each format.
HALF_GRID = np.linspace(-12, 2, 1025)
# The gradient of the where trap and of its double-where fix.
TRAP_GRID = np.float32([-1.0, 1.0, 50.0, 88.0, 89.0, 100.0])
# Deep in the left tail, for the gradient from expm1(x) + 1 and from y + a.
TAIL_GRID = np.linspace(-40, 0, 401, dtype=np.float32)
# Subnormal float32 inputs: 2^-140 and -2^-140.
SUBNORMALS = np.float32([2.0**-140, -(2.0**-140)])


def bits(a) -> str:
    """The bit patterns of a float16/bfloat16/float32 array, as one string."""
    a = np.asarray(a)
    width = {2: ">u2", 4: ">u4"}[a.dtype.itemsize]
    return a.astype(a.dtype.newbyteorder(">")).view(width).tobytes().hex()


def torch_value_and_grad(f, x):
    """f(x) and df/dx elementwise, with torch.autograd."""
    import torch

    t = torch.tensor(x, requires_grad=True)
    y = f(t)
    y.backward(torch.ones_like(y))
    return y.detach().numpy(), t.grad.numpy()


def jax_value_and_grad(f, x):
    """f(x) and df/dx elementwise, with jax.vmap(jax.grad(f))."""
    import jax

    x = jax.numpy.asarray(x)
    return np.asarray(f(x)), np.asarray(jax.vmap(jax.grad(f))(x))


def torch_functions():
    """The probed PyTorch functions; ELU and CELU at alpha = ALPHA."""
    import torch.nn.functional as F

    return {
        "elu": lambda t: F.elu(t, alpha=ALPHA),
        "celu": lambda t: F.celu(t, alpha=ALPHA),
        "selu": F.selu,
        "relu": F.relu,
        "leaky_relu": F.leaky_relu,
    }


def jax_functions():
    """The probed JAX functions; ELU and CELU at alpha = ALPHA."""
    import jax

    return {
        "elu": lambda x: jax.nn.elu(x, alpha=ALPHA),
        "celu": lambda x: jax.nn.celu(x, alpha=ALPHA),
        "selu": jax.nn.selu,
        "relu": jax.nn.relu,
        "leaky_relu": jax.nn.leaky_relu,
    }


def defaults():
    """Each function's default alpha or slope, from its signature."""
    import jax
    import torch.nn.functional as F

    found = {}
    for fw, module in (("torch", F), ("jax", jax.nn)):
        for name in ("elu", "celu", "leaky_relu"):
            params = inspect.signature(getattr(module, name)).parameters
            key = "negative_slope" if name == "leaky_relu" else "alpha"
            found[f"{fw}.{name}"] = float(params[key].default)
    return found


def special_values():
    """Value and gradient of each function at 0, -0, NaN, +inf, -inf."""
    x = np.float32(SPECIAL)
    out = {}
    for fw, funcs, vg in (
        ("torch", torch_functions(), torch_value_and_grad),
        ("jax", jax_functions(), jax_value_and_grad),
    ):
        for name, f in funcs.items():
            y, g = vg(f, x)
            out[f"{fw}.{name}"] = {"value": bits(y), "grad": bits(g)}
    return out


def where_trap():
    """Gradients of a single where around exp, and of the double where."""
    import jax
    import jax.numpy as jnp

    def single(x):
        return jnp.where(x > 0, x, jnp.exp(x) - 1)

    def double(x):
        safe = jnp.where(x > 0, 0.0, x)
        return jnp.where(x > 0, x, jnp.expm1(safe))

    grad = jax.vmap(jax.grad(single)), jax.vmap(jax.grad(double))
    x = jnp.asarray(TRAP_GRID)
    return {"single": bits(grad[0](x)), "double": bits(grad[1](x))}


def half_precision():
    """elu (alpha = 1) in float16 and bfloat16, inputs rounded to each."""
    import jax
    import torch

    out = {}
    for name, tdt, jdt in (
        ("float16", torch.float16, jax.numpy.float16),
        ("bfloat16", torch.bfloat16, jax.numpy.bfloat16),
    ):
        t = torch.tensor(HALF_GRID, dtype=tdt)
        y = torch.nn.functional.elu(t)
        out[f"torch.{name}.x"] = bits(t.view(torch.int16).numpy())
        out[f"torch.{name}.y"] = bits(y.view(torch.int16).numpy())
        x = jax.numpy.asarray(HALF_GRID, dtype=jdt)
        y = jax.nn.elu(x)
        out[f"jax.{name}.x"] = bits(np.asarray(x).view(np.int16))
        out[f"jax.{name}.y"] = bits(np.asarray(y).view(np.int16))
    return out


def accuracy():
    """float32 values and gradients of elu, celu and sigmoid on the grids."""
    import jax
    import torch.nn.functional as F

    cases = {  # name: (torch f, jax f, grid)
        "elu_1": (F.elu, jax.nn.elu, ACCURACY_GRID),
        "elu_0.01": (
            lambda t: F.elu(t, alpha=0.01),
            lambda x: jax.nn.elu(x, alpha=0.01),
            ACCURACY_GRID,
        ),
        "celu_0.01": (
            lambda t: F.celu(t, alpha=0.01),
            lambda x: jax.nn.celu(x, alpha=0.01),
            CELU_GRID,
        ),
        "sigmoid": (F.sigmoid, jax.nn.sigmoid, SIGMOID_GRID),
    }
    out = {}
    for name, (tf, jf, grid) in cases.items():
        for fw, f, vg in (
            ("torch", tf, torch_value_and_grad),
            ("jax", jf, jax_value_and_grad),
        ):
            y, g = vg(f, grid)
            out[f"{fw}.{name}"] = {"value": bits(y), "grad": bits(g)}
    return out


def left_tail():
    """The ELU gradient deep in the left tail: JAX, PyTorch, in place."""
    import torch
    import torch.nn.functional as F

    _, jax_grad = jax_value_and_grad(jax_functions()["elu"], TAIL_GRID)
    y, torch_grad = torch_value_and_grad(torch_functions()["elu"], TAIL_GRID)
    t = torch.tensor(TAIL_GRID, requires_grad=True)
    out = t * 1  # in place needs a non-leaf tensor
    F.elu_(out, alpha=ALPHA)
    out.backward(torch.ones_like(out))
    return {
        "jax.grad": bits(jax_grad),
        "torch.value": bits(y),
        "torch.grad": bits(torch_grad),
        "torch.inplace.value": bits(out.detach().numpy()),
        "torch.inplace.grad": bits(t.grad.numpy()),
    }


def subnormals():
    """Subnormal inputs and results, and elu, at +-2^-140 (float32).

    x * 3 is exact and still subnormal; x * 1 shows why the factor is not 1;
    x * 2^30 has a subnormal input and a normal result; 2^-70 * 2^-70 has
    normal inputs and a subnormal result; x > 0 is the test elu makes.
    """
    import jax
    import torch

    t = torch.tensor(SUBNORMALS)
    x = jax.numpy.asarray(SUBNORMALS)
    tiny = np.float32([2.0**-70, -(2.0**-70)])
    big = np.float32(2.0**30)
    times_three = jax.jit(lambda v: v * 3.0)
    times_one = jax.jit(lambda v: v * 1.0)
    times_big = jax.jit(lambda v: v * big)
    square = jax.jit(lambda v: v * abs(v))
    positive = jax.jit(lambda v: (v > 0).astype(v.dtype))
    return {
        "torch.times_three": bits((t * 3.0).numpy()),
        "torch.times_2_30": bits((t * float(big)).numpy()),
        "torch.tiny_product": bits((torch.tensor(tiny) * abs(tiny[0])).numpy()),
        "torch.is_positive": bits((t > 0).to(t.dtype).numpy()),
        "torch.elu": bits(torch.nn.functional.elu(t).numpy()),
        "jax.times_three": bits(times_three(x)),
        "jax.times_one": bits(times_one(x)),
        "jax.times_2_30": bits(times_big(x)),
        "jax.tiny_product": bits(square(jax.numpy.asarray(tiny))),
        "jax.is_positive": bits(positive(x)),
        "jax.elu": bits(jax.nn.elu(x)),
    }


def excerpt(path: Path, start: str, n: int) -> str:
    """n stripped lines of a file, from the one line that starts with start."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    hits = [i for i, line in enumerate(lines) if line.startswith(start)]
    if len(hits) != 1:
        raise ValueError(f"excerpt: {start!r} found {len(hits)} times in {path}")
    return "\n".join(lines[hits[0] : hits[0] + n])


def body(function) -> list[str]:
    """A function's statements after its docstring, as ast.unparse writes them."""
    import ast
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    statements = tree.body[0].body
    if isinstance(statements[0], ast.Expr) and isinstance(
        statements[0].value, ast.Constant
    ):
        statements = statements[1:]
    return [ast.unparse(s) for s in statements]


def sources():
    """The source lines the chapter quotes, from the installed packages."""
    import jax
    import torch

    torch_dir = Path(torch.__file__).parent
    jax_dir = Path(jax.__file__).parent
    yaml = torch_dir.parent / "torchgen/packaged/autograd/derivatives.yaml"
    elu_h = torch_dir / "include/ATen/native/cpu/Elu.h"
    lax = jax_dir / "_src/lax/lax.py"
    out = {
        f"torch.derivatives.{name}": excerpt(yaml, f"- name: {name}(", 2)
        for name in ("elu", "elu_", "celu", "relu", "sigmoid")
    }
    out["torch.Elu.h.scalar"] = excerpt(elu_h, "return MathT(a) < MathT(0)", 3)
    out["torch.Elu.h.vectorized"] = excerpt(elu_h, "const auto cmp = a >= zero_vec", 6)
    out["jax.lax.expm1"] = excerpt(lax, "expm1_p = standard_unop", 9)
    out["jax.lax.logistic"] = excerpt(lax, "logistic_p = standard_unop", 6)
    for name in ("elu", "celu", "selu", "leaky_relu", "relu"):
        out[f"jax.nn.{name}"] = "\n".join(body(getattr(jax.nn, name)))
    return out


def versions():
    import jax
    import jaxlib
    import torch

    return {
        "torch": torch.__version__,
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
    }


def installed_bytes():
    """The size of each distribution's installed files, in bytes."""
    from importlib import metadata

    return {
        name: sum(f.locate().stat().st_size for f in metadata.files(name))
        for name in ("torch", "jax", "jaxlib")
    }


def record() -> dict:
    """Everything, in a fixed order, on the CPU.

    PyTorch's intra-op threads are set to 1, and XLA's multi-threaded Eigen
    is turned off (--xla_cpu_multi_thread_eigen=false) before JAX is
    imported, so that how an array is split among threads (and so which
    elements a vectorised loop's scalar tail gets) depends as little as
    possible on the machine's cores. No timing is recorded.
    """
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    if "jax" not in sys.modules:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} --xla_cpu_multi_thread_eigen=false"
    import torch

    torch.set_num_threads(1)
    return {
        "versions": versions(),
        "installed_bytes": installed_bytes(),
        "defaults": defaults(),
        "special": special_values(),
        "where_trap": where_trap(),
        "half_precision": half_precision(),
        "accuracy": accuracy(),
        "left_tail": left_tail(),
        "subnormals": subnormals(),
        "sources": sources(),
    }


# The installed sizes depend a little on how pip installed the packages (a
# fresh venv in CI differed by 7 kB of 757 MB): they must agree to 1 %, which
# the book's rounded megabytes need; everything else, bit for bit.
SIZE_TOLERANCE = 0.01


def differences(new: dict, old: dict, path: str = "") -> list[str]:
    """The keys (dotted paths) whose values differ between two records."""
    if isinstance(new, dict) and isinstance(old, dict):
        keys = sorted(set(new) | set(old))
        found = []
        for k in keys:
            found += differences(new.get(k), old.get(k), f"{path}/{k}")
        return found
    sizes = isinstance(new, int) and isinstance(old, int)
    if sizes and path.startswith("/installed_bytes/"):
        return [] if abs(new - old) <= SIZE_TOLERANCE * old else [path]
    return [] if new == old else [path]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    new = record()
    text = json.dumps(new, indent=1) + "\n"
    if args.write:
        RECORD.write_text(text)
    elif args.check:
        diff = differences(new, json.loads(RECORD.read_text()))
        for path in diff:
            print(f"differs from {RECORD.name}: {path}", file=sys.stderr)
        return 1 if diff else 0
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
