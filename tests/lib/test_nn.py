"""elu_lib.nn: the small NumPy MLP the training chapter uses.

Backprop is checked against central finite differences in float64 for every
activation; the check itself is shown to catch a wrong derivative.
"""

from __future__ import annotations

import numpy as np
import pytest

from elu_lib import activations as A
from elu_lib import nn
from elu_lib.registry import ACTIVATIONS, NAMES

GRAD_TOL = 1e-7  # central differences, eps = 1e-6, float64
# Values other than the defaults, for every activation that takes the parameter.
OTHER_VALUES = {"alpha": [0.3, 2.5], "negative_slope": [0.2, -0.5]}
NON_DEFAULT = [
    (name, {param: value})
    for name, spec in ACTIVATIONS.items()
    for param in spec.params
    for value in OTHER_VALUES[param]
]


def tiny_batch(n=7, n_in=4, n_classes=3, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n_in)), rng.integers(0, n_classes, n)


def blobs(n_per_class=30, seed=0):
    """Three well separated Gaussian blobs in 2-D: an easy problem."""
    rng = np.random.default_rng(seed)
    centres = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    x = np.concatenate(
        [c + 0.5 * rng.standard_normal((n_per_class, 2)) for c in centres]
    )
    y = np.repeat(np.arange(3), n_per_class)
    return x, y


# --------------------------------------------------------------------------
# Backprop against finite differences


@pytest.mark.parametrize("name", NAMES)
def test_backprop_matches_central_differences(name):
    x, y = tiny_batch()
    model = nn.MLP(4, [5, 5, 5], 3, activation=name, seed=3)
    assert nn.gradient_check(model, x, y) < GRAD_TOL


@pytest.mark.parametrize(("name", "params"), NON_DEFAULT, ids=str)
def test_backprop_with_non_default_parameters(name, params):
    x, y = tiny_batch(seed=5)
    model = nn.MLP(4, [6, 6], 3, activation=name, seed=2, **params)
    assert nn.gradient_check(model, x, y) < GRAD_TOL


# --------------------------------------------------------------------------
# BatchNorm


def numeric_input_gradient(layer, x, upstream, h=1e-6):
    """Central differences of sum(upstream * layer(x)) in x, training mode."""
    numeric = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        bumped = []
        for step in (h, -h):
            xs = x.copy()
            xs[idx] += step
            bumped.append((upstream * layer.forward(xs, training=True)).sum())
        numeric[idx] = (bumped[0] - bumped[1]) / (2 * h)
    return numeric


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_backward_matches_central_differences(training):
    rng = np.random.default_rng(4)
    x, upstream = 3 + 2 * rng.standard_normal((2, 6, 5))
    layer = nn.BatchNorm(5)
    layer.gamma[:] = rng.uniform(0.5, 2, 5)
    layer.beta[:] = rng.standard_normal(5)
    layer.running_mean[:], layer.running_var[:] = 1.0, 2.0
    if training:
        numeric = numeric_input_gradient(layer, x, upstream)
    else:  # the running averages are constants: dL/dx = g * gamma / sd
        numeric = upstream * layer.gamma / np.sqrt(2.0 + layer.eps)
    layer.forward(x, training=training)
    analytic = layer.backward(upstream)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_batch_norm_parameter_gradients_and_statistics():
    rng = np.random.default_rng(5)
    x, upstream = rng.standard_normal((2, 8, 3))
    layer = nn.BatchNorm(3, momentum=0.25)
    out = layer.forward(x, training=True)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), 1 / (1 + 1e-5 / x.var(0)), rtol=1e-9)
    np.testing.assert_allclose(layer.running_mean, 0.25 * x.mean(axis=0))
    np.testing.assert_allclose(layer.running_var, 0.75 + 0.25 * x.var(axis=0))
    layer.backward(upstream)
    np.testing.assert_allclose(layer.grads[0], (upstream * out).sum(axis=0))
    np.testing.assert_allclose(layer.grads[1], upstream.sum(axis=0))
    # evaluation uses the running averages, not the batch's statistics
    single = layer.forward(x[:1])
    expected = (x[:1] - layer.running_mean) / np.sqrt(layer.running_var + 1e-5)
    np.testing.assert_allclose(single, expected)


@pytest.mark.parametrize("name", NAMES)
def test_backprop_with_batch_norm_matches_central_differences(name):
    x, y = tiny_batch()
    model = nn.MLP(4, [5, 5, 5], 3, activation=name, seed=3, batch_norm=True)
    before = [la.running_mean.copy() for la in model.layers if hasattr(la, "eps")]
    assert nn.gradient_check(model, x, y) < GRAD_TOL
    after = [la.running_mean for la in model.layers if hasattr(la, "eps")]
    np.testing.assert_array_equal(before, after)  # the check leaves them


def test_gradient_check_catches_a_wrong_batch_norm_backward():
    x, y = tiny_batch()
    model = nn.MLP(4, [5, 5], 3, activation="elu", seed=3, batch_norm=True)
    norm = next(la for la in model.layers if isinstance(la, nn.BatchNorm))
    # Forget the path through the batch statistics (the evaluation-mode rule).
    norm.backward = lambda g: g * norm.gamma * norm._inv_std
    assert nn.gradient_check(model, x, y) > 1e-3


def test_explicit_weight_variance_scales_the_same_draws():
    he = nn.MLP(8, [6], 3, "elu", seed=2)
    two = nn.MLP(8, [6], 3, "elu", seed=2, init=2.0)
    small = nn.MLP(8, [6], 3, "elu", seed=2, init=0.5)
    np.testing.assert_array_equal(he.layers[0].W, two.layers[0].W)
    np.testing.assert_allclose(small.layers[0].W, he.layers[0].W / 2)
    np.testing.assert_array_equal(small.layers[-1].W, he.layers[-1].W)


def test_gradient_check_catches_a_wrong_derivative():
    x, y = tiny_batch()
    model = nn.MLP(4, [5, 5], 3, activation="elu", seed=3)
    act = model.activation
    wrong = nn.Activation(
        name="elu", f=act.f, f_grad=lambda z: 1.05 * act.f_grad(z), init="he"
    )
    for layer in model.hidden_layers:
        layer.activation = wrong
    assert nn.gradient_check(model, x, y) > 1e-3


def test_gradient_check_leaves_the_model_unchanged():
    x, y = tiny_batch()
    model = nn.MLP(4, [5], 3, activation="tanh", seed=0)
    before = [p.copy() for p in model.params]
    nn.gradient_check(model, x, y)
    for p, q in zip(model.params, before, strict=True):
        np.testing.assert_array_equal(p, q)


# --------------------------------------------------------------------------
# The f' = f + alpha shortcut


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("alpha", [0.01, 0.5, 1.0, 3.0])
def test_elu_shortcut_equals_elu_grad(alpha, dtype):
    z = np.concatenate(
        [np.linspace(-40, 40, 4001), [-0.0, 0.0, -1e-30, 1e-30, -745.0]]
    ).astype(dtype)
    act = nn.make_activation("elu", alpha=alpha)
    shortcut = act.grad(z, A.elu(z, alpha=alpha))
    exact = A.elu_grad(z, alpha=alpha)
    assert shortcut.dtype == exact.dtype == dtype
    eps = np.finfo(dtype).eps
    # f + alpha cancels for very negative z: the error is absolute, ~alpha*eps.
    np.testing.assert_allclose(shortcut, exact, rtol=4 * eps, atol=2 * alpha * eps)
    assert shortcut[z > 0].min() == 1 and (shortcut[z <= 0] <= alpha).all()


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_celu_shortcut_equals_celu_grad(alpha):
    z = np.linspace(-40, 40, 4001)
    act = nn.make_activation("celu", alpha=alpha)
    shortcut = act.grad(z, A.celu(z, alpha=alpha))
    eps = np.finfo(np.float64).eps
    np.testing.assert_allclose(
        shortcut, A.celu_grad(z, alpha=alpha), rtol=4 * eps, atol=2 * eps
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_saturating_shortcuts_equal_the_library_grads(name, dtype):
    z = np.linspace(-40, 40, 4001).astype(dtype)
    f, f_grad = ACTIVATIONS[name].f, ACTIVATIONS[name].grad
    shortcut = nn.make_activation(name).grad(z, f(z))
    assert shortcut.dtype == dtype
    eps = np.finfo(dtype).eps
    # 1 - a**2 and a*(1 - a) cancel in the tails: the error is absolute.
    np.testing.assert_allclose(shortcut, f_grad(z), rtol=8 * eps, atol=2 * eps)


@pytest.mark.parametrize("name", NAMES)
def test_each_activation_is_the_library_function_with_the_registrys_init(name):
    spec = ACTIVATIONS[name]
    act = nn.make_activation(name)
    assert act.init == spec.init
    z = np.linspace(-3, 3, 61)
    np.testing.assert_array_equal(act.f(z), spec.f(z))
    np.testing.assert_array_equal(act.f_grad(z), spec.grad(z))


def test_parameters_reach_the_library_function():
    z = np.linspace(-3, 3, 61)
    act = nn.make_activation("leaky_relu", negative_slope=0.2)
    np.testing.assert_array_equal(act.f(z), A.leaky_relu(z, negative_slope=0.2))
    np.testing.assert_array_equal(act.grad(z, act.f(z)), A.leaky_relu_grad(z, 0.2))


# --------------------------------------------------------------------------
# Shapes, initialisation, dtypes


def test_shapes_of_outputs_gradients_and_history():
    x, y = tiny_batch(n=9, n_in=6, n_classes=4)
    model = nn.MLP(6, [8, 7, 5], 4, activation="relu", seed=0)
    assert model.forward(x).shape == (9, 4)
    assert model.predict(x).shape == (9,)
    model.loss_and_gradients(x, y)
    assert [g.shape for g in model.grads] == [p.shape for p in model.params]
    assert [p.shape for p in model.params] == [
        (6, 8),
        (8,),
        (8, 7),
        (7,),
        (7, 5),
        (5,),
        (5, 4),
        (4,),
    ]
    h = nn.train(model, x, y, x, y, epochs=3, batch_size=4, learning_rate=0.01)
    assert h.train_loss.shape == h.test_accuracy.shape == (4,)
    assert h.mean_activation.shape == (4, 3)
    assert h.learning_rate.shape == (3,)


def test_same_seed_same_draws_scaled_by_each_activations_rule():
    he = nn.MLP(64, [128, 128], 10, activation="relu", seed=4)
    glorot = nn.MLP(64, [128, 128], 10, activation="tanh", seed=4)
    for layer_he, layer_gl in zip(he.layers[:-1:2], glorot.layers[:-1:2], strict=True):
        n_in, n_out = layer_he.W.shape
        ratio = np.sqrt(2 / n_in) / np.sqrt(2 / (n_in + n_out))
        np.testing.assert_allclose(layer_he.W, ratio * layer_gl.W, rtol=1e-12)
    # The output layer is Glorot for both.
    np.testing.assert_array_equal(he.layers[-1].W, glorot.layers[-1].W)


def test_he_initialisation_has_the_promised_spread():
    layer = nn.Dense(400, 300, init="he", rng=np.random.default_rng(0))
    assert layer.W.std() == pytest.approx(np.sqrt(2 / 400), rel=0.01)
    assert (layer.b == 0).all()


def test_float32_model_stays_float32():
    x, y = blobs()
    model = nn.MLP(2, [8, 8], 3, activation="elu", seed=0, dtype=np.float32)
    assert model.forward(x).dtype == np.float32
    model.loss_and_gradients(x, y)
    assert all(g.dtype == np.float32 for g in model.grads)


# --------------------------------------------------------------------------
# The loss


def test_softmax_cross_entropy_is_stable_and_matches_the_naive_formula():
    rng = np.random.default_rng(0)
    logits, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    loss, grad = nn.softmax_cross_entropy(logits, y)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.log(p[np.arange(6), y]).mean(), rel=1e-14)
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-16)
    huge, _ = nn.softmax_cross_entropy(logits + 1e300, y)
    assert np.isfinite(huge)
    assert nn.softmax_cross_entropy(np.array([[0.0, -800.0]]), np.array([1]))[0] == 800


# --------------------------------------------------------------------------
# Training


def test_same_seed_gives_identical_training_different_seed_does_not():
    x, y = blobs()

    def run(seed):
        model = nn.MLP(2, [8, 8], 3, activation="elu", seed=seed)
        return nn.train(
            model, x, y, x, y, epochs=4, batch_size=16, learning_rate=0.05, seed=seed
        )

    a, b, c = run(0), run(0), run(1)
    np.testing.assert_array_equal(a.train_loss, b.train_loss)
    np.testing.assert_array_equal(a.mean_activation, b.mean_activation)
    assert not np.array_equal(a.train_loss, c.train_loss)


@pytest.mark.parametrize("name", NAMES)
def test_loss_decreases_on_an_easy_problem(name):
    x, y = blobs()
    model = nn.MLP(2, [16, 16], 3, activation=name, seed=0)
    h = nn.train(model, x, y, x, y, epochs=30, batch_size=10, learning_rate=0.05)
    assert h.train_loss[-1] < 0.5 * h.train_loss[0]
    assert h.test_accuracy[-1] > 0.9


def test_learning_rate_schedule_is_followed():
    x, y = blobs()
    model = nn.MLP(2, [4], 3, activation="tanh", seed=0)
    rates = [0.1, 0.05, 0.0125]
    h = nn.train(model, x, y, x, y, epochs=3, batch_size=30, learning_rate=rates)
    np.testing.assert_array_equal(h.learning_rate, rates)


def test_mean_activation_is_the_hidden_layers_mean():
    x, y = blobs()
    model = nn.MLP(2, [5, 6], 3, activation="relu", seed=0)
    h = nn.train(model, x, y, x, y, epochs=1, batch_size=90, learning_rate=0.01)
    z1 = x @ model.layers[0].W + model.layers[0].b
    a1 = np.maximum(z1, 0)
    a2 = np.maximum(a1 @ model.layers[2].W + model.layers[2].b, 0)
    np.testing.assert_allclose(
        h.mean_activation[-1], [a1.mean(), a2.mean()], rtol=1e-12
    )


def test_divergence_raises_a_clear_error():
    x, y = blobs()
    model = nn.MLP(2, [8, 8], 3, activation="relu", seed=0)
    with pytest.raises(FloatingPointError, match="lower learning_rate"):
        nn.train(
            model, 1e150 * x, y, x, y, epochs=2, batch_size=10, learning_rate=1e150
        )


def test_epochs_to_reach():
    assert nn.epochs_to_reach([3.0, 1.0, 0.5, 0.5], 0.5) == 2
    assert nn.epochs_to_reach(np.array([3.0, 1.0]), 0.1) is None
    assert nn.epochs_to_reach([0.05], 0.1) == 0


# --------------------------------------------------------------------------
# Bad arguments: clear errors that name the argument


X, Y = blobs(n_per_class=4)
# Valid arguments; each bad call below overrides one (or two) of them.
MLP_ARGS = {"n_inputs": 2, "hidden": [3], "n_classes": 3, "activation": "elu"}
DENSE_ARGS = {"n_in": 2, "n_out": 3, "init": "he", "rng": np.random.default_rng(0)}
TRAIN_ARGS = {
    "x_train": X,
    "y_train": Y,
    "x_test": X,
    "y_test": Y,
    "epochs": 1,
    "batch_size": 2,
    "learning_rate": 0.1,
}


def _model():
    return nn.MLP(**MLP_ARGS)


def mlp(**override):
    return lambda: nn.MLP(**{**MLP_ARGS, **override})


def dense(**override):
    return lambda: nn.Dense(**{**DENSE_ARGS, **override})


def train(**override):
    """nn.train of a fresh small model, with ``override`` on valid arguments."""
    return lambda: nn.train(**{"model": _model(), **TRAIN_ARGS, **override})


def test_the_calls_overridden_below_are_valid():
    assert mlp()().forward(X).shape == (len(X), 3)
    assert dense()().W.shape == (2, 3)
    assert train()().train_loss.shape == (2,)


BAD_CALLS = [
    (lambda: nn.make_activation("swish"), ValueError, "activation must be one of"),
    (lambda: nn.make_activation(3), TypeError, "activation must be a string"),
    (lambda: nn.make_activation("relu", alpha=1.0), TypeError, "relu takes"),
    (lambda: nn.make_activation("elu", beta=1.0), TypeError, "elu takes"),
    (lambda: nn.make_activation("elu", alpha=-1.0), ValueError, "alpha"),
    (mlp(n_inputs=0), ValueError, "n_inputs"),
    (mlp(n_inputs=2.0), TypeError, "n_inputs"),
    (mlp(hidden=[3, 0]), ValueError, r"hidden\[1\]"),
    (mlp(hidden=3), TypeError, "hidden"),
    (mlp(n_classes=1), ValueError, "n_classes"),
    (mlp(seed=-1), ValueError, "seed"),
    (mlp(dtype=np.int64), TypeError, "dtype"),
    (dense(init="xavier"), ValueError, "init"),
    (dense(init=-1.0), ValueError, "init must be a finite number > 0"),
    (dense(bias=1), TypeError, "bias must be True or False"),
    (mlp(batch_norm="yes"), TypeError, "batch_norm must be True or False"),
    (mlp(init=True), TypeError, "init must be a real number"),
    (lambda: nn.BatchNorm(0), ValueError, "BatchNorm: n must be >= 1"),
    (lambda: nn.BatchNorm(3, momentum=1.0), ValueError, "momentum must be in"),
    (lambda: nn.BatchNorm(3, eps=0.0), ValueError, "BatchNorm: eps must be"),
    (dense(rng=0), TypeError, "rng"),
    (train(model="model"), TypeError, "model"),
    (train(x_train=X[:, :1]), ValueError, "x_train must have 2 features"),
    (train(x_train=X[0]), ValueError, "x_train must be 2-D"),
    (train(x_train=X.astype(str)), TypeError, "x_train must hold real"),
    (train(x_test=np.full_like(X, np.nan)), ValueError, "x_test holds NaN"),
    (train(y_train=Y[:-1]), ValueError, "y_train must have shape"),
    (train(y_train=Y + 3), ValueError, r"y_train must lie in \[0, 3\)"),
    (train(y_train=Y * 1.0), TypeError, "y_train must hold integer"),
    (train(epochs=0), ValueError, "epochs must be >= 1"),
    (train(epochs=True), TypeError, "epochs must be an integer"),
    (train(batch_size=0), ValueError, "batch_size"),
    (train(learning_rate=0.0), ValueError, "learning_rate"),
    (train(learning_rate="fast"), TypeError, "learning_rate"),
    (train(epochs=2, learning_rate=[0.1]), ValueError, "one rate per epoch"),
    (train(momentum=1.0), ValueError, "momentum"),
    (train(seed=1.5), TypeError, "seed"),
    (lambda: nn.gradient_check(_model(), X, Y, eps=0.0), ValueError, "eps"),
    (lambda: nn.epochs_to_reach([1.0], float("nan")), ValueError, "threshold"),
    (lambda: nn.ActivationLayer("elu"), TypeError, "activation must be an Activation"),
]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    BAD_CALLS,
    ids=[f"{i}-{m}" for i, (_, _, m) in enumerate(BAD_CALLS)],
)
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
