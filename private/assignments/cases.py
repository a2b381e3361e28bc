"""Submissions that tests/assignments/test_assignments.py grades with grade.py.

Honest work by other routes than the solutions, common mistakes, and odd
notebooks (renamed, another kernel, pasted into a fresh notebook, a syntax
error, empty). They hold solution code, so they stay private with the masters.

``CASES[assignment][name]`` is a dict:

* ``answers``: start of a code cell in the student notebook -> code replacing it
  (from the solutions notebook with ``"base": "solutions"``);
* ``scores``: what each question must score;
* ``messages``: strings its ``messages`` column must contain;
* optional ``base``: ``"solutions"`` starts from the solutions notebook instead
  of the student's; ``replace``: (old, new) text replaced in its code cells;
  ``append``: cells added at the end; ``kernel``: the kernelspec name written
  into its metadata; ``fresh``: only its code cells, in a new notebook without
  otter's metadata; ``file``: its file name; ``raw``: the file's bytes.
"""

ELU_WHERE = (
    "def elu(z, alpha=1.0):\n"
    "    z = np.asarray(z)\n"
    "    if z.dtype.kind != 'f':\n"
    "        z = z.astype(float)\n"
    "    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))\n"
)
GRAD_WHERE = (
    "def elu_grad(z, alpha=1.0):\n"
    "    z = np.asarray(z)\n"
    "    if z.dtype.kind != 'f':\n"
    "        z = z.astype(float)\n"
    "    return np.where(z > 0, 1, alpha * np.exp(np.minimum(z, 0))).astype(z.dtype)\n"
)
FULL_1 = {"q1_elu": 6, "q2_elu_grad": 6}

CASES = {
    "01_elu_in_numpy": {
        "max_min_form": {
            "answers": {
                "def elu(": "def elu(z, alpha=1.0):\n"
                "    z = np.asarray(z)\n"
                "    if z.dtype.kind != 'f':\n"
                "        z = z.astype(float)\n"
                "    return np.maximum(z, 0) + alpha * np.expm1(np.minimum(z, 0))\n",
                "def elu_grad(": "def elu_grad(z, alpha=1.0):\n"
                "    z = np.asarray(z)\n"
                "    if z.dtype.kind != 'f':\n"
                "        z = z.astype(float)\n"
                "    return (z > 0) + (z <= 0) * (alpha * np.exp(np.minimum(z, 0)))\n",
            },
            "scores": FULL_1,
        },
        "python_loop": {
            "answers": {
                "def elu(": "import math\n\n\n"
                "def elu(z, alpha=1.0):\n"
                "    z = np.asarray(z)\n"
                "    dtype = z.dtype if z.dtype.kind == 'f' else np.float64\n"
                "    out = np.empty(z.shape, dtype)\n"
                "    for i, v in np.ndenumerate(z):\n"
                "        v = float(v)\n"
                "        out[i] = v if v > 0 else alpha * math.expm1(v)\n"
                "    return out\n",
                "def elu_grad(": "def elu_grad(z, alpha=1.0):\n"
                "    z = np.asarray(z)\n"
                "    dtype = z.dtype if z.dtype.kind == 'f' else np.float64\n"
                "    out = np.empty(z.shape, dtype)\n"
                "    for i, v in np.ndenumerate(z):\n"
                "        v = float(v)\n"
                "        out[i] = 1.0 if v > 0 else alpha * math.exp(v)\n"
                "    return out\n",
            },
            "scores": FULL_1,
        },
        "vectorize_math": {
            "answers": {
                "def elu(": "import math\n\n\n"
                "def elu(z, alpha=1.0):\n"
                "    z = np.asarray(z)\n"
                "    dtype = z.dtype if z.dtype.kind == 'f' else np.float64\n"
                "    expm1 = np.vectorize(math.expm1, otypes=[dtype])\n"
                "    neg = alpha * expm1(np.minimum(z, 0))\n"
                "    return np.where(z > 0, z, neg).astype(dtype)\n",
                "def elu_grad(": "def elu_grad(z, alpha=1.0):\n"
                "    z = np.asarray(z)\n"
                "    dtype = z.dtype if z.dtype.kind == 'f' else np.float64\n"
                "    exp = np.vectorize(math.exp, otypes=[dtype])\n"
                "    neg = alpha * exp(np.minimum(z, 0))\n"
                "    return np.where(z > 0, 1, neg).astype(dtype)\n",
            },
            "scores": FULL_1,
        },
        # Common mistakes: each loses the points of what it gets wrong.
        "exp_minus_one": {
            "answers": {
                "def elu(": "def elu(z, alpha=1.0):\n"
                "    return np.where(z > 0, z, alpha * (np.exp(z) - 1))\n",
                "def elu_grad(": "def elu_grad(z, alpha=1.0):\n"
                "    return np.where(z > 0, 1.0, alpha * np.exp(z))\n",
            },
            "scores": {"q1_elu": 4, "q2_elu_grad": 5},
            "messages": [
                "q1_elu test_elu_precise_near_zero",
                "lost precision near 0",
                "q1_elu test_elu_no_warnings",
                "RuntimeWarning: overflow encountered in exp",
                "q2_elu_grad test_elu_grad_no_warnings",
            ],
        },
        "maximum_one_liner": {
            "answers": {
                "def elu(": "def elu(z, alpha=1.0):\n"
                "    return np.maximum(z, alpha * (np.exp(z) - 1))\n",
                "def elu_grad(": GRAD_WHERE,
            },
            "scores": {"q1_elu": 3, "q2_elu_grad": 6},
            "messages": ["q1_elu test_elu_values", "q1_elu test_elu_precise_near_zero"],
        },
        "alpha_defaults_to_0.01": {
            "answers": {
                "def elu(": ELU_WHERE.replace("alpha=1.0", "alpha=0.01"),
                "def elu_grad(": GRAD_WHERE.replace("alpha=1.0", "alpha=0.01"),
            },
            "scores": {"q1_elu": 5, "q2_elu_grad": 5},
            "messages": ["elu(z) != elu(z, 1.0)", "elu_grad(z) != elu_grad(z, 1.0)"],
        },
        "slope_1_at_zero": {
            "answers": {
                "def elu(": ELU_WHERE,
                "def elu_grad(": GRAD_WHERE.replace("z > 0, 1", "z >= 0, 1"),
            },
            "scores": {"q1_elu": 6, "q2_elu_grad": 5},
            "messages": ["q2_elu_grad test_elu_grad_at_zero", "use alpha=0.5 at z = 0"],
        },
        "float64_for_float32": {
            "answers": {
                "def elu(": ELU_WHERE.replace(
                    "z = np.asarray(z)", "z = np.asarray(z, dtype=np.float64)"
                ),
                "def elu_grad(": GRAD_WHERE.replace(
                    "z = np.asarray(z)", "z = np.asarray(z, dtype=np.float64)"
                ),
            },
            "scores": {"q1_elu": 5, "q2_elu_grad": 5},
            "messages": ["float32 in, float64 out"],
        },
        # The rules, enforced whether or not the grader's machine has torch.
        "imports_torch": {
            "answers": {
                "def elu(": "import torch\n\n\n"
                "def elu(z, alpha=1.0):\n"
                "    t = torch.as_tensor(z)\n"
                "    return torch.nn.functional.elu(t, alpha).numpy()\n",
                "def elu_grad(": GRAD_WHERE,
            },
            "scores": {"q1_elu": 0, "q2_elu_grad": 6},
            "messages": ["imported torch, which this assignment does not allow"],
        },
        "imports_elu_lib": {
            "answers": {
                "def elu(": "from elu_lib.activations import elu",
                "def elu_grad(": "from elu_lib.activations import elu_grad",
            },
            "scores": {"q1_elu": 0, "q2_elu_grad": 0},
            "messages": [
                "imported elu_lib.activations, which this assignment does not allow",
                "elu is not defined in the notebook",
            ],
        },
        # Odd notebooks, graded with a readable message.
        "bad_cells": {
            "answers": {
                "import numpy": "import numpy as np\n"
                "from elu_helpers import safe_exp\n",
                "def elu(": ELU_WHERE + "\n\nassert elu(np.array([-1.0]))[0] == -0.63, "
                "'my own check, rounded too early'\n",
                "def elu_grad(": "def elu_grad(z, alpha=1.0):\n"
                "    while True:\n"
                "        pass\n",
            },
            "scores": {"q1_elu": 6, "q2_elu_grad": 0},
            "messages": [
                "ModuleNotFoundError: No module named 'elu_helpers'",
                "AssertionError: my own check, rounded too early",
                "TimeoutError: stopped after",
                "not called: elu_grad did not finish on earlier calls",
            ],
        },
        "syntax_error": {
            "answers": {
                "def elu(": "def elu(z, alpha=1.0)\n    return z\n",
                "def elu_grad(": GRAD_WHERE,
            },
            "scores": {"q1_elu": 0, "q2_elu_grad": 6},
            "messages": ["SyntaxError", "elu is not defined in the notebook"],
        },
        "kernel_python2": {"base": "solutions", "kernel": "python2", "scores": FULL_1},
        "kernel_conda_env": {
            "base": "solutions",
            "kernel": "conda-env-ml-py",
            "scores": FULL_1,
        },
        "pasted_into_a_fresh_notebook": {
            "base": "solutions",
            "fresh": True,
            "scores": FULL_1,
        },
        "renamed": {
            "base": "solutions",
            "file": "jdoe hw1 FINAL (2).ipynb",
            "scores": FULL_1,
        },
        "empty_file": {
            "raw": b"",
            "scores": {"q1_elu": 0, "q2_elu_grad": 0},
            "messages": ["not a notebook"],
        },
    },
    "02_derive_with_sympy": {
        # Answers are graded on their value: typed in, they score the same.
        "typed_in": {
            "answers": {
                "elu_left_slope_at_0 = ...": "elu_left_slope_at_0 = alpha\n"
                "elu_right_slope_at_0 = sp.Integer(1)\n"
                "alpha_smooth = sp.Integer(1)\n",
                "elu_neg = ...": "elu_neg = alpha * (sp.exp(z) - 1)\n"
                "elu_neg_grad = alpha * sp.exp(z)\n"
                "identity_residual = sp.Integer(0)\n",
                "celu_grad_neg = ...": "celu_grad_neg = sp.exp(z / alpha)\n"
                "celu_grad_pos = sp.Integer(1)\n"
                "celu_smooth_for_every_alpha = True\n"
                "celu_identity_residual = sp.Integer(0)\n",
            },
            "scores": {
                "q1_differentiable_at_0": 3,
                "q2_identity": 3,
                "q3_celu_grad": 4,
            },
        },
        "wrong_alpha_smooth": {
            "base": "solutions",
            "append": ["alpha_smooth = sp.Rational(1, 2)"],
            "scores": {
                "q1_differentiable_at_0": 2,
                "q2_identity": 3,
                "q3_celu_grad": 4,
            },
            "messages": ["q1_differentiable_at_0 test_alpha_smooth"],
        },
    },
    "03_backprop_by_hand": {
        "slope_1_at_zero": {
            "base": "solutions",
            "replace": (
                "np.where(a > 0, 1.0, h + alpha)",
                "np.where(a >= 0, 1.0, h + alpha)",
            ),
            "scores": {"q1_forward": 3, "q2_numerical_gradient": 3, "q3_backward": 3},
            "messages": ["q3_backward test_backward_at_zero"],
        },
        "imports_torch": {
            "base": "solutions",
            "replace": (
                "    a, h, y = cache",
                "    import torch\n\n    a, h, y = cache",
            ),
            "scores": {"q1_forward": 3, "q2_numerical_gradient": 3, "q3_backward": 0},
            "messages": ["imported torch, which this assignment does not allow"],
        },
    },
}
