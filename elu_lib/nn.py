r"""A small multilayer perceptron in NumPy, written out so that it can be read.

The book trains the same network with ELU, ReLU, Leaky ReLU, Tanh and Sigmoid
and compares them. Everything a reader needs to follow one training step is
here, in a few short pieces:

- :data:`ACTIVATIONS`, a registry from a name (``"elu"``) to the function and
  its derivative in :mod:`elu_lib.activations`, and :func:`make_activation`,
  which binds parameters such as ``alpha``;
- three layers, :class:`Dense` (:math:`x W + b`), :class:`ActivationLayer`
  (:math:`f(z)`) and :class:`BatchNorm`, each with its forward and backward
  pass written out;
- :class:`MLP`, a stack of those layers ending in a linear layer whose outputs
  are the logits, and :func:`softmax_cross_entropy`, the loss;
- :func:`train`, minibatch SGD with momentum and a fixed learning-rate
  schedule, returning a per-epoch :class:`History`;
- :func:`gradient_check`, which compares backpropagation with central finite
  differences.

Backpropagation through ELU
---------------------------
For :math:`z \le 0`, :math:`\mathrm{ELU}_\alpha(z) = \alpha(e^z - 1)` and its
derivative is :math:`\alpha e^z = \mathrm{ELU}_\alpha(z) + \alpha`. The forward
pass has already computed :math:`f(z)`, so the backward pass gets the
derivative with one addition instead of another exponential:

.. math::

   f'(z) = \begin{cases} 1 & z > 0,\\ f(z) + \alpha & z \le 0. \end{cases}

The same trick gives CELU's :math:`f'(z) = f(z)/\alpha + 1` on
:math:`z \le 0`, and the classic :math:`\tanh' = 1 - \tanh^2` and
:math:`\sigma' = \sigma(1 - \sigma)`. It costs accuracy only where the
derivative is tiny: for very negative :math:`z`, :math:`f(z) + \alpha` cancels,
and its absolute error stays at the rounding level of :math:`\alpha` (about
:math:`\alpha \cdot 10^{-16}` in float64) while :math:`\alpha e^z` itself may
be far smaller. Backpropagation multiplies these derivatives into gradients of
ordinary size, so an absolute error at the rounding level is harmless there;
:mod:`elu_lib.activations` keeps full relative precision for other uses.

Examples
--------
>>> import numpy as np
>>> from elu_lib import nn
>>> rng = np.random.default_rng(0)
>>> x, y = rng.standard_normal((40, 5)), rng.integers(0, 3, 40)
>>> model = nn.MLP(5, [8, 8], 3, activation="elu", seed=0)
>>> history = nn.train(model, x, y, x, y, epochs=5, batch_size=10,
...                    learning_rate=0.05, seed=0)
>>> bool(history.train_loss[-1] < history.train_loss[0])
True
>>> history.mean_activation.shape  # (epochs + 1, hidden layers)
(6, 2)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from elu_lib import registry
from elu_lib._checks import integer, real

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "INIT_VARIANCE",
    "weight_variance",
    "Activation",
    "make_activation",
    "Layer",
    "Dense",
    "ActivationLayer",
    "BatchNorm",
    "MLP",
    "softmax_cross_entropy",
    "History",
    "train",
    "evaluate",
    "gradient_check",
    "epochs_to_reach",
]

# name -> (f, f_grad) and name -> weight initialisation, from the registry
# (He et al. 2015 for the rectifier family, Glorot & Bengio 2010 for the
# saturating ones, LeCun's fan-in rule for SELU).
ACTIVATIONS: dict[str, tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]] = {
    name: (spec.f, spec.grad) for name, spec in registry.ACTIVATIONS.items()
}
INITS: dict[str, str] = {name: spec.init for name, spec in registry.ACTIVATIONS.items()}
# name -> the weight variance sigma_w^2 = n_in Var(W) as a function of
# (n_in, n_out): He 2, LeCun 1, Glorot 2 n_in / (n_in + n_out).
INIT_VARIANCE: dict[str, Callable[[int, int], float]] = {
    "he": lambda n_in, n_out: 2.0,
    "glorot": lambda n_in, n_out: 2.0 * n_in / (n_in + n_out),
    "lecun": lambda n_in, n_out: 1.0,
}


def weight_variance(fname: str, init, n_in: int, n_out: int) -> float:
    """The weight variance sigma_w^2 = n_in Var(W) that ``init`` (a name of
    :data:`INIT_VARIANCE`, or a positive number taken as sigma_w^2 itself)
    gives a layer of shape ``(n_in, n_out)``.

    Examples
    --------
    >>> weight_variance("Dense", "glorot", 64, 64), weight_variance("f", 1.44, 3, 2)
    (1.0, 1.44)
    >>> weight_variance("Dense", "xavier", 3, 2)
    Traceback (most recent call last):
    ...
    ValueError: Dense: init must be one of ['glorot', 'he', 'lecun'] or a \
positive weight variance, got 'xavier'
    """
    if isinstance(init, str):
        if init not in INIT_VARIANCE:
            raise ValueError(
                f"{fname}: init must be one of {sorted(INIT_VARIANCE)} or a "
                f"positive weight variance, got {init!r}"
            )
        return INIT_VARIANCE[init](n_in, n_out)
    return real(fname, "init", init, low=0.0)


# --------------------------------------------------------------------------
# Argument checks: elu_lib._checks, plus the two about data, in its style:
# "<function>: <argument> must be ..., got ...".


def _check_features(
    fname: str, name: str, x, n_features: int | None = None
) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype.kind not in "fiu" or x.dtype.kind == "b":
        raise TypeError(f"{fname}: {name} must hold real numbers, got dtype {x.dtype}")
    if x.ndim != 2:
        raise ValueError(
            f"{fname}: {name} must be 2-D (samples, features), got {x.ndim}-D"
        )
    if n_features is not None and x.shape[1] != n_features:
        raise ValueError(
            f"{fname}: {name} must have {n_features} features (columns), "
            f"got {x.shape[1]}"
        )
    if not np.isfinite(x).all():
        raise ValueError(f"{fname}: {name} holds NaN or infinity")
    return x


def _check_labels(
    fname: str, name: str, y, n_samples: int, n_classes: int
) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise TypeError(
            f"{fname}: {name} must hold integer class labels, got {y.dtype}"
        )
    if y.shape != (n_samples,):
        raise ValueError(
            f"{fname}: {name} must have shape ({n_samples},), got {y.shape}"
        )
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"{fname}: {name} must lie in [0, {n_classes}), got {y.min()}..{y.max()}"
        )
    return y


# --------------------------------------------------------------------------
# Activations


@dataclass(frozen=True)
class Activation:
    """An activation function with its parameters bound.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"elu"``.
    f, f_grad : callable
        ``f(z)`` and ``f'(z)``, from :mod:`elu_lib.activations`.
    init : str
        ``"he"``, ``"glorot"`` or ``"lecun"``: how :class:`Dense` layers that
        feed this activation draw their weights.
    grad_from_output : callable or None
        ``(z, a) -> f'(z)`` given ``a = f(z)``; a cheaper route to the
        derivative in the backward pass (ELU's ``f + alpha``, Tanh's
        ``1 - a**2``, Sigmoid's ``a * (1 - a)``). ``None`` means ``f_grad(z)``
        is used.
    params : dict
        The bound parameters, e.g. ``{"alpha": 1.0}``.
    """

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    f_grad: Callable[[np.ndarray], np.ndarray]
    init: str
    grad_from_output: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    params: dict | None = None

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """``f'(z)``, given the forward pass's ``a = f(z)`` as well.

        Examples
        --------
        >>> act = make_activation("elu", alpha=1.0)
        >>> z = np.array([-2.0, 0.0, 3.0])
        >>> np.allclose(act.grad(z, act.f(z)), act.f_grad(z))
        True
        """
        if self.grad_from_output is None:
            return self.f_grad(z)
        return self.grad_from_output(z, a)


def _elu_grad_from_output(z: np.ndarray, a: np.ndarray, alpha: float) -> np.ndarray:
    # alpha * exp(z) = ELU(z) + alpha on z <= 0: one addition, no exp.
    return np.where(z > 0, 1.0, a + alpha).astype(a.dtype, copy=False)


def _celu_grad_from_output(z: np.ndarray, a: np.ndarray, alpha: float) -> np.ndarray:
    # exp(z / alpha) = CELU(z) / alpha + 1 on z <= 0.
    return np.where(z > 0, 1.0, a / alpha + 1.0).astype(a.dtype, copy=False)


def _tanh_grad_from_output(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    # tanh' = 1 - tanh^2.
    return 1.0 - a * a


def _sigmoid_grad_from_output(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    # sigmoid' = sigmoid * (1 - sigmoid).
    return a * (1.0 - a)


_FROM_OUTPUT = {
    "elu": _elu_grad_from_output,
    "celu": _celu_grad_from_output,
    "tanh": _tanh_grad_from_output,
    "sigmoid": _sigmoid_grad_from_output,
}


def make_activation(name: str, **params: float) -> Activation:
    """Look up an activation by name and bind its parameters.

    Parameters
    ----------
    name : str
        A key of :data:`ACTIVATIONS`: ``"elu"``, ``"celu"``, ``"selu"``,
        ``"relu"``, ``"leaky_relu"``, ``"tanh"`` or ``"sigmoid"``.
    **params : float
        The function's own parameters: ``alpha`` for ELU and CELU,
        ``negative_slope`` for Leaky ReLU. Defaults are the library's.

    Returns
    -------
    Activation

    Raises
    ------
    TypeError
        If ``name`` is not a string, or a parameter does not belong to the
        activation.
    ValueError
        If ``name`` is unknown, or a parameter's value is rejected by
        :mod:`elu_lib.activations` (e.g. ``alpha <= 0``).

    Examples
    --------
    >>> act = make_activation("elu", alpha=0.5)
    >>> act.init, act.params
    ('he', {'alpha': 0.5})
    >>> float(act.f(np.array([-50.0]))[0])
    -0.5
    >>> make_activation("swish")
    Traceback (most recent call last):
    ...
    ValueError: activation must be one of ['celu', 'elu', 'leaky_relu', 'relu', \
'selu', 'sigmoid', 'tanh'], got 'swish'
    """
    spec = registry.get(name)  # TypeError/ValueError naming the choices
    f, f_grad = ACTIVATIONS[name]
    accepted = set(spec.params)
    unknown = set(params) - accepted
    if unknown:
        raise TypeError(
            f"{name} takes parameters {sorted(accepted) or 'none'}, "
            f"got {sorted(unknown)}"
        )
    # Let the library validate the values now, not in the middle of training.
    f(np.zeros(1), **params)
    bound = {k: float(v) for k, v in params.items()}
    from_output = _FROM_OUTPUT.get(name)
    if name in ("elu", "celu"):
        alpha = bound.get("alpha", spec.params["alpha"])
        from_output = functools.partial(from_output, alpha=alpha)
    return Activation(
        name=name,
        f=functools.partial(f, **bound),
        f_grad=functools.partial(f_grad, **bound),
        init=INITS[name],
        grad_from_output=from_output,
        params=bound,
    )


# --------------------------------------------------------------------------
# Layers


class Layer:
    """A layer: ``forward`` maps inputs to outputs, ``backward`` maps the loss's
    gradient with respect to the outputs to the gradient with respect to the
    inputs, and stores the gradients of the layer's own parameters in
    ``grads`` (same order as ``params``).

    To add a layer of your own, subclass this and write both passes.
    """

    params: list[np.ndarray]
    grads: list[np.ndarray]

    def __init__(self) -> None:
        self.params, self.grads = [], []

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class Dense(Layer):
    r"""A fully connected layer, :math:`z = x W + b`.

    Backward: with :math:`g = \partial L / \partial z`,
    :math:`\partial L/\partial W = x^\top g`,
    :math:`\partial L/\partial b = \sum_{\text{rows}} g`,
    :math:`\partial L/\partial x = g W^\top`.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths.
    init : {"he", "glorot", "lecun"} or float
        Weights are standard normal draws times :math:`\sqrt{2/n_{in}}` (He),
        :math:`\sqrt{2/(n_{in}+n_{out})}` (Glorot) or :math:`\sqrt{1/n_{in}}`
        (LeCun); a number :math:`\sigma_w^2 > 0` gives
        :math:`\sqrt{\sigma_w^2/n_{in}}` (He is :math:`\sigma_w^2 = 2`).
        Biases start at 0.
    rng : numpy.random.Generator
        Where the weights come from.
    dtype : numpy float dtype, default float64
    bias : bool, default True
        False leaves out :math:`b` (a BatchNorm after the layer would remove
        it anyway: its gradient is exactly 0 there).

    Examples
    --------
    >>> layer = Dense(3, 2, init="he", rng=np.random.default_rng(0))
    >>> x = np.ones((4, 3))
    >>> layer.forward(x).shape, layer.backward(np.ones((4, 2))).shape
    ((4, 2), (4, 3))
    >>> [g.shape for g in layer.grads]
    [(3, 2), (2,)]
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        *,
        init: str | float,
        rng: np.random.Generator,
        dtype=np.float64,
        bias: bool = True,
    ) -> None:
        super().__init__()
        n_in, n_out = (
            integer("Dense", "n_in", n_in, 1),
            integer("Dense", "n_out", n_out, 1),
        )
        variance = weight_variance("Dense", init, n_in, n_out)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"Dense: rng must be a numpy Generator, got {type(rng).__name__}"
            )
        std = np.sqrt(variance / n_in)
        self.W = (rng.standard_normal((n_in, n_out)) * std).astype(dtype)
        if not isinstance(bias, bool):
            raise TypeError(f"Dense: bias must be True or False, got {bias!r}")
        # Without a bias, b stays a constant 0 and is not trained.
        self.b = np.zeros(n_out, dtype=dtype)
        self.params = [self.W, self.b] if bias else [self.W]
        self.grads = [np.zeros_like(p) for p in self.params]

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._x = x
        return x @ self.W + self.b

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        self.grads = [self._x.T @ grad_out, grad_out.sum(axis=0)]
        del self.grads[len(self.params) :]  # no bias: W's gradient only
        return grad_out @ self.W.T


class ActivationLayer(Layer):
    r"""Applies an activation elementwise, :math:`a = f(z)`.

    Backward: :math:`\partial L/\partial z = \partial L/\partial a \cdot f'(z)`,
    with :math:`f'` from :meth:`Activation.grad` (for ELU, :math:`f(z) +
    \alpha` on :math:`z \le 0`). The last input and output are kept in ``z``
    and ``output``, so a training loop can record mean activations.

    Examples
    --------
    >>> layer = ActivationLayer(make_activation("relu"))
    >>> layer.forward(np.array([[-1.0, 2.0]]))
    array([[0., 2.]])
    >>> layer.backward(np.array([[5.0, 5.0]]))
    array([[0., 5.]])
    """

    def __init__(self, activation: Activation) -> None:
        super().__init__()
        if not isinstance(activation, Activation):
            raise TypeError(
                "ActivationLayer: activation must be an Activation "
                "(see make_activation), "
                f"got {type(activation).__name__}"
            )
        self.activation = activation

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self.z = x
        self.output = self.activation.f(x)
        return self.output

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * self.activation.grad(self.z, self.output)


class BatchNorm(Layer):
    r"""Batch normalisation (Ioffe & Szegedy 2015): each unit (column) is
    standardised over the batch, then scaled and shifted by learnable
    :math:`\gamma` and :math:`\beta`.

    In training, with the batch's mean :math:`\mu` and (biased) variance
    :math:`v` of each column,

    .. math::

       \hat x = (x - \mu)/\sqrt{v + \epsilon},\qquad y = \gamma \hat x + \beta,

    and the running averages move towards the batch's statistics,
    :math:`m \leftarrow (1 - \rho) m + \rho \mu`, likewise for the
    variance (rate :math:`\rho` = ``momentum``; the running variance averages
    the biased batch variances, as Keras does). Evaluation
    (``training=False``) uses the running averages in place of :math:`\mu`
    and :math:`v`, so a prediction does not depend on the rest of its batch.

    Backward (training mode), with :math:`g = \partial L/\partial y` and
    :math:`N` rows: :math:`\partial L/\partial\gamma = \sum g\hat x`,
    :math:`\partial L/\partial\beta = \sum g`, and with
    :math:`d = g\gamma`,

    .. math::

       \frac{\partial L}{\partial x} = \frac{1}{\sqrt{v + \epsilon}}
       \Bigl(d - \overline{d} - \hat x\,\overline{d \hat x}\Bigr),

    where the bars are means over the batch: the two subtracted terms are
    the paths through :math:`\mu` and through :math:`v`. After an
    evaluation-mode forward pass the statistics are constants and
    :math:`\partial L/\partial x = d/\sqrt{v + \epsilon}`.

    Parameters
    ----------
    n : int
        Number of units (columns).
    momentum : float, default 0.1
        Rate :math:`\rho` of the running averages, in (0, 1).
    eps : float, default 1e-5
        :math:`\epsilon`, keeps the division finite for a constant column.
    dtype : numpy float dtype, default float64

    Examples
    --------
    >>> bn = BatchNorm(2)
    >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
    >>> bn.forward(x, training=True).round(3)
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> bn.running_mean  # 0.9 * 0 + 0.1 * batch mean
    array([0.2, 2. ])
    >>> bn.backward(np.ones((2, 2)))  # a shift of all outputs: no gradient
    array([[0., 0.],
           [0., 0.]])
    >>> BatchNorm(2, momentum=0)
    Traceback (most recent call last):
    ...
    ValueError: BatchNorm: momentum must be in (0, 1), got 0.0
    """

    def __init__(
        self, n: int, *, momentum: float = 0.1, eps: float = 1e-5, dtype=np.float64
    ) -> None:
        super().__init__()
        n = integer("BatchNorm", "n", n, 1)
        self.momentum = real("BatchNorm", "momentum", momentum, low=0.0, high=1.0)
        self.eps = real("BatchNorm", "eps", eps, low=0.0)
        self.gamma = np.ones(n, dtype=dtype)
        self.beta = np.zeros(n, dtype=dtype)
        self.running_mean = np.zeros(n, dtype=dtype)
        self.running_var = np.ones(n, dtype=dtype)
        self.params = [self.gamma, self.beta]
        self.grads = [np.zeros_like(self.gamma), np.zeros_like(self.beta)]

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if training:
            mean, var = x.mean(axis=0), x.var(axis=0)
            rho = self.momentum
            self.running_mean *= 1 - rho
            self.running_mean += rho * mean
            self.running_var *= 1 - rho
            self.running_var += rho * var
        else:
            mean, var = self.running_mean, self.running_var
        self._training = training
        self._inv_std = 1.0 / np.sqrt(var + self.eps)
        self._x_hat = (x - mean) * self._inv_std
        return self.gamma * self._x_hat + self.beta

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x_hat = self._x_hat
        self.grads = [(grad_out * x_hat).sum(axis=0), grad_out.sum(axis=0)]
        d = grad_out * self.gamma
        if self._training:  # the batch's mean and variance depend on x too
            d = d - d.mean(axis=0) - x_hat * (d * x_hat).mean(axis=0)
        return d * self._inv_std


class MLP:
    """A multilayer perceptron: ``[Dense, ActivationLayer] * len(hidden)``,
    then a ``Dense`` layer that outputs one logit per class.

    Hidden layers draw their weights with the activation's initialisation
    (:data:`INITS`), the output layer with Glorot's. All standard normal draws
    come from ``np.random.default_rng(seed)`` in the same order, so two
    networks with the same seed and shapes start from the same draws, scaled
    by each activation's rule.

    Parameters
    ----------
    n_inputs : int
        Number of input features.
    hidden : sequence of int
        Width of each hidden layer; may be empty (softmax regression).
    n_classes : int
        Number of classes, at least 2.
    activation : str, default "elu"
        A key of :data:`ACTIVATIONS`.
    seed : int, default 0
        Seed for the weights.
    dtype : numpy float dtype, default float64
    init : str or float, optional
        The hidden layers' initialisation: ``"he"``, ``"lecun"``,
        ``"glorot"`` or a weight variance sigma_w^2 = n_in Var(W) (see
        :class:`Dense`). Default: the activation's own (:data:`INITS`).
    batch_norm : bool, default False
        Put a :class:`BatchNorm` between each hidden dense layer (then
        without bias, since BatchNorm's beta takes its place) and
        its activation.
    **activation_params : float
        E.g. ``alpha=1.0`` for ELU, ``negative_slope=0.01`` for Leaky ReLU.

    Attributes
    ----------
    layers : list of Layer
        In order; insert your own layers here.
    activation : Activation

    Examples
    --------
    >>> model = MLP(64, [32, 32], 10, activation="leaky_relu",
    ...             negative_slope=0.01, seed=1)
    >>> [type(layer).__name__ for layer in model.layers]
    ['Dense', 'ActivationLayer', 'Dense', 'ActivationLayer', 'Dense']
    >>> model.forward(np.zeros((5, 64))).shape
    (5, 10)
    >>> sum(p.size for p in model.params)
    3466
    >>> with_bn = MLP(64, [32], 10, activation="elu", batch_norm=True, init=1.44)
    >>> [type(layer).__name__ for layer in with_bn.layers]
    ['Dense', 'BatchNorm', 'ActivationLayer', 'Dense']
    """

    def __init__(
        self,
        n_inputs: int,
        hidden: Sequence[int],
        n_classes: int,
        activation: str = "elu",
        *,
        seed: int = 0,
        dtype=np.float64,
        init: str | float | None = None,
        batch_norm: bool = False,
        **activation_params: float,
    ) -> None:
        self.n_inputs = integer("MLP", "n_inputs", n_inputs, 1)
        self.n_classes = integer("MLP", "n_classes", n_classes, 2)
        if isinstance(hidden, str) or not isinstance(hidden, Sequence):
            raise TypeError(
                f"MLP: hidden must be a sequence of ints, got {type(hidden).__name__}"
            )
        widths = [integer("MLP", f"hidden[{i}]", w, 1) for i, w in enumerate(hidden)]
        seed = integer("MLP", "seed", seed, 0)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"MLP: dtype must be a float dtype, got {dtype}")
        self.dtype = dtype
        if not isinstance(batch_norm, bool):
            raise TypeError(
                f"MLP: batch_norm must be True or False, got {batch_norm!r}"
            )
        self.activation = make_activation(activation, **activation_params)
        init = self.activation.init if init is None else init
        rng = np.random.default_rng(seed)
        sizes = [self.n_inputs, *widths]
        self.layers: list[Layer] = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            dense = Dense(
                n_in, n_out, init=init, rng=rng, dtype=dtype, bias=not batch_norm
            )
            self.layers.append(dense)
            if batch_norm:
                self.layers.append(BatchNorm(n_out, dtype=dtype))
            self.layers.append(ActivationLayer(self.activation))
        self.layers.append(
            Dense(sizes[-1], self.n_classes, init="glorot", rng=rng, dtype=dtype)
        )

    @property
    def params(self) -> list[np.ndarray]:
        """Every trainable array, layer by layer (updated in place)."""
        return [p for layer in self.layers for p in layer.params]

    @property
    def grads(self) -> list[np.ndarray]:
        """The gradients from the last :meth:`backward`, matching ``params``."""
        return [g for layer in self.layers for g in layer.grads]

    @property
    def hidden_layers(self) -> list[ActivationLayer]:
        """The activation layers, whose ``output`` is each hidden layer's."""
        return [la for la in self.layers if isinstance(la, ActivationLayer)]

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """The logits for a batch ``x`` of shape ``(samples, n_inputs)``."""
        out = np.asarray(x, dtype=self.dtype)
        for layer in self.layers:
            out = layer.forward(out, training)
        return out

    def backward(self, grad_logits: np.ndarray) -> None:
        """Backpropagate ``dL/dlogits``; fills every layer's ``grads``."""
        grad = grad_logits
        for layer in reversed(self.layers):
            grad = layer.backward(grad)

    def loss_and_gradients(self, x: np.ndarray, y: np.ndarray) -> float:
        """Forward pass in training mode, the loss, then the backward pass.

        Returns the mean cross-entropy of the batch; the gradients are left in
        :attr:`grads`.
        """
        loss, grad_logits = softmax_cross_entropy(self.forward(x, True), y)
        self.backward(grad_logits)
        return loss

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The most likely class of each row of ``x``."""
        return self.forward(x).argmax(axis=1)


# --------------------------------------------------------------------------
# Loss


def softmax_cross_entropy(
    logits: np.ndarray, y: np.ndarray
) -> tuple[float, np.ndarray]:
    r"""Mean cross-entropy of softmax(logits) against labels, and its gradient.

    .. math::

       L = -\frac1N \sum_i \log \operatorname{softmax}(s_i)_{y_i},\qquad
       \log \operatorname{softmax}(s)_k = s_k - m - \log \sum_j e^{s_j - m}

    with :math:`m = \max_j s_j` (log-sum-exp), so no exponential overflows.
    The gradient is :math:`(\operatorname{softmax}(s_i) - \mathrm{onehot}(y_i))/N`.

    Parameters
    ----------
    logits : ndarray, shape (N, classes)
    y : ndarray of int, shape (N,)

    Returns
    -------
    loss : float
    grad : ndarray, shape (N, classes)

    Examples
    --------
    >>> loss, grad = softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([1]))
    >>> loss
    1000.0
    >>> grad
    array([[ 1., -1.]])
    """
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = float(-log_probs[rows, y].mean())
    grad = np.exp(log_probs)
    grad[rows, y] -= 1.0
    return loss, grad / n


# --------------------------------------------------------------------------
# Training


@dataclass
class History:
    """What :func:`train` records, at epoch 0 (before training) and after
    every epoch, so each array has ``epochs + 1`` rows.

    Attributes
    ----------
    train_loss, test_loss : ndarray
        Mean cross-entropy on the whole training / test set.
    train_accuracy, test_accuracy : ndarray
        Fraction classified correctly.
    mean_activation : ndarray, shape (epochs + 1, hidden layers)
        Mean output of each hidden layer over the training set and its units.
    learning_rate : ndarray, shape (epochs,)
        The rate used in each epoch.
    """

    train_loss: np.ndarray
    train_accuracy: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    mean_activation: np.ndarray
    learning_rate: np.ndarray


def evaluate(
    model: MLP, x: np.ndarray, y: np.ndarray
) -> tuple[float, float, np.ndarray]:
    """Loss, accuracy and each hidden layer's mean activation on ``(x, y)``.

    Examples
    --------
    >>> model = MLP(2, [3], 2, activation="relu", seed=0)
    >>> loss, accuracy, means = evaluate(model, np.ones((4, 2)), np.array([0, 1, 0, 1]))
    >>> accuracy, means.shape
    (0.5, (1,))
    """
    logits = model.forward(x)
    loss, _ = softmax_cross_entropy(logits, y)
    accuracy = float((logits.argmax(axis=1) == y).mean())
    means = np.array([float(layer.output.mean()) for layer in model.hidden_layers])
    return loss, accuracy, means


def train(
    model: MLP,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float | Sequence[float],
    momentum: float = 0.9,
    seed: int = 0,
) -> History:
    r"""Train ``model`` in place by minibatch SGD with momentum.

    Each epoch visits the training set once, in an order drawn from
    ``np.random.default_rng(seed)``: the same seed gives the same batches for
    every model. Each step, with gradient :math:`g` and rate :math:`\eta`:
    :math:`v \leftarrow \mu v + g`, :math:`\theta \leftarrow \theta - \eta v`.

    Parameters
    ----------
    model : MLP
    x_train, y_train : ndarray
        Features ``(N, n_inputs)`` and integer labels ``(N,)``.
    x_test, y_test : ndarray
        Held-out data, evaluated after every epoch (never trained on).
    epochs : int
        At least 1.
    batch_size : int
        At least 1; the last batch of an epoch may be smaller.
    learning_rate : float or sequence of float
        One rate for every epoch, or a fixed schedule: one rate per epoch.
    momentum : float, default 0.9
        In ``[0, 1)``; 0 is plain SGD.
    seed : int, default 0
        Seed for the batch order.

    Returns
    -------
    History

    Raises
    ------
    TypeError, ValueError
        For a bad argument; the message names it.
    FloatingPointError
        If the loss overflows (the learning rate is too large).

    Examples
    --------
    >>> x = np.array([[0.0, 1.0], [1.0, 0.0]] * 8)
    >>> y = np.array([0, 1] * 8)
    >>> model = MLP(2, [4], 2, activation="tanh", seed=0)
    >>> h = train(model, x, y, x, y, epochs=20, batch_size=4, learning_rate=0.1)
    >>> float(h.test_accuracy[-1])
    1.0
    >>> train(model, x, y, x, y, epochs=0, batch_size=4, learning_rate=0.1)
    Traceback (most recent call last):
    ...
    ValueError: train: epochs must be >= 1, got 0
    """
    if not isinstance(model, MLP):
        raise TypeError(f"train: model must be an MLP, got {type(model).__name__}")
    x_train = _check_features("train", "x_train", x_train, model.n_inputs)
    x_test = _check_features("train", "x_test", x_test, model.n_inputs)
    y_train = _check_labels("train", "y_train", y_train, len(x_train), model.n_classes)
    y_test = _check_labels("train", "y_test", y_test, len(x_test), model.n_classes)
    if len(x_train) == 0 or len(x_test) == 0:
        raise ValueError("train: x_train and x_test must hold at least one sample")
    epochs = integer("train", "epochs", epochs, 1)
    batch_size = integer("train", "batch_size", batch_size, 1)
    momentum = real("train", "momentum", momentum, low=0.0, high=1.0, closed=True)
    seed = integer("train", "seed", seed, 0)
    if isinstance(learning_rate, Sequence | np.ndarray):
        rates = [real("train", "learning_rate", r, low=0.0) for r in learning_rate]
        if len(rates) != epochs:
            raise ValueError(
                f"train: learning_rate must give one rate per epoch ({epochs}), "
                f"got {len(rates)}"
            )
    else:
        rates = [real("train", "learning_rate", learning_rate, low=0.0)] * epochs

    x_train = x_train.astype(model.dtype, copy=False)
    x_test = x_test.astype(model.dtype, copy=False)
    order_rng = np.random.default_rng(seed)
    velocity = [np.zeros_like(p) for p in model.params]
    records = []

    def record() -> None:
        train_loss, train_acc, means = evaluate(model, x_train, y_train)
        test_loss, test_acc, _ = evaluate(model, x_test, y_test)
        records.append((train_loss, train_acc, test_loss, test_acc, means))

    # Overflow means the rate is too large: stop with a clear error instead of
    # training on NaNs. Underflow (exp of very negative z) is harmless.
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        try:
            record()
            for rate in rates:
                order = order_rng.permutation(len(x_train))
                for start in range(0, len(order), batch_size):
                    batch = order[start : start + batch_size]
                    model.loss_and_gradients(x_train[batch], y_train[batch])
                    for p, g, v in zip(
                        model.params, model.grads, velocity, strict=True
                    ):
                        v *= momentum
                        v += g
                        p -= rate * v
                record()
        except FloatingPointError as err:
            raise FloatingPointError(
                f"training diverged in epoch {len(records)} ({err}); "
                "lower learning_rate"
            ) from None

    train_loss, train_acc, test_loss, test_acc, means = map(
        np.array, zip(*records, strict=True)
    )
    return History(
        train_loss=train_loss,
        train_accuracy=train_acc,
        test_loss=test_loss,
        test_accuracy=test_acc,
        mean_activation=means,
        learning_rate=np.array(rates),
    )


# --------------------------------------------------------------------------
# Checks


def gradient_check(
    model: MLP, x: np.ndarray, y: np.ndarray, eps: float = 1e-6
) -> float:
    r"""Largest relative error between backprop and central differences.

    For every parameter entry :math:`\theta_k`, the numerical derivative is
    :math:`(L(\theta_k + \epsilon) - L(\theta_k - \epsilon)) / 2\epsilon`,
    whose error is :math:`O(\epsilon^2)` plus rounding of order
    :math:`10^{-16}/\epsilon`. For each parameter array the two gradients are
    compared as :math:`\lVert g - \hat g\rVert / (\lVert g\rVert + \lVert\hat
    g\rVert)`, and the largest of these is returned. Costs two forward passes
    per parameter: use a tiny network, in float64.

    Parameters
    ----------
    model : MLP
        Left unchanged (BatchNorm's running averages are restored). The
        loss is taken in training mode, as backpropagation sees it.
    x, y : ndarray
        A small batch.
    eps : float, default 1e-6

    Returns
    -------
    float

    Examples
    --------
    >>> model = MLP(3, [4, 4], 2, activation="elu", seed=0)
    >>> x = np.random.default_rng(1).standard_normal((5, 3))
    >>> bool(gradient_check(model, x, np.array([0, 1, 1, 0, 1])) < 1e-7)
    True
    """
    if not isinstance(model, MLP):
        raise TypeError(
            f"gradient_check: model must be an MLP, got {type(model).__name__}"
        )
    x = _check_features("gradient_check", "x", x, model.n_inputs)
    y = _check_labels("gradient_check", "y", y, len(x), model.n_classes)
    eps = real("gradient_check", "eps", eps, low=0.0)

    # Training mode, as the gradients are; BatchNorm's running averages
    # (which training-mode passes move) are put back afterwards.
    norms = [la for la in model.layers if isinstance(la, BatchNorm)]
    saved_stats = [(la.running_mean.copy(), la.running_var.copy()) for la in norms]
    model.loss_and_gradients(x, y)
    analytic = [g.copy() for g in model.grads]
    worst = 0.0
    for p, g in zip(model.params, analytic, strict=True):
        numeric = np.zeros_like(p)
        flat_p, flat_n = p.reshape(-1), numeric.reshape(-1)
        for k in range(flat_p.size):
            saved = flat_p[k]
            flat_p[k] = saved + eps
            up, _ = softmax_cross_entropy(model.forward(x, True), y)
            flat_p[k] = saved - eps
            down, _ = softmax_cross_entropy(model.forward(x, True), y)
            flat_p[k] = saved
            flat_n[k] = (up - down) / (2 * eps)
        scale = np.linalg.norm(g) + np.linalg.norm(numeric)
        if scale > 0:
            worst = max(worst, float(np.linalg.norm(g - numeric) / scale))
    for la, (mean, var) in zip(norms, saved_stats, strict=True):
        la.running_mean[...], la.running_var[...] = mean, var
    return worst


def epochs_to_reach(loss: Sequence[float], threshold: float) -> int | None:
    """The first epoch whose loss is at or below ``threshold``, else ``None``.

    Examples
    --------
    >>> epochs_to_reach([2.3, 1.0, 0.4, 0.2], 0.5)
    2
    >>> epochs_to_reach([2.3, 1.0], 0.5) is None
    True
    """
    threshold = real("epochs_to_reach", "threshold", threshold, low=0.0, closed=True)
    below = np.flatnonzero(np.asarray(loss, dtype=float) <= threshold)
    return int(below[0]) if below.size else None
