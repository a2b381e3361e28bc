"""elu_lib.nn_batched: many runs on a leading array axis.

The batched trainer must do, run by run, exactly what nn.MLP + nn.train do
alone: the same initial draws, the same batches, the same steps.
"""

from __future__ import annotations

import numpy as np
import pytest

from elu_lib import nn, nn_batched
from elu_lib.registry import NAMES


def data(n=48, n_in=6, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centres = 2 * rng.standard_normal((n_classes, n_in))
    y = rng.integers(0, n_classes, n)
    return centres[y] + rng.standard_normal((n, n_in)), y


X, Y = data()
XV, YV = data(n=20, seed=1)
SEEDS, RATES, INITS = [0, 1, 2, 1], [0.05, 0.1, 0.02, 0.1], ["he", 1.3, "lecun", 1.3]


def train_alone(name, batch_norm, r, dtype=np.float64, **params):
    model = nn.MLP(
        6,
        [7, 7],
        3,
        name,
        seed=SEEDS[r],
        init=INITS[r],
        batch_norm=batch_norm,
        dtype=dtype,
        **params,
    )
    return nn.train(
        model,
        X,
        Y,
        XV,
        YV,
        epochs=3,
        batch_size=16,
        learning_rate=RATES[r],
        momentum=0.5,
        seed=SEEDS[r],
    ), model


def train_together(name, batch_norm, dtype=np.float64, **params):
    runs = nn_batched.MLPRuns(
        6,
        [7, 7],
        3,
        name,
        seeds=SEEDS,
        init=INITS,
        batch_norm=batch_norm,
        dtype=dtype,
        **params,
    )
    history = nn_batched.train_runs(
        runs,
        X,
        Y,
        XV,
        YV,
        XV,
        YV,
        epochs=3,
        batch_size=16,
        learning_rate=RATES,
        momentum=0.5,
    )
    return history, runs


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("name", NAMES)
def test_each_run_is_the_run_trained_alone(name, batch_norm):
    together, runs = train_together(name, batch_norm)
    for r in range(len(SEEDS)):
        alone, model = train_alone(name, batch_norm, r)
        np.testing.assert_allclose(
            together.train_loss[r], alone.train_loss, rtol=1e-10, atol=1e-12
        )
        np.testing.assert_allclose(
            together.test_loss[r], alone.test_loss, rtol=1e-10, atol=1e-12
        )
        np.testing.assert_array_equal(together.test_accuracy[r], alone.test_accuracy)
        np.testing.assert_allclose(
            runs.W[0][r], model.layers[0].W, rtol=1e-10, atol=1e-12
        )
        # nn.train's mean activation is over the training set, as here
        np.testing.assert_allclose(
            together.mean_activation[r], alone.mean_activation, rtol=1e-9, atol=1e-12
        )


def test_float32_runs_stay_close_to_float64():
    low, _ = train_together("elu", False, dtype=np.float32)
    high, _ = train_together("elu", False)
    assert low.train_loss.dtype == np.float32
    np.testing.assert_allclose(low.train_loss, high.train_loss, rtol=1e-4)


def test_the_same_seed_and_settings_give_the_same_run():
    history, _ = train_together("relu", False)
    np.testing.assert_array_equal(history.train_loss[1], history.train_loss[3])
    assert not np.array_equal(history.train_loss[0], history.train_loss[1])


def test_median_unit_mean_is_the_median_of_each_units_mean():
    runs = nn_batched.MLPRuns(6, [5, 4], 3, "elu", seeds=[0, 3])
    probe = X[:10]
    history = nn_batched.train_runs(
        runs,
        X,
        Y,
        XV,
        YV,
        XV,
        YV,
        epochs=1,
        batch_size=8,
        learning_rate=0.1,
        probe=probe,
    )
    for r, seed in enumerate([0, 3]):
        single = nn.MLP(6, [5, 4], 3, "elu", seed=seed)
        nn.train(
            single,
            X,
            Y,
            XV,
            YV,
            epochs=1,
            batch_size=8,
            learning_rate=0.1,
            momentum=0.0,
            seed=seed,
        )
        single.forward(probe)
        expected = [np.median(la.output.mean(axis=0)) for la in single.hidden_layers]
        np.testing.assert_allclose(history.median_unit_mean[r, -1], expected)


def test_median_differs_from_the_mean_when_units_differ():
    # One unit far above the others moves the mean, not the median.
    unit_means = np.array([[0.0, 0.1, 0.2, 5.0]])
    assert np.median(unit_means, axis=1)[0] == pytest.approx(0.15)
    assert unit_means.mean() > 1


def test_a_diverging_run_is_marked_and_leaves_the_others_alone():
    runs = nn_batched.MLPRuns(6, [7, 7], 3, "relu", seeds=[0, 0])
    history = nn_batched.train_runs(
        runs, X, Y, XV, YV, XV, YV, epochs=2, batch_size=16, learning_rate=[0.05, 1e300]
    )
    assert history.diverged.tolist() == [False, True]
    assert np.isnan(history.train_loss[1, -1])
    alone = nn.train(
        nn.MLP(6, [7, 7], 3, "relu", seed=0),
        X,
        Y,
        XV,
        YV,
        epochs=2,
        batch_size=16,
        learning_rate=0.05,
        momentum=0.0,
    )
    np.testing.assert_allclose(history.train_loss[0], alone.train_loss, rtol=1e-10)


def test_learning_rate_schedule_per_run():
    runs = nn_batched.MLPRuns(6, [4], 3, "tanh", seeds=[0, 1])
    schedule = np.array([[0.1, 0.05], [0.2, 0.0001]])
    history = nn_batched.train_runs(
        runs, X, Y, XV, YV, XV, YV, epochs=2, batch_size=16, learning_rate=schedule
    )
    np.testing.assert_array_equal(history.learning_rate, schedule)


def test_held_out_every_skips_validation_and_test_in_between():
    runs = nn_batched.MLPRuns(6, [4], 3, "elu", seeds=[0, 1])
    full = nn_batched.MLPRuns(6, [4], 3, "elu", seeds=[0, 1])
    args = dict(epochs=5, batch_size=16, learning_rate=0.1)
    sparse = nn_batched.train_runs(runs, X, Y, XV, YV, XV, YV, held_out_every=2, **args)
    every = nn_batched.train_runs(full, X, Y, XV, YV, XV, YV, **args)
    kept = [0, 2, 4, 5]  # before training, every 2nd epoch and the last
    np.testing.assert_array_equal(sparse.val_loss[:, kept], every.val_loss[:, kept])
    assert np.isnan(sparse.test_accuracy[:, [1, 3]]).all()
    np.testing.assert_array_equal(sparse.train_loss, every.train_loss)


def test_softmax_cross_entropy_runs_matches_the_single_run_loss():
    rng = np.random.default_rng(2)
    logits, y = rng.standard_normal((3, 5, 4)), rng.integers(0, 4, (3, 5))
    loss, grad = nn_batched.softmax_cross_entropy_runs(logits, y)
    for r in range(3):
        one_loss, one_grad = nn.softmax_cross_entropy(logits[r], y[r])
        assert loss[r] == pytest.approx(one_loss, rel=1e-14)
        np.testing.assert_allclose(grad[r], one_grad, rtol=1e-13, atol=1e-16)


def runs(**override):
    args = dict(n_inputs=6, hidden=[4], n_classes=3, activation="elu", seeds=[0, 1])
    return lambda: nn_batched.MLPRuns(**{**args, **override})


def train(**override):
    args = dict(
        model=runs()(),
        x_train=X,
        y_train=Y,
        x_val=XV,
        y_val=YV,
        x_test=XV,
        y_test=YV,
        epochs=1,
        batch_size=8,
        learning_rate=0.1,
    )
    return lambda: nn_batched.train_runs(**{**args, **override})


def test_the_calls_overridden_below_are_valid():
    assert runs()().n_runs == 2
    assert train()().train_loss.shape == (2, 2)


BAD_CALLS = [
    (runs(seeds=[]), ValueError, "MLPRuns: seeds must hold at least one seed"),
    (runs(seeds=3), TypeError, "MLPRuns: seeds must be a sequence"),
    (runs(seeds=[0, -1]), ValueError, r"MLPRuns: seeds\[1\] must be >= 0"),
    (runs(init=["he"]), ValueError, r"init must give one initialisation per run \(2\)"),
    (runs(init="xavier"), ValueError, "MLPRuns: init must be one of"),
    (runs(init=[1.0, 0.0]), ValueError, "MLPRuns: init must be a finite number > 0"),
    (runs(batch_norm=1), TypeError, "batch_norm must be True or False"),
    (runs(activation="swish"), ValueError, "activation must be one of"),
    (runs(hidden=[0]), ValueError, r"hidden\[0\]"),
    (runs(dtype=np.int32), TypeError, "dtype must be a float dtype"),
    (train(model="m"), TypeError, "train_runs: model must be an MLPRuns"),
    (train(x_val=X[:, :2]), ValueError, "x_val must have 6 features"),
    (train(y_test=YV + 5), ValueError, "y_test must lie in"),
    (train(probe=X[:, :2]), ValueError, "probe must have 6 features"),
    (train(epochs=0), ValueError, "train_runs: epochs must be >= 1"),
    (train(learning_rate=[0.1, 0.1, 0.1]), ValueError, "one per run"),
    (train(learning_rate=[0.1, -0.1]), ValueError, "learning_rate must be finite"),
    (train(momentum=1.0), ValueError, "train_runs: momentum"),
    (train(held_out_every=0), ValueError, "held_out_every must be >= 1"),
]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    BAD_CALLS,
    ids=[f"{i}-{m[:30]}" for i, (_, _, m) in enumerate(BAD_CALLS)],
)
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def awkward_inputs(dtype):
    """Values that stress the kernels: zeros, tiny, huge, tails, NaN, inf."""
    rng = np.random.default_rng(5)
    spread = rng.standard_normal(200_000) * 10.0 ** rng.uniform(-3, 2.3, 200_000)
    special = [0.0, -0.0, 1e-45, -1e-45, 1e-30, -1e-30, 88.0, -88.0, -103.5]
    special += [-104.0, 1e30, -1e30, np.inf, -np.inf, np.nan]
    with np.errstate(over="ignore"):
        return np.concatenate([spread, special]).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "name, params",
    [(n, {}) for n in NAMES] + [("celu", {"alpha": a}) for a in (0.5, 0.25, 0.3, 2.0)],
)
def test_the_activation_is_the_librarys_bit_for_bit(name, params, dtype):
    # MLPRuns computes float32 CELU its own way (faster); every activation
    # must still give exactly elu_lib's values, -0 and NaN included.
    act = nn.make_activation(name, **params)
    runs = nn_batched.MLPRuns(2, [3], 2, name, seeds=[0], dtype=dtype, **params)
    z = awkward_inputs(dtype)
    with np.errstate(all="ignore"):
        a = act.f(z)
        fast_a = runs._f(z)
        assert fast_a.dtype == a.dtype
        np.testing.assert_array_equal(fast_a, a, strict=True)
        assert np.array_equal(np.signbit(fast_a), np.signbit(a))


@pytest.mark.parametrize("batch_norm", [False, True])
def test_evaluate_is_the_evaluation_forward_pass(batch_norm):
    runs = train_together("elu", batch_norm)[1]
    logits, unit_means = runs.evaluate(X)
    np.testing.assert_array_equal(logits, runs.forward(X), strict=True)
    for means, outputs in zip(unit_means, runs.hidden_outputs, strict=True):
        np.testing.assert_array_equal(means, outputs.mean(axis=1), strict=True)


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("name", NAMES)
def test_batched_gradient_check_is_nn_gradient_check(name, batch_norm):
    model = nn.MLP(6, [5, 4], 3, name, seed=2, batch_norm=batch_norm)
    x, y = X[:6], Y[:6]
    single = nn.gradient_check(model, x, y, eps=1e-5)
    stats = [la.running_mean.copy() for la in model.layers if hasattr(la, "eps")]
    batched = nn_batched.gradient_check(model, x, y, eps=1e-5, chunk=7)
    assert batched == pytest.approx(single, rel=1e-6, abs=1e-12)
    after = [la.running_mean for la in model.layers if hasattr(la, "eps")]
    assert all(np.array_equal(a, b) for a, b in zip(stats, after, strict=True))


def test_batched_gradient_check_sees_a_wrong_gradient():
    model = nn.MLP(6, [5, 4], 3, "elu", seed=2)
    wrong = nn.Activation(
        "elu", f=model.activation.f, f_grad=lambda z: 0.0 * z, init="he"
    )
    for layer in model.hidden_layers:
        layer.activation = wrong
    assert nn_batched.gradient_check(model, X[:6], Y[:6]) > 1e-3


def test_batched_gradient_check_rejects_what_is_not_an_mlp():
    with pytest.raises(TypeError, match="gradient_check: model must be an MLP"):
        nn_batched.gradient_check("model", X, Y)
