r"""Many training runs at once: the :mod:`elu_lib.nn` network with a run axis.

A controlled experiment trains the same network many times: several seeds,
learning rates and initialisations. Looping over the runs calls NumPy once
per run per layer per step; here every array gets a leading **run axis** of
length ``R`` instead, so one NumPy call advances every run:

- weights ``W[l]`` of shape ``(R, n_in, n_out)``, biases ``(R, n_out)``;
- activations ``(R, batch, n)``; each run draws its own batches;
- a learning rate per run, shape ``(R,)``, or a schedule, ``(R, epochs)``.

Run ``r`` is exactly the network ``nn.MLP(..., seed=seeds[r])`` trained by
``nn.train(..., seed=seeds[r])``: the same initial draws, the same batch
order, the same arithmetic (up to rounding in the matrix products, which
BLAS may order differently). One batched call shares the activation and the
architecture; the seed, the learning rate and the initialisation vary.

Forward, for hidden layer :math:`l` of run :math:`r` (``@`` is a batched
matrix product over the run axis),

.. math::

   z = x W_r + b_r \;\; (\text{or } \mathrm{BN}_r(x W_r)),\qquad a = f(z),

and the backward pass is :mod:`elu_lib.nn`'s, written out with the run axis:
:math:`\partial L/\partial W_r = x_r^\top g_r`, :math:`\partial L/\partial
x_r = g_r W_r^\top`, :math:`\partial L/\partial z = \partial L/\partial a
\cdot f'(z)`, and BatchNorm's as in :class:`elu_lib.nn.BatchNorm`.

Each run records, before training and after every epoch (evaluation mode,
BatchNorm on its running averages): the loss on the whole training set and
on the validation set, the test accuracy, and for every hidden layer the
**median over units of each unit's mean activation** on a fixed probe set,
the statistic of Clevert et al. (2016) for bias shift.

Examples
--------
>>> import numpy as np
>>> from elu_lib import nn_batched
>>> rng = np.random.default_rng(0)
>>> x, y = rng.standard_normal((40, 5)), rng.integers(0, 3, 40)
>>> runs = nn_batched.MLPRuns(5, [8, 8], 3, "elu", seeds=[0, 1, 0],
...                           init=["he", "he", 1.0])
>>> h = nn_batched.train_runs(runs, x, y, x, y, x, y, epochs=4,
...                           batch_size=10, learning_rate=[0.05, 0.05, 0.1])
>>> h.train_loss.shape, h.median_unit_mean.shape  # (runs, epochs + 1, layers)
((3, 5), (3, 5, 2))
>>> bool((h.train_loss[:, -1] < h.train_loss[:, 0]).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from elu_lib._checks import integer, real
from elu_lib.nn import (
    MLP,
    BatchNorm,
    Dense,
    _check_features,
    _check_labels,
    make_activation,
    weight_variance,
)

__all__ = [
    "MLPRuns",
    "RunsHistory",
    "gradient_check",
    "softmax_cross_entropy_runs",
    "train_runs",
]


def _per_run_inits(init, n_runs: int, default: str) -> list:
    """``init`` (None, one name or variance, or one per run) as a list."""
    if init is None:
        return [default] * n_runs
    if isinstance(init, str) or not isinstance(init, Sequence | np.ndarray):
        return [init] * n_runs
    inits = list(init)
    if len(inits) != n_runs:
        raise ValueError(
            f"MLPRuns: init must give one initialisation per run ({n_runs}), "
            f"got {len(inits)}"
        )
    return inits


# A faster kernel with the library's exact values, for float32 CELU with alpha
# a power of two: it returns, element for element, what elu_lib returns (the
# tests check it bit for bit), in about a third of the time. (Sigmoid's fast
# float32 path is the library's own.)


def _fast_forward(activation, dtype):
    """A faster ``activation.f`` in float32 for CELU with ``alpha`` a power of
    two at most 1; ``None`` otherwise.

    alpha * ELU_1(z / alpha), where both scalings are exact and the
    library's float64 intermediate for CELU is exactly alpha times ELU's
    (the tests check the results bit for bit); the positive side is copied
    from ``z``, since ``z/alpha`` may overflow.
    """
    if dtype != np.float32:
        return None
    alpha = (activation.params or {}).get("alpha", 1.0)
    if activation.name == "celu" and alpha <= 1 and np.frexp(alpha)[0] == 0.5:
        elu = make_activation("elu").f
        alpha32 = np.float32(alpha)

        def celu(z):
            out = elu(z / alpha32)
            out *= alpha32
            np.copyto(out, z, where=z > 0)
            return out

        return celu
    return None


class MLPRuns:
    r"""``R`` multilayer perceptrons of one shape and activation, stacked.

    Parameters
    ----------
    n_inputs, hidden, n_classes, activation
        As for :class:`elu_lib.nn.MLP`.
    seeds : sequence of int
        One per run; run ``r``'s weights are those of
        ``nn.MLP(..., seed=seeds[r])``. Repeating a seed repeats the draws.
    init : str, float or sequence of them, optional
        The hidden layers' initialisation, for all runs or one per run:
        ``"he"``, ``"lecun"``, ``"glorot"`` or a weight variance
        :math:`\sigma_w^2 = n_{in}\operatorname{Var}(W)`. Default: the
        activation's own. The output layer is always Glorot's.
    batch_norm : bool, default False
        A BatchNorm (momentum 0.1, :math:`\epsilon = 10^{-5}`) between each
        hidden dense layer (then without bias) and its activation.
    dtype : numpy float dtype, default float64
    **activation_params : float
        E.g. ``alpha=1.0``.

    Attributes
    ----------
    W, b : list of ndarray
        Per layer, ``(R, n_in, n_out)`` and ``(R, n_out)`` (``b`` is
        ``None`` for a hidden layer followed by BatchNorm).
    gamma, beta, running_mean, running_var : list of ndarray
        Per hidden layer, ``(R, n)``; empty lists without BatchNorm.

    Examples
    --------
    >>> from elu_lib import nn
    >>> runs = MLPRuns(4, [6], 3, "tanh", seeds=[0, 7])
    >>> [w.shape for w in runs.W]
    [(2, 4, 6), (2, 6, 3)]
    >>> single = nn.MLP(4, [6], 3, "tanh", seed=7)
    >>> bool(np.array_equal(runs.W[0][1], single.layers[0].W))
    True
    >>> MLPRuns(4, [6], 3, "tanh", seeds=[])
    Traceback (most recent call last):
    ...
    ValueError: MLPRuns: seeds must hold at least one seed, got []
    """

    def __init__(
        self,
        n_inputs: int,
        hidden: Sequence[int],
        n_classes: int,
        activation: str = "elu",
        *,
        seeds: Sequence[int],
        init=None,
        batch_norm: bool = False,
        dtype=np.float64,
        **activation_params: float,
    ) -> None:
        self.n_inputs = integer("MLPRuns", "n_inputs", n_inputs, 1)
        self.n_classes = integer("MLPRuns", "n_classes", n_classes, 2)
        if isinstance(hidden, str) or not isinstance(hidden, Sequence):
            raise TypeError(
                "MLPRuns: hidden must be a sequence of ints, "
                f"got {type(hidden).__name__}"
            )
        widths = [
            integer("MLPRuns", f"hidden[{i}]", w, 1) for i, w in enumerate(hidden)
        ]
        if isinstance(seeds, str) or not isinstance(seeds, Sequence | np.ndarray):
            raise TypeError(
                f"MLPRuns: seeds must be a sequence of ints, got {type(seeds).__name__}"
            )
        if len(seeds) == 0:
            raise ValueError(
                f"MLPRuns: seeds must hold at least one seed, got {list(seeds)}"
            )
        self.seeds = [
            integer("MLPRuns", f"seeds[{i}]", s, 0) for i, s in enumerate(seeds)
        ]
        if not isinstance(batch_norm, bool):
            raise TypeError(
                f"MLPRuns: batch_norm must be True or False, got {batch_norm!r}"
            )
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"MLPRuns: dtype must be a float dtype, got {dtype}")
        self.dtype, self.batch_norm = dtype, batch_norm
        self.activation = make_activation(activation, **activation_params)
        self._f = _fast_forward(self.activation, dtype) or self.activation.f
        n_runs = len(self.seeds)
        inits = _per_run_inits(init, n_runs, self.activation.init)
        sizes = [self.n_inputs, *widths, self.n_classes]
        shapes = list(zip(sizes[:-1], sizes[1:], strict=True))
        # Per layer, each run's weight variance (the output layer: Glorot).
        variances = [
            [weight_variance("MLPRuns", i, *shape) for i in inits]
            for shape in shapes[:-1]
        ] + [[weight_variance("MLPRuns", "glorot", *shapes[-1])] * n_runs]
        # The same draws, in the same order, as nn.MLP(seed=seeds[r]).
        draws = [[] for _ in shapes]
        for seed in self.seeds:
            rng = np.random.default_rng(seed)
            for layer, shape in enumerate(shapes):
                draws[layer].append(rng.standard_normal(shape))
        self.W = [
            np.stack(
                [
                    (d * np.sqrt(v / n_in)).astype(dtype)
                    for d, v in zip(ds, vs, strict=True)
                ]
            )
            for ds, vs, (n_in, _) in zip(draws, variances, shapes, strict=True)
        ]
        last = len(shapes) - 1
        self.b = [
            None if (batch_norm and k < last) else np.zeros((n_runs, n), dtype)
            for k, (_, n) in enumerate(shapes)
        ]
        norm_widths = widths if batch_norm else []
        self.gamma = [np.ones((n_runs, n), dtype) for n in norm_widths]
        self.beta = [np.zeros((n_runs, n), dtype) for n in norm_widths]
        self.running_mean = [np.zeros((n_runs, n), dtype) for n in norm_widths]
        self.running_var = [np.ones((n_runs, n), dtype) for n in norm_widths]

    @property
    def n_runs(self) -> int:
        """``R``, the length of the run axis."""
        return len(self.seeds)

    @property
    def params(self) -> list[np.ndarray]:
        """Every trainable array (run axis first), in a fixed order."""
        biases = [b for b in self.b if b is not None]
        return [*self.W, *biases, *self.gamma, *self.beta]

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Logits ``(R, N, classes)`` for ``x`` of shape ``(N, n_inputs)``
        (the same rows for every run) or ``(R, N, n_inputs)``.

        Keeps what the backward pass needs, and each hidden layer's output in
        :attr:`hidden_outputs`.
        """
        self._inputs, self._z, self._x_hat, self._inv_std = [], [], [], []
        self.hidden_outputs = []
        out = np.asarray(x, dtype=self.dtype)
        f = self._f
        for layer, (w, b) in enumerate(zip(self.W, self.b, strict=True)):
            self._inputs.append(out)
            z = out @ w  # (R, N, n_out); (N, n_in) @ (R, n_in, n_out) broadcasts
            if b is not None:
                z = z + b[:, None, :]
            if layer == len(self.W) - 1:
                return z
            if self.batch_norm:
                z = self._batch_norm_forward(layer, z, training)
            self._z.append(z)
            out = f(z)
            self.hidden_outputs.append(out)
        raise AssertionError("unreachable")  # pragma: no cover

    def _batch_norm_forward(self, k: int, z: np.ndarray, training: bool):
        if training:
            mean, var = z.mean(axis=1), z.var(axis=1)  # over the batch
            for running, batch in ((self.running_mean, mean), (self.running_var, var)):
                running[k] *= 0.9
                running[k] += 0.1 * batch
        else:
            mean, var = self.running_mean[k], self.running_var[k]
        y, x_hat, inv_std = self._normalise(k, z, mean, var)
        self._training = training
        self._x_hat.append(x_hat)
        self._inv_std.append(inv_std)
        return y

    def _normalise(self, k: int, z: np.ndarray, mean, var):
        inv_std = 1.0 / np.sqrt(var[:, None, :] + 1e-5)
        x_hat = (z - mean[:, None, :]) * inv_std
        return (
            self.gamma[k][:, None, :] * x_hat + self.beta[k][:, None, :],
            x_hat,
            inv_std,
        )

    def evaluate(self, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Logits ``(R, N, classes)`` in evaluation mode, and each hidden
        layer's per-unit mean activation over the rows, ``(R, n)`` per layer.

        The same arithmetic as :meth:`forward` (``training=False``), but
        nothing is kept for a backward pass: each layer's arrays are freed
        before the next layer's are made. On the whole training set that
        keeps memory small and halves the time, which otherwise goes to
        the operating system handing the freed pages back (measured: 19 ms
        against 42 ms for 30 runs of the chapter's network).

        Examples
        --------
        >>> runs = MLPRuns(3, [5, 4], 2, "elu", seeds=[0, 1])
        >>> x = np.random.default_rng(0).standard_normal((6, 3))
        >>> logits, unit_means = runs.evaluate(x)
        >>> bool(np.array_equal(logits, runs.forward(x)))
        True
        >>> [m.shape for m in unit_means]
        [(2, 5), (2, 4)]
        """
        out = np.asarray(x, dtype=self.dtype)
        unit_means = []
        last = len(self.W) - 1
        for layer, (w, b) in enumerate(zip(self.W, self.b, strict=True)):
            z = out @ w
            if b is not None:
                z += b[:, None, :]  # in place: the same sum as z + b
            if layer == last:
                return z, unit_means
            if self.batch_norm:
                k = layer
                z = self._normalise(k, z, self.running_mean[k], self.running_var[k])[0]
            out = self._f(z)
            del z
            unit_means.append(out.mean(axis=1))
        raise AssertionError("unreachable")  # pragma: no cover

    def backward(self, grad_logits: np.ndarray) -> list[np.ndarray]:
        """Gradients of every run's loss, in the order of :attr:`params`."""
        n_layers = len(self.W)
        grad_w, grad_b = [None] * n_layers, [None] * n_layers
        grad_gamma, grad_beta = [], []
        g = grad_logits
        for layer in reversed(range(n_layers)):
            if layer < n_layers - 1:  # through f, then BatchNorm
                a = self.hidden_outputs[layer]
                g = g * self.activation.grad(self._z[layer], a)
                if self.batch_norm:
                    g, dgamma, dbeta = self._batch_norm_backward(layer, g)
                    grad_gamma.insert(0, dgamma)
                    grad_beta.insert(0, dbeta)
            x = self._inputs[layer]
            x_t = np.swapaxes(x, -1, -2)  # (R, n_in, N), or (n_in, N) if shared
            grad_w[layer] = x_t @ g
            grad_b[layer] = g.sum(axis=1)
            if layer > 0:
                g = g @ np.swapaxes(self.W[layer], -1, -2)
        biases = [gb for gb, b in zip(grad_b, self.b, strict=True) if b is not None]
        return [*grad_w, *biases, *grad_gamma, *grad_beta]

    def _batch_norm_backward(self, k: int, g: np.ndarray):
        x_hat, inv_std = self._x_hat[k], self._inv_std[k]
        dgamma, dbeta = (g * x_hat).sum(axis=1), g.sum(axis=1)
        d = g * self.gamma[k][:, None, :]
        if self._training:  # the batch's mean and variance depend on z too
            d = d - d.mean(axis=1, keepdims=True)
            d = d - x_hat * (d * x_hat).mean(axis=1, keepdims=True)
        return d * inv_std, dgamma, dbeta


def softmax_cross_entropy_runs(
    logits: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`elu_lib.nn.softmax_cross_entropy` for every run at once.

    Parameters
    ----------
    logits : ndarray, shape (R, N, classes)
    y : ndarray of int, shape (N,) or (R, N)

    Returns
    -------
    loss : ndarray, shape (R,)
        Each run's mean cross-entropy.
    grad : ndarray, shape (R, N, classes)

    Examples
    --------
    >>> loss, grad = softmax_cross_entropy_runs(
    ...     np.array([[[1000.0, 0.0]], [[0.0, 0.0]]]), np.array([1]))
    >>> loss.round(4)
    array([1.000e+03, 6.931e-01])
    """
    n = logits.shape[1]
    y = np.broadcast_to(y, logits.shape[:2])[..., None]
    shifted = logits - logits.max(axis=2, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    loss = -np.take_along_axis(log_probs, y, axis=2)[..., 0].mean(axis=1)
    grad = np.exp(log_probs)
    np.put_along_axis(grad, y, np.take_along_axis(grad, y, axis=2) - 1.0, axis=2)
    return loss, grad / n


@dataclass
class RunsHistory:
    """What :func:`train_runs` records, per run, at epoch 0 (before training)
    and after every epoch: each array has ``epochs + 1`` columns.

    Attributes
    ----------
    train_loss, val_loss, test_loss : ndarray, shape (R, epochs + 1)
        Mean cross-entropy on the whole training, validation and test set.
    test_accuracy : ndarray, shape (R, epochs + 1)
    median_unit_mean : ndarray, shape (R, epochs + 1, hidden layers)
        For each hidden layer, each unit's mean activation over the probe
        set, then the median over the layer's units.
    mean_activation : ndarray, shape (R, epochs + 1, hidden layers)
        The mean over the probe set and all the layer's units.
    diverged : ndarray of bool, shape (R,)
        True for a run whose loss overflowed to inf or NaN; its records from
        then on are NaN.
    learning_rate : ndarray, shape (R, epochs)
    """

    train_loss: np.ndarray
    val_loss: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    median_unit_mean: np.ndarray
    mean_activation: np.ndarray
    diverged: np.ndarray
    learning_rate: np.ndarray


def _learning_rates(learning_rate, n_runs: int, epochs: int) -> np.ndarray:
    rates = np.asarray(learning_rate, dtype=float)
    if rates.ndim == 1:
        rates = rates[:, None]
    try:
        rates = np.broadcast_to(rates, (n_runs, epochs))
    except ValueError:
        raise ValueError(
            "train_runs: learning_rate must be a number, one per run "
            f"({n_runs},) or (runs, epochs) = ({n_runs}, {epochs}), "
            f"got shape {np.shape(learning_rate)}"
        ) from None
    if not (np.isfinite(rates).all() and (rates > 0).all()):
        raise ValueError(
            f"train_runs: learning_rate must be finite and > 0, got {rates.min()!r}"
        )
    return rates


def train_runs(
    model: MLPRuns,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    learning_rate,
    momentum: float = 0.0,
    probe: np.ndarray | None = None,
    held_out_every: int = 1,
) -> RunsHistory:
    r"""Train every run of ``model`` in place by minibatch SGD (with momentum).

    Run ``r`` draws its batch order from ``np.random.default_rng(seeds[r])``,
    as :func:`elu_lib.nn.train` does, and takes the step
    :math:`v \leftarrow \mu v + g`, :math:`\theta \leftarrow \theta - \eta_r v`
    with its own rate :math:`\eta_r`.

    Parameters
    ----------
    model : MLPRuns
    x_train, y_train, x_val, y_val, x_test, y_test : ndarray
        Features ``(N, n_inputs)`` and integer labels ``(N,)``; the same
        data for every run.
    epochs, batch_size : int
        At least 1.
    learning_rate : float or array
        One rate for all, one per run ``(R,)``, or ``(R, epochs)``.
    momentum : float, default 0
        In ``[0, 1)``.
    probe : ndarray, optional
        The fixed inputs on which mean activations are measured. Default:
        the training set.
    held_out_every : int, default 1
        Evaluate the validation and test sets before training, after every
        ``held_out_every``-th epoch and after the last one; their records
        are NaN in between. (Saves time when only the end is needed.)

    Returns
    -------
    RunsHistory

    Examples
    --------
    >>> x = np.array([[0.0, 1.0], [1.0, 0.0]] * 8)
    >>> y = np.array([0, 1] * 8)
    >>> runs = MLPRuns(2, [4, 4], 2, "relu", seeds=[0, 1])
    >>> h = train_runs(runs, x, y, x, y, x, y, epochs=20, batch_size=4,
    ...                learning_rate=[0.1, 1e300])
    >>> h.test_accuracy[:, -1], h.diverged
    (array([ 1., nan]), array([False,  True]))
    """
    if not isinstance(model, MLPRuns):
        raise TypeError(
            f"train_runs: model must be an MLPRuns, got {type(model).__name__}"
        )
    n_in, n_classes, n_runs = model.n_inputs, model.n_classes, model.n_runs
    data = {}
    for name, x, y in (
        ("train", x_train, y_train),
        ("val", x_val, y_val),
        ("test", x_test, y_test),
    ):
        x = _check_features("train_runs", f"x_{name}", x, n_in)
        y = _check_labels("train_runs", f"y_{name}", y, len(x), n_classes)
        if len(x) == 0:
            raise ValueError(f"train_runs: x_{name} must hold at least one sample")
        data[name] = (x.astype(model.dtype, copy=False), y)
    if probe is not None:
        probe = _check_features("train_runs", "probe", probe, n_in)
        probe = probe.astype(model.dtype, copy=False)
    epochs = integer("train_runs", "epochs", epochs, 1)
    batch_size = integer("train_runs", "batch_size", batch_size, 1)
    momentum = real("train_runs", "momentum", momentum, low=0.0, high=1.0, closed=True)
    rates = _learning_rates(learning_rate, n_runs, epochs)
    every = integer("train_runs", "held_out_every", held_out_every, 1)

    x_tr, y_tr = data["train"]
    order_rngs = [np.random.default_rng(seed) for seed in model.seeds]
    velocity = [np.zeros_like(p) for p in model.params]
    diverged = np.zeros(n_runs, dtype=bool)
    records = []

    def stats(unit_means):
        median = np.stack([np.median(m, axis=1) for m in unit_means], axis=1)
        return median, np.stack([m.mean(axis=1) for m in unit_means], axis=1)

    def held_out() -> list[np.ndarray]:
        (x_val, y_val), (x_test, y_test) = data["val"], data["test"]
        val_loss, _ = softmax_cross_entropy_runs(model.evaluate(x_val)[0], y_val)
        test_logits = model.evaluate(x_test)[0]
        test_loss, _ = softmax_cross_entropy_runs(test_logits, y_test)
        accuracy = (test_logits.argmax(axis=2) == y_test).mean(axis=1)
        return [val_loss, test_loss, accuracy]

    def record(epoch: int) -> None:
        logits, unit_means = model.evaluate(x_tr)
        train_loss, _ = softmax_cross_entropy_runs(logits, y_tr)
        del logits
        if probe is not None:
            unit_means = model.evaluate(probe)[1]
        if epoch % every == 0 or epoch == epochs:
            val_loss, test_loss, accuracy = held_out()
        else:
            val_loss, test_loss, accuracy = np.full((3, n_runs), np.nan)
        diverged[~np.isfinite(train_loss)] = True
        row = [train_loss, val_loss, test_loss, accuracy, *stats(unit_means)]
        for values in row:
            values[diverged] = np.nan
        records.append(row)

    # A run whose rate is too large overflows; it is marked as diverged and
    # its NaNs stay in its own slice of every array (the runs never mix).
    with np.errstate(all="ignore"):
        record(0)
        for epoch in range(epochs):
            order = np.stack([rng.permutation(len(x_tr)) for rng in order_rngs])
            rate = rates[:, epoch]
            for start in range(0, len(x_tr), batch_size):
                batch = order[:, start : start + batch_size]  # (R, B)
                logits = model.forward(x_tr[batch], training=True)
                _, grad_logits = softmax_cross_entropy_runs(logits, y_tr[batch])
                grads = model.backward(grad_logits)
                for p, g, v in zip(model.params, grads, velocity, strict=True):
                    v *= momentum
                    v += g
                    p -= rate.reshape(-1, *[1] * (p.ndim - 1)).astype(p.dtype) * v
            record(epoch + 1)

    columns = [np.stack(c, axis=1) for c in zip(*records, strict=True)]
    train_loss, val_loss, test_loss, accuracy, median, mean = columns
    return RunsHistory(
        train_loss=train_loss,
        val_loss=val_loss,
        test_loss=test_loss,
        test_accuracy=accuracy,
        median_unit_mean=median,
        mean_activation=mean,
        diverged=diverged,
        learning_rate=np.array(rates),
    )


def gradient_check(
    model: MLP, x: np.ndarray, y: np.ndarray, eps: float = 1e-6, chunk: int = 1024
) -> float:
    r""":func:`elu_lib.nn.gradient_check`, with the perturbed networks batched.

    The same quantity: ``model``'s backpropagated gradients (``nn``'s
    backward pass, the thing checked) against central differences
    :math:`(L(\theta_k + \epsilon) - L(\theta_k - \epsilon)) / 2\epsilon`,
    compared per parameter array as :math:`\lVert g - \hat g\rVert /
    (\lVert g\rVert + \lVert\hat g\rVert)`, the largest returned. But the
    two perturbed copies of the network for every parameter entry are runs
    of one :class:`MLPRuns`, ``chunk`` entries at a time, so that one
    forward pass (training mode) gives all their losses. The losses agree
    with ``nn``'s up to rounding in the matrix products. The runs rebuild
    the activation from ``model.activation``'s name and parameters, so a
    model with layers of its own (or an altered forward function) needs
    :func:`elu_lib.nn.gradient_check`; an altered derivative is what both
    detect.

    Parameters
    ----------
    model : elu_lib.nn.MLP
        Left unchanged (BatchNorm's running averages are restored).
    x, y : ndarray
        A small batch.
    eps : float, default 1e-6
    chunk : int, default 1024
        Parameter entries per forward pass.

    Examples
    --------
    >>> from elu_lib import nn
    >>> model = nn.MLP(3, [4, 4], 2, activation="elu", seed=0)
    >>> x = np.random.default_rng(1).standard_normal((5, 3))
    >>> y = np.array([0, 1, 1, 0, 1])
    >>> batched = gradient_check(model, x, y)
    >>> bool(batched < 1e-7), bool(abs(batched - nn.gradient_check(model, x, y)) < 1e-9)
    (True, True)
    """
    if not isinstance(model, MLP):
        raise TypeError(
            f"gradient_check: model must be an MLP, got {type(model).__name__}"
        )
    x = _check_features("gradient_check", "x", x, model.n_inputs)
    y = _check_labels("gradient_check", "y", y, len(x), model.n_classes)
    eps = real("gradient_check", "eps", eps, low=0.0)
    chunk = integer("gradient_check", "chunk", chunk, 1)
    dense = [la for la in model.layers if isinstance(la, Dense)]
    norms = [la for la in model.layers if isinstance(la, BatchNorm)]
    if any(la.momentum != 0.1 or la.eps != 1e-5 for la in norms):
        raise ValueError(
            "gradient_check: BatchNorm layers must have momentum 0.1 and eps 1e-5"
        )
    saved_stats = [(la.running_mean.copy(), la.running_var.copy()) for la in norms]
    model.loss_and_gradients(x, y)
    analytic = [g.copy() for g in model.grads]

    runs = MLPRuns(
        model.n_inputs,
        [d.W.shape[1] for d in dense[:-1]],
        model.n_classes,
        model.activation.name,
        seeds=[0],
        batch_norm=bool(norms),
        dtype=model.dtype,
        **(model.activation.params or {}),
    )
    # Each of model.params, and the stacked array of runs that holds it.
    order = {id(p): i for i, p in enumerate(model.params)}
    pairs = []
    for k, la in enumerate(dense):
        pairs += [(la.W, runs.W, k), (la.b, runs.b, k)]
    for k, la in enumerate(norms):
        pairs += [(la.gamma, runs.gamma, k), (la.beta, runs.beta, k)]
    pairs = sorted(
        (t for t in pairs if id(t[0]) in order), key=lambda t: order[id(t[0])]
    )
    if len(pairs) != len(order):  # pragma: no cover
        raise AssertionError("gradient_check: a parameter was not matched")
    entries = [(j, i) for j, (p, _, _) in enumerate(pairs) for i in range(p.size)]
    numeric = [np.zeros_like(p) for p, _, _ in pairs]
    for start in range(0, len(entries), chunk):
        part = entries[start : start + chunk]
        n_runs = 2 * len(part)
        runs.seeds = [0] * n_runs
        for p, stack, k in pairs:
            stack[k] = np.repeat(p[None], n_runs, axis=0)
        for r, (j, i) in enumerate(part):
            p, stack, k = pairs[j]
            flat = p.reshape(-1)
            stack[k][2 * r].reshape(-1)[i] = flat[i] + eps
            stack[k][2 * r + 1].reshape(-1)[i] = flat[i] - eps
        for k in range(len(norms)):  # fresh running averages; unused in training
            runs.running_mean[k] = np.zeros((n_runs, norms[k].gamma.size), model.dtype)
            runs.running_var[k] = np.ones((n_runs, norms[k].gamma.size), model.dtype)
        loss, _ = softmax_cross_entropy_runs(runs.forward(x, training=True), y)
        for r, (j, i) in enumerate(part):
            numeric[j].reshape(-1)[i] = (loss[2 * r] - loss[2 * r + 1]) / (2 * eps)
    worst = 0.0
    for g, n in zip(analytic, numeric, strict=True):
        scale = np.linalg.norm(g) + np.linalg.norm(n)
        if scale > 0:
            worst = max(worst, float(np.linalg.norm(g - n) / scale))
    for la, (mean, var) in zip(norms, saved_stats, strict=True):
        la.running_mean[...], la.running_var[...] = mean, var
    return worst
