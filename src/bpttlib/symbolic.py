"""The symbolic tier: the unrolled RNN in sympy, its gradient, and the chain sums, proven equal.

Import it explicitly (``from bpttlib import symbolic``): it needs sympy, which ``import bpttlib``
does not load.

What is here, in the book's notation (labels eq-rnn-state, eq-rnn-output, eq-loss-mse)::

    a_t = W_s s_{t-1} + W_x x_t + b_s,   s_t = φ(a_t),   y_t = W_y s_t + b_y,   s_0 = 0,
    L = Σ_t m_t E_t,   E_t = ‖d_t − y_t‖²   (or  E_t = −log softmax(y_t)[d_t])

- :func:`unrolled` writes the network out for ``T`` steps with explicit symbols (a scalar unit
  or small symbol matrices) and returns a :class:`SymbolicRNN`; its parameters sit in a
  :class:`SymParams` with the field names of :class:`bpttlib.rnn.RNNParams`.
- :func:`direct_gradient` differentiates the total loss directly (sympy's ``diff``).
- :func:`chain_sum` writes the gradient the way the sources do, as a sum of products of
  *unevaluated* partial derivatives (:class:`Partial`), e.g. the six terms of ``∂L/∂W_s`` for
  ``T = 3``; :func:`general_sum` is the double sum with symbolic ``T`` (eq-bptt-sum).
- :func:`evaluate` replaces every :class:`Partial` by the actual derivative, computed by sympy
  from the one-step map with the previous state held fixed (the *immediate* partial
  ``∂⁺s_k/∂W``), or by the total derivative (``reading="total"``) to show what goes wrong.
- :func:`is_zero` decides exactly whether an expression vanishes identically, and
  :func:`verify` uses it to prove an expansion equal to the direct derivative.
- :func:`gradient_function` lambdifies the gradient so it can be compared with
  :func:`bpttlib.rnn.bptt` on numbers.

Everything expensive is cached on the model (:func:`unrolled` itself is ``lru_cache``-d), so a
chapter can ask twice for the same derivative at no cost.
"""

from __future__ import annotations

import functools
import numbers
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from . import _checks, rnn

__all__ = [
    "ACTIVATIONS",
    "FIELDS",
    "SymParams",
    "SymbolicRNN",
    "Partial",
    "P",
    "Expansion",
    "LatexBlock",
    "GeneralSum",
    "Sharing",
    "unrolled",
    "direct_gradient",
    "chain_sum",
    "general_sum",
    "evaluate",
    "is_zero",
    "verify",
    "abbreviate",
    "sharing",
    "gradient_function",
]

#: Activations of the symbolic tier: the four of :mod:`bpttlib.activations`, and ``"phi"``, an
#: undefined function φ (an identity proven with it holds for every differentiable φ).
ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear", "phi")

#: Parameter fields, in the order of :class:`bpttlib.rnn.RNNParams`.
FIELDS = ("W_x", "W_s", "b_s", "W_y", "b_y")
_STATE_FIELDS = ("W_x", "W_s", "b_s")
_LOSSES = ("mse", "xent")
_STYLES = ("steps", "compact")
_READINGS = ("immediate", "total")


# ---- the parameters -------------------------------------------------------------------------------

@dataclass(frozen=True)
class SymParams:
    """Symbolic parameters, with the field names of :class:`bpttlib.rnn.RNNParams`.

    Parameters
    ----------
    W_x : sympy.ImmutableMatrix, shape (H, I)
    W_s : sympy.ImmutableMatrix, shape (H, H)
    b_s : sympy.ImmutableMatrix, shape (H, 1)
    W_y : sympy.ImmutableMatrix, shape (O, H)
    b_y : sympy.ImmutableMatrix, shape (O, 1)

    Notes
    -----
    Biases are column matrices, so that ``W_s s + W_x x + b_s`` is a matrix expression. For a
    single unit (``H = I = O = 1``) every field is a 1 x 1 matrix holding one symbol named like
    the field (``W_s``); otherwise the entries are named ``W_{s,ij}`` (1-based).
    Book labels: eq-rnn-state, eq-rnn-output.
    """

    W_x: sp.ImmutableMatrix
    W_s: sp.ImmutableMatrix
    b_s: sp.ImmutableMatrix
    W_y: sp.ImmutableMatrix
    b_y: sp.ImmutableMatrix

    def __post_init__(self) -> None:
        for name in FIELDS:
            value = getattr(self, name)
            if not isinstance(value, sp.MatrixBase):
                raise TypeError(f"{name}: expected a sympy Matrix, got {type(value).__name__}")
            object.__setattr__(self, name, sp.ImmutableMatrix(value))
        H, I = self.W_x.shape
        O = self.W_y.shape[0]
        want = {"W_s": (H, H), "b_s": (H, 1), "W_y": (O, H), "b_y": (O, 1)}
        for name, shape in want.items():
            if getattr(self, name).shape != shape:
                raise ValueError(f"{name}: expected shape {shape} (H={H}, I={I}, O={O} from "
                                 f"W_x and W_y), got {getattr(self, name).shape}")

    def arrays(self) -> tuple[sp.ImmutableMatrix, ...]:
        """The five matrices in field order ``(W_x, W_s, b_s, W_y, b_y)``."""
        return tuple(getattr(self, name) for name in FIELDS)

    def symbols(self) -> tuple[sp.Symbol, ...]:
        """Every parameter symbol, field by field, each matrix row by row."""
        return tuple(s for m in self.arrays() for s in m)

    def values(self, params: rnn.RNNParams) -> dict:
        """``{symbol: number}`` for the numbers in ``params`` (same shapes required).

        Parameters
        ----------
        params : bpttlib.rnn.RNNParams

        Returns
        -------
        dict
        """
        _checks.check_instance(params, "params", rnn.RNNParams)
        out = {}
        for name in FIELDS:
            sym, num = getattr(self, name), np.asarray(getattr(params, name), dtype=float)
            num = num.reshape(-1, 1) if num.ndim == 1 else num
            if num.shape != sym.shape:
                raise ValueError(f"params: expected field {name} of shape {sym.shape[:num.ndim]} "
                                 f"like the symbolic model, got {getattr(params, name).shape}")
            out.update(zip(sym, num.ravel()))
        return out


# ---- the unrolled network -------------------------------------------------------------------------

@dataclass(frozen=True)
class SymbolicRNN:
    """A vanilla RNN unrolled for ``T`` steps, every quantity an explicit sympy expression.

    Build it with :func:`unrolled`.

    Attributes
    ----------
    T, H, I, O : int
        Steps, hidden, input and output sizes.
    activation : str
        One of :data:`ACTIVATIONS`.
    loss_kind : str
        ``"mse"`` or ``"xent"``.
    mask : tuple of sympy numbers, length T
        The weights ``m_t``.
    params : SymParams
    xs : tuple of sympy.ImmutableMatrix, each (I, 1)
        ``x_1 … x_T``.
    targets : tuple
        ``"mse"``: ``d_1 … d_T`` as (O, 1) symbol matrices; ``"xent"``: the class indices.
    states : tuple of sympy.ImmutableMatrix, each (H, 1)
        ``s_0 … s_T`` (``states[0]`` is zeros or the symbols ``s_{0,i}``).
    preacts, outputs : tuple of sympy.ImmutableMatrix
        ``a_1 … a_T`` (H, 1) and ``y_1 … y_T`` (O, 1).
    step_losses : tuple of sympy.Expr
        ``E_1 … E_T`` (without the mask).
    loss : sympy.Expr
        ``L = Σ_t m_t E_t``.

    Notes
    -----
    Book labels: eq-rnn-state, eq-rnn-output, eq-loss-mse, eq-loss-xent.
    """

    T: int
    H: int
    I: int
    O: int
    activation: str
    loss_kind: str
    mask: tuple
    params: SymParams
    xs: tuple
    targets: tuple
    s0: sp.ImmutableMatrix
    states: tuple
    preacts: tuple
    outputs: tuple
    step_losses: tuple
    loss: sp.Expr
    _cache: dict = field(default_factory=dict, repr=False, compare=False, hash=False)

    @property
    def scalar(self) -> bool:
        """True for a single unit (``H = I = O = 1``)."""
        return self.H == self.I == self.O == 1

    def phi(self, a: sp.Expr) -> sp.Expr:
        """The activation applied to one sympy expression."""
        return _phi(self.activation)(a)

    def dphi(self, a: sp.Expr) -> sp.Expr:
        """``φ'(a)``, written exactly as sympy writes it when it differentiates ``φ(a)``."""
        u = sp.Dummy("u")
        if self.activation == "phi":
            eps = sp.Dummy("eps")
            return sp.diff(_phi("phi")(a + eps), eps).subs(eps, 0)
        return sp.diff(_phi(self.activation)(u), u).subs(u, a)

    def step(self, prev: sp.MatrixBase, t: int) -> sp.ImmutableMatrix:
        """``φ(W_s prev + W_x x_t + b_s)``: one step from any state ``prev`` (H, 1)."""
        p = self.params
        a = p.W_s * prev + p.W_x * self.xs[t - 1] + p.b_s
        return sp.ImmutableMatrix(a.applyfunc(self.phi))

    def output_loss(self, y: sp.MatrixBase, t: int) -> sp.Expr:
        """``E_t`` as a function of any output column ``y`` (O, 1)."""
        if self.loss_kind == "mse":
            return sum(((self.targets[t - 1][o] - y[o]) ** 2 for o in range(self.O)), sp.S.Zero)
        c = self.targets[t - 1]
        return -y[c] + sp.log(sum((sp.exp(y[o]) for o in range(self.O)), sp.S.Zero))

    def input_symbols(self) -> tuple[sp.Symbol, ...]:
        """The symbols of ``x_1 … x_T`` (step by step), the targets (mse) and ``s_0`` (if symbolic)."""
        out = [s for x in self.xs for s in x]
        if self.loss_kind == "mse":
            out += [s for d in self.targets for s in d]
        out += [s for s in self.s0 if isinstance(s, sp.Symbol)]
        return tuple(out)


class sigmoid(sp.Function):
    """The logistic function ``σ(a) = 1/(1 + e^{−a})`` with ``σ' = σ(1 − σ)``.

    A sympy function of its own (rather than ``1/(1 + exp(−a))``), so that derivatives stay
    polynomials in ``σ(a_k)`` exactly as ``tanh' = 1 − tanh²`` does.
    """

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, a, **kwargs):
        return 1 / (1 + sp.exp(-a))

    def _latex(self, printer, exp=None):
        base = r"\sigma{\left(%s \right)}" % printer._print(self.args[0])
        return base if exp is None else r"\sigma^{%s}{\left(%s \right)}" % (
            exp, printer._print(self.args[0]))


def _np_sigmoid(a):
    a = np.asarray(a, dtype=float)
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0, e) / (1.0 + e)


def _phi(name: str) -> Callable[[sp.Expr], sp.Expr]:
    if name == "tanh":
        return sp.tanh
    if name == "sigmoid":
        return sigmoid
    if name == "relu":
        return lambda a: sp.Max(0, a)
    if name == "linear":
        return lambda a: a
    return sp.Function("phi")


def _symbol_matrix(name: str, rows: int, cols: int, *, vector: bool = False) -> sp.ImmutableMatrix:
    """``name`` like ``W_s``: one symbol ``W_s`` if 1 x 1, else entries ``W_{s,ij}`` / ``b_{s,i}``."""
    if rows * cols == 1:
        return sp.ImmutableMatrix([[sp.Symbol(name, real=True)]])
    base, sub = name.split("_", 1)
    if vector:
        return sp.ImmutableMatrix(rows, 1, lambda i, j: sp.Symbol(f"{base}_{{{sub},{i + 1}}}",
                                                                  real=True))
    return sp.ImmutableMatrix(rows, cols, lambda i, j: sp.Symbol(f"{base}_{{{sub},{i + 1}{j + 1}}}",
                                                                 real=True))


def _step_vector(base: str, t: int, n: int) -> sp.ImmutableMatrix:
    """``x_t`` as ``x_t`` (n = 1) or ``x_{t,i}``."""
    if n == 1:
        return sp.ImmutableMatrix([[sp.Symbol(f"{base}_{t}", real=True)]])
    return sp.ImmutableMatrix(n, 1, lambda i, j: sp.Symbol(f"{base}_{{{t},{i + 1}}}", real=True))


def unrolled(
    T: int,
    *,
    n_hidden: int = 1,
    n_in: int = 1,
    n_out: int = 1,
    activation: str = "tanh",
    loss: str = "mse",
    mask: Sequence[float] | None = None,
    classes: Sequence[int] | None = None,
    s0: str | None = None,
) -> SymbolicRNN:
    """The RNN of the book unrolled for ``T`` steps, with explicit symbols.

    Parameters
    ----------
    T : int
        Number of steps, ``1 <= T <= 12`` (the expressions grow with ``T``).
    n_hidden, n_in, n_out : int, optional
        ``H``, ``I``, ``O`` (default 1: a single unit, scalar symbols), each at most 4.
    activation : str, optional
        ``"tanh"`` (default), ``"sigmoid"``, ``"relu"``, ``"linear"`` or ``"phi"`` (an
        undefined function: identities then hold for every activation).
    loss : str, optional
        ``"mse"`` (default): ``E_t = ‖d_t − y_t‖²`` with target symbols ``d_t``;
        ``"xent"``: ``E_t = −log softmax(y_t)[c_t]`` with the classes ``c_t`` given in
        ``classes`` (needs ``n_out >= 2``).
    mask : sequence of float, length T, optional
        Step weights ``m_t >= 0`` (default ones). ``(0, …, 0, 1)`` is a many-to-one network.
    classes : sequence of int, length T, optional
        The target classes for ``loss="xent"`` (each in ``0 … n_out-1``).
    s0 : {None, "symbols"}, optional
        ``None``: ``s_0 = 0`` (the book's convention); ``"symbols"``: ``s_0`` is a symbol
        vector (then ``∂⁺s_1/∂W_s`` is not zero).

    Returns
    -------
    SymbolicRNN
        Cached: the same arguments return the same object.

    Raises
    ------
    TypeError, ValueError
        Naming the offending argument.

    Notes
    -----
    ``a_t = W_s s_{t-1} + W_x x_t + b_s``, ``s_t = φ(a_t)``, ``y_t = W_y s_t + b_y``,
    ``L = Σ_t m_t E_t``. Book labels: eq-rnn-state, eq-rnn-output, eq-loss-mse, eq-loss-xent.
    """
    T = _checks.check_positive_int(T, "T")
    if T > 12:
        raise ValueError(f"T: expected at most 12 steps (symbolic expressions grow fast), got {T}")
    sizes = {}
    for name, value in (("n_hidden", n_hidden), ("n_in", n_in), ("n_out", n_out)):
        sizes[name] = _checks.check_positive_int(value, name)
        if sizes[name] > 4:
            raise ValueError(f"{name}: expected at most 4 (symbolic matrices), got {value}")
    _checks.check_name(activation, "activation", ACTIVATIONS)
    _checks.check_name(loss, "loss", _LOSSES)
    if s0 is not None:
        _checks.check_name(s0, "s0", ("symbols",))
    mask_t = _check_mask(mask, T)
    classes_t = _check_classes(classes, loss, T, sizes["n_out"])
    return _unrolled(T, sizes["n_hidden"], sizes["n_in"], sizes["n_out"], activation, loss,
                     mask_t, classes_t, s0)


def _check_mask(mask: object, T: int) -> tuple:
    if mask is None:
        return (sp.S.One,) * T
    if isinstance(mask, (str, bytes)) or not isinstance(mask, (Sequence, np.ndarray)):
        raise TypeError(f"mask: expected a sequence of {T} non-negative numbers, "
                        f"got {type(mask).__name__}")
    if len(mask) != T:
        raise ValueError(f"mask: expected {T} weights (one per step), got {len(mask)}")
    out = []
    for m in mask:
        if isinstance(m, (bool, np.bool_)) or not isinstance(m, numbers.Real):
            raise TypeError(f"mask: expected real numbers, got {type(m).__name__} {m!r}")
        if not np.isfinite(m) or m < 0:
            raise ValueError(f"mask: expected finite weights >= 0, got {m}")
        out.append(sp.Integer(int(m)) if float(m).is_integer() else sp.Rational(float(m)))
    return tuple(out)


def _check_classes(classes: object, loss: str, T: int, O: int) -> tuple | None:
    if loss == "mse":
        if classes is not None:
            raise ValueError("classes: expected None for loss='mse' (targets are symbols d_t), "
                             f"got {classes!r}")
        return None
    if O < 2:
        raise ValueError(f"n_out: expected at least 2 classes for loss='xent', got {O}")
    if classes is None:
        raise ValueError(f"classes: expected {T} class indices for loss='xent', got None")
    arr = _checks.as_int_array(classes, "classes")
    if arr.shape != (T,):
        raise ValueError(f"classes: expected shape ({T},), got {_checks.shape_str(arr.shape)}")
    if arr.min() < 0 or arr.max() >= O:
        raise ValueError(f"classes: expected indices in 0..{O - 1}, got {arr.tolist()}")
    return tuple(int(c) for c in arr)


@functools.lru_cache(maxsize=64)
def _unrolled(T, H, I, O, activation, loss, mask, classes, s0) -> SymbolicRNN:
    params = SymParams(
        W_x=_symbol_matrix("W_x", H, I), W_s=_symbol_matrix("W_s", H, H),
        b_s=_symbol_matrix("b_s", H, 1, vector=True), W_y=_symbol_matrix("W_y", O, H),
        b_y=_symbol_matrix("b_y", O, 1, vector=True),
    )
    xs = tuple(_step_vector("x", t, I) for t in range(1, T + 1))
    targets = classes if loss == "xent" else tuple(_step_vector("d", t, O)
                                                   for t in range(1, T + 1))
    s_init = (sp.ImmutableMatrix.zeros(H, 1) if s0 is None else _step_vector("s", 0, H))
    phi = _phi(activation)
    states, preacts, outputs = [s_init], [], []
    for t in range(1, T + 1):
        a = sp.ImmutableMatrix(params.W_s * states[-1] + params.W_x * xs[t - 1] + params.b_s)
        preacts.append(a)
        states.append(sp.ImmutableMatrix(a.applyfunc(phi)))
        outputs.append(sp.ImmutableMatrix(params.W_y * states[-1] + params.b_y))
    model = SymbolicRNN(T, H, I, O, activation, loss, mask, params, xs, targets, s_init,
                        tuple(states), tuple(preacts), tuple(outputs), (), sp.S.Zero)
    step_losses = tuple(model.output_loss(y, t) for t, y in enumerate(outputs, start=1))
    total = sp.Add(*(m * e for m, e in zip(mask, step_losses)))
    object.__setattr__(model, "step_losses", step_losses)
    object.__setattr__(model, "loss", total)
    return model


def _check_model(model: object) -> SymbolicRNN:
    return _checks.check_instance(model, "model", SymbolicRNN)


def _check_field(name: object, argname: str = "field", choices: Sequence[str] = FIELDS) -> str:
    return _checks.check_name(name, argname, tuple(choices))


# ---- direct differentiation -----------------------------------------------------------------------

def direct_gradient(model: SymbolicRNN, field: str) -> sp.ImmutableMatrix:
    """``∂L/∂W`` by differentiating the unrolled loss directly, entry by entry.

    Parameters
    ----------
    model : SymbolicRNN
    field : str
        ``"W_x"``, ``"W_s"``, ``"b_s"``, ``"W_y"`` or ``"b_y"``.

    Returns
    -------
    sympy.ImmutableMatrix
        Same shape as ``model.params.<field>`` (biases are columns). Cached on the model.

    Notes
    -----
    The reference every expansion is compared with: ``sympy.diff(L, w)`` for every entry
    ``w``, with ``L`` the explicit composition of eq-rnn-state, eq-rnn-output and eq-loss-mse.
    """
    model = _check_model(model)
    field = _check_field(field)
    key = ("direct", field)
    if key not in model._cache:
        W = getattr(model.params, field)
        model._cache[key] = sp.ImmutableMatrix(W.shape[0], W.shape[1],
                                               lambda i, j: sp.diff(model.loss, W[i, j]))
    return model._cache[key]


# ---- unevaluated partial derivatives --------------------------------------------------------------

class Partial(sp.Expr):
    r"""An unevaluated partial derivative ``∂num/∂den`` that prints like the sources write it.

    Parameters
    ----------
    num, den : sympy.Basic
        Usually ``IndexedBase`` entries such as ``s[3]``, ``y[t]``, ``L[t]``, or the symbols
        ``L`` (total loss) and ``W_s`` (a parameter).
    immediate : bool, optional
        Print ``∂⁺`` (the partial with the previous state held fixed).

    Notes
    -----
    Not commutative, so a product keeps the order of the chain rule (Jacobians do not
    commute), and a term prints as ``∂L_t/∂y_t · ∂y_t/∂s_t · …``. :func:`evaluate` turns it
    into the actual derivative. Book label: eq-bptt-sum.
    """

    is_commutative = False

    def __new__(cls, num, den, immediate=False):
        return sp.Expr.__new__(cls, sp.sympify(num), sp.sympify(den),
                               sp.true if bool(immediate) else sp.false)

    @property
    def num(self) -> sp.Basic:
        """The differentiated quantity."""
        return self.args[0]

    @property
    def den(self) -> sp.Basic:
        """The variable."""
        return self.args[1]

    @property
    def immediate(self) -> bool:
        """Whether it prints as the immediate partial ``∂⁺``."""
        return bool(self.args[2])

    def _latex(self, printer) -> str:
        d = r"\partial^{+}" if self.immediate else r"\partial"
        return r"\frac{%s %s}{\partial %s}" % (d, printer._print(self.num),
                                               printer._print(self.den))

    def _sympystr(self, printer) -> str:
        d = "∂⁺" if self.immediate else "∂"
        return f"{d}{printer._print(self.num)}/∂{printer._print(self.den)}"


def P(num: str, den: str, *, immediate: bool = False) -> Partial:
    """A :class:`Partial` from short names: ``P("s_3", "s_2")``, ``P("L_3", "y_3")``, ``P("L", "W_s")``.

    Parameters
    ----------
    num, den : str
        ``"L"``, ``"E"`` (total loss), ``"L_3"``, ``"E_3"``, ``"y_3"``, ``"s_3"`` or a field name.
    immediate : bool, optional
        Print ``∂⁺``.

    Returns
    -------
    Partial

    Notes
    -----
    A factor of eq-bptt-sum, e.g. ``P("s_3", "s_2")`` is the step Jacobian ``J_3`` of
    eq-step-jacobian once :func:`evaluate` substitutes it.
    """
    return Partial(_parse(num, "num"), _parse(den, "den"), immediate)


def _parse(name: object, argname: str) -> sp.Basic:
    if not isinstance(name, str):
        raise TypeError(f"{argname}: expected a name such as 's_3' or 'W_s', "
                        f"got {type(name).__name__}")
    if name in FIELDS or name in ("L", "E"):
        return sp.Symbol(name)
    m = re.fullmatch(r"([LEys])_(\d+)", name)
    if not m:
        raise ValueError(f"{argname}: expected 'L', 'E', a field name or one of L_t, E_t, y_t, "
                         f"s_t with a step number t, got {name!r}")
    return sp.IndexedBase(m.group(1))[int(m.group(2))]


def _role(x: sp.Basic) -> tuple[str, int | None]:
    """``("loss"|"output"|"state"|"total"|field, index)`` of a Partial's argument."""
    if isinstance(x, sp.Indexed):
        label, idx = str(x.base.label), x.indices[0]
        if not idx.is_Integer:
            raise ValueError(f"expr: cannot evaluate a partial with the symbolic index {idx}; "
                             f"substitute numbers first (GeneralSum.explicit)")
        role = {"L": "loss", "E": "loss", "y": "output", "s": "state"}.get(label)
        if role is None:
            raise ValueError(f"expr: unknown quantity {label!r} in a partial derivative")
        return role, int(idx)
    if isinstance(x, sp.Symbol) and x.name in ("L", "E"):
        return "total", None
    if isinstance(x, sp.Symbol) and x.name in FIELDS:
        return x.name, None
    raise ValueError(f"expr: cannot evaluate a partial derivative involving {x}")


# ---- the blocks that partials evaluate to ---------------------------------------------------------

def _placeholder(n: int, name: str) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(n, 1, lambda i, j: sp.Dummy(f"{name}{i}"))


def _cached(model: SymbolicRNN, key: tuple, make: Callable[[], object]):
    if key not in model._cache:
        model._cache[key] = make()
    return model._cache[key]


def _check_step(model: SymbolicRNN, t: int, lo: int, what: str) -> int:
    if not lo <= t <= model.T:
        raise ValueError(f"expr: {what} index {t} outside {lo}..{model.T} for a model with "
                         f"T={model.T}")
    return t


def _dloss_dy(model: SymbolicRNN, t: int) -> sp.ImmutableMatrix:
    """``∂L_t/∂y_t`` (1, O) with ``L_t = m_t E_t``: E differentiated at a free output, then y_t."""
    def make():
        eta = _placeholder(model.O, "eta")
        e = model.mask[t - 1] * model.output_loss(eta, t)
        row = sp.ImmutableMatrix([[sp.diff(e, v) for v in eta]])
        return row.xreplace(dict(zip(eta, model.outputs[t - 1])))
    return _cached(model, ("dL/dy", t), make)


def _dy_ds(model: SymbolicRNN) -> sp.ImmutableMatrix:
    """``∂y_t/∂s_t`` (O, H), the same for every t."""
    def make():
        sig = _placeholder(model.H, "sigma")
        y = model.params.W_y * sig + model.params.b_y
        return sp.ImmutableMatrix(y.jacobian(sig))
    return _cached(model, ("dy/ds",), make)


def _step_jacobian(model: SymbolicRNN, k: int) -> sp.ImmutableMatrix:
    """``∂s_k/∂s_{k-1}`` (H, H): the one-step map differentiated, then evaluated at s_{k-1}."""
    def make():
        sig = _placeholder(model.H, "sigma")
        J = model.step(sig, k).jacobian(sig)
        return sp.ImmutableMatrix(J.xreplace(dict(zip(sig, model.states[k - 1]))))
    return _cached(model, ("ds/ds", k), make)


def _state_chain(model: SymbolicRNN, t: int, k: int) -> sp.ImmutableMatrix:
    """``∂s_t/∂s_k = J_t J_{t-1} … J_{k+1}`` (H, H); the identity for ``k = t``."""
    def make():
        out = sp.ImmutableMatrix.eye(model.H)
        for j in range(t, k, -1):
            out = out * _step_jacobian(model, j)
        return sp.ImmutableMatrix(out)
    return _cached(model, ("ds/ds chain", t, k), make)


def _immediate(model: SymbolicRNN, k: int, field: str, i: int, j: int) -> sp.ImmutableMatrix:
    """``∂⁺s_k/∂W[i,j]`` (H, 1): the one-step map differentiated with s_{k-1} held fixed."""
    def make():
        if k == 0:
            return sp.ImmutableMatrix.zeros(model.H, 1)  # s_0 is given: no parameter in it
        sig = _placeholder(model.H, "sigma")
        w = getattr(model.params, field)[i, j]
        col = model.step(sig, k).diff(w)
        return sp.ImmutableMatrix(col.xreplace(dict(zip(sig, model.states[k - 1]))))
    return _cached(model, ("d+s/dW", k, field, i, j), make)


def _total_state(model: SymbolicRNN, k: int, field: str, i: int, j: int) -> sp.ImmutableMatrix:
    """``ds_k/dW[i,j]`` (H, 1), the total derivative through every earlier state."""
    def make():
        w = getattr(model.params, field)[i, j]
        return sp.ImmutableMatrix(model.states[k].diff(w))
    return _cached(model, ("ds/dW", k, field, i, j), make)


def _output_param(model: SymbolicRNN, t: int, field: str, i: int, j: int) -> sp.ImmutableMatrix:
    """``∂y_t/∂W_y[i,j]`` or ``∂y_t/∂b_y[i]`` (O, 1)."""
    def make():
        w = getattr(model.params, field)[i, j]
        return sp.ImmutableMatrix(model.outputs[t - 1].diff(w))
    return _cached(model, ("dy/dW", t, field, i, j), make)


def _block(model: SymbolicRNN, p: Partial, reading: str, ij: tuple[int, int] | None):
    """The matrix a Partial stands for (for a parameter denominator: at entry ``ij``)."""
    (nr, ni), (dr, di) = _role(p.num), _role(p.den)
    if dr in FIELDS:
        i, j = ij
        if nr == "state":
            if dr not in _STATE_FIELDS:
                return sp.ImmutableMatrix.zeros(model.H, 1)
            _check_step(model, ni, 0, "state")
            if reading == "total":
                return _total_state(model, ni, dr, i, j)
            return _immediate(model, ni, dr, i, j)
        if nr == "output":
            _check_step(model, ni, 1, "output")
            if dr in _STATE_FIELDS and reading == "total":
                return sp.ImmutableMatrix(model.outputs[ni - 1].diff(
                    getattr(model.params, dr)[i, j]))
            if dr in _STATE_FIELDS:
                return sp.ImmutableMatrix.zeros(model.O, 1)
            return _output_param(model, ni, dr, i, j)
        if nr == "loss":
            _check_step(model, ni, 1, "loss")
            e = model.mask[ni - 1] * model.step_losses[ni - 1]
            return sp.ImmutableMatrix([[sp.diff(e, getattr(model.params, dr)[i, j])]])
        if nr == "total":
            return sp.ImmutableMatrix([[direct_gradient(model, dr)[i, j]]])
    if nr == "loss" and dr == "output":
        _check_step(model, ni, 1, "loss")
        if ni != di:
            return sp.ImmutableMatrix.zeros(1, model.O)
        return _dloss_dy(model, ni)
    if nr == "loss" and dr == "state":
        _check_step(model, ni, 1, "loss")
        _check_step(model, di, 0, "state")
        return _dloss_dy(model, ni) * _dy_ds(model) * _state_chain(model, ni, di) \
            if di <= ni else sp.ImmutableMatrix.zeros(1, model.H)
    if nr == "output" and dr == "state":
        _check_step(model, ni, 1, "output")
        _check_step(model, di, 0, "state")
        return _dy_ds(model) * _state_chain(model, ni, di) if di <= ni \
            else sp.ImmutableMatrix.zeros(model.O, model.H)
    if nr == "state" and dr == "state":
        _check_step(model, ni, 0, "state")
        _check_step(model, di, 0, "state")
        if di > ni:
            return sp.ImmutableMatrix.zeros(model.H, model.H)
        return _state_chain(model, ni, di)
    raise ValueError(f"expr: cannot evaluate the partial derivative {p}")


def _param_field(p: Partial) -> str | None:
    den = p.den
    return den.name if isinstance(den, sp.Symbol) and den.name in FIELDS else None


def _terms(expr: sp.Expr) -> list[tuple[sp.Expr, list[Partial]]]:
    """``expr`` as a list of ``(coefficient, [Partial, …])`` products (order kept)."""
    out = []
    for term in sp.Add.make_args(expr):
        if any(isinstance(f, sp.Add) for f in sp.Mul.make_args(term)):
            out.extend(_terms(sp.expand(term)))
            continue
        coeff, factors = sp.S.One, []
        for f in sp.Mul.make_args(term):
            if isinstance(f, Partial):
                factors.append(f)
            elif f.has(Partial):
                raise ValueError(f"expr: expected a sum of products of partials, got {f}")
            else:
                coeff *= f
        out.append((coeff, factors))
    return out


def evaluate(model: SymbolicRNN, expr: sp.Expr, *, reading: str = "immediate") -> sp.ImmutableMatrix:
    """Replace every :class:`Partial` in a sum of products by the derivative it stands for.

    Parameters
    ----------
    model : SymbolicRNN
    expr : sympy.Expr
        A :class:`Partial`, or a sum of products of partials (e.g. ``Expansion.expr``).
    reading : {"immediate", "total"}, optional
        How to read ``∂s_k/∂W`` (and ``∂y_t/∂W`` for a state parameter): ``"immediate"``
        (default) holds ``s_{k-1}`` fixed, ``"total"`` is the full derivative of ``s_k``.

    Returns
    -------
    sympy.ImmutableMatrix
        If the products end in ``∂·/∂W`` for a parameter ``W``: a matrix shaped like ``W``
        (entry ``(i, j)`` uses ``∂·/∂W[i, j]``). Otherwise the product of the blocks, e.g. an
        (H, H) Jacobian for ``∂s_3/∂s_1``.

    Notes
    -----
    ``∂L_t/∂y_t`` is (1, O), ``∂y_t/∂s_t = W_y`` is (O, H), ``∂s_t/∂s_k = J_t … J_{k+1}`` is
    (H, H) with ``J_k = ∂s_k/∂s_{k-1}`` (eq-step-jacobian, eq-jacobian-product), and
    ``∂⁺s_k/∂W[i, j]`` is (H, 1); each computed by sympy from the one-step map. Book label:
    eq-bptt-sum.
    """
    model = _check_model(model)
    _checks.check_name(reading, "reading", _READINGS)
    if not isinstance(expr, sp.Basic):
        raise TypeError(f"expr: expected a sympy expression of Partial products, "
                        f"got {type(expr).__name__}")
    terms = _terms(expr)
    fields = {_param_field(fs[-1]) if fs else None for _, fs in terms}
    if len(fields) != 1:
        raise ValueError(f"expr: expected every term to end in the same kind of derivative, "
                         f"got endings {sorted(str(f) for f in fields)}")
    fld = fields.pop()
    if fld is None:
        total = None
        for coeff, fs in terms:
            if not fs:
                raise ValueError("expr: expected products of partial derivatives, got a number")
            prod = functools.reduce(lambda a, b: a * b, (_block(model, f, reading, None)
                                                         for f in fs))
            total = coeff * prod if total is None else total + coeff * prod
        return sp.ImmutableMatrix(total)
    W = getattr(model.params, fld)

    def entry(i, j):
        acc = sp.S.Zero
        for coeff, fs in terms:
            prod = functools.reduce(lambda a, b: a * b,
                                    (_block(model, f, reading, (i, j)) for f in fs))
            if prod.shape != (1, 1):
                raise ValueError(f"expr: a term does not reduce to a number (shape {prod.shape}):"
                                 f" {sp.Mul(*fs)}")
            acc += coeff * prod[0, 0]
        return acc

    return sp.ImmutableMatrix(W.shape[0], W.shape[1], entry)


# ---- exact zero test ------------------------------------------------------------------------------

def _opaque(model: SymbolicRNN) -> dict:
    """Every non-polynomial node built on a pre-activation -> a fresh symbol.

    Inner pre-activations contain outer states, so the map is applied top-down by ``xreplace``
    (outermost match first); afterwards the expressions are rational in independent symbols.
    """
    def make():
        u = sp.Dummy("u")
        out = {}
        for k in range(model.T, 0, -1):
            for i, a in enumerate(model.preacts[k - 1]):
                nodes = []
                if model.activation == "tanh":
                    nodes = [sp.tanh(a)]
                elif model.activation == "sigmoid":
                    nodes = [sigmoid(a)]
                elif model.activation == "relu":
                    nodes = [sp.Max(0, a), sp.diff(sp.Max(0, u), u).subs(u, a)]
                elif model.activation == "phi":
                    nodes = [model.phi(a), model.dphi(a)]
                for n, node in enumerate(nodes):
                    out[node] = sp.Symbol(f"_z{k}_{i}_{n}")
        if model.loss_kind == "xent":  # softmax: exp(y_t[o]) -> a symbol, outside the states
            for t, y in enumerate(model.outputs, start=1):
                norm = sp.Add(*(sp.exp(v) for v in y))
                out[1 / norm] = sp.Symbol(f"_r{t}")
                for o, v in enumerate(y):
                    out[sp.exp(v)] = sp.Symbol(f"_e{t}_{o}")
        return out
    return _cached(model, ("opaque",), make)


def is_zero(model: SymbolicRNN, expr: object) -> bool:
    """Whether ``expr`` (a sympy expression or matrix built on ``model``) is identically zero.

    Parameters
    ----------
    model : SymbolicRNN
        The model whose states appear in ``expr``.
    expr : sympy.Expr or sympy.MatrixBase

    Returns
    -------
    bool
        Exact: True only if the expression vanishes for every value of every symbol.

    Notes
    -----
    Each activation node ``φ(a_k)`` (and, for relu and φ, ``φ'(a_k)``) is replaced by a fresh
    symbol, outermost first; what is left is a rational function of independent symbols,
    brought to one fraction whose expanded numerator must be the zero polynomial. A
    polynomial identity in independent symbols survives any substitution, so it also holds
    for the original expression. Faster and more predictable than ``simplify``.
    """
    model = _check_model(model)
    if isinstance(expr, sp.MatrixBase):
        return all(is_zero(model, e) for e in expr)
    if not isinstance(expr, sp.Basic):
        raise TypeError(f"expr: expected a sympy expression or matrix, got {type(expr).__name__}")
    if expr.has(Partial):
        raise ValueError("expr: evaluate the partial derivatives first (symbolic.evaluate)")
    e = expr.xreplace(_opaque(model))
    if e.has(sp.Pow) and any(p.exp.is_negative for p in e.atoms(sp.Pow)):
        num, _ = sp.together(e).as_numer_denom()  # xent: a softmax denominator
        return sp.expand(num) == 0
    return sp.expand(e) == 0


def abbreviate(model: SymbolicRNN, expr: object, *, errors: bool = False) -> object:
    """Write the states back as ``s_k`` (and ``φ'(a_k)`` as ``φ'_k``), so an expression is readable.

    Parameters
    ----------
    model : SymbolicRNN
    expr : sympy.Expr or sympy.MatrixBase
        An expression built on ``model`` (e.g. a value of :func:`evaluate`).
    errors : bool, optional
        For ``loss="mse"`` also write the targets through the errors ``e_t = y_t − d_t``
        (``d_t -> y_t − e_t``), so ``2(W_y s_t + b_y − d_t)`` reads ``2 e_t``.

    Returns
    -------
    Same type as ``expr``
        With every state node ``φ(a_k)`` replaced by the symbol ``s_k`` (``s_{k,i}`` for a
        vector state), outermost first; for the undefined ``φ`` also ``φ'(a_k) -> φ'_k``. For a
        linear activation the states are polynomials and are left as they are.

    Notes
    -----
    For display only: the symbols ``s_k`` and ``e_t`` are not the model's symbols. Book
    label: eq-rnn-state.
    """
    model = _check_model(model)
    if not isinstance(expr, (sp.Basic, sp.MatrixBase)):
        raise TypeError(f"expr: expected a sympy expression or matrix, got {type(expr).__name__}")
    if not isinstance(errors, (bool, np.bool_)):
        raise TypeError(f"errors: expected a bool, got {type(errors).__name__}")

    def make():
        out = {}
        if model.activation == "linear":
            return out
        for k in range(model.T, 0, -1):
            for i, node in enumerate(model.states[k]):
                name = f"s_{k}" if model.H == 1 else f"s_{{{k},{i + 1}}}"
                out[node] = sp.Symbol(name, real=True)
                if model.activation == "phi":
                    d = model.dphi(model.preacts[k - 1][i])
                    out[d] = sp.Symbol(f"\\phi'_{k}" if model.H == 1
                                       else f"\\phi'_{{{k},{i + 1}}}")
        return out

    def make_errors():
        out = {}
        if model.loss_kind != "mse":
            return out
        states = _cached(model, ("abbreviations",), make)
        for t in range(1, model.T + 1):
            y = model.outputs[t - 1].xreplace(states)
            for o, d in enumerate(model.targets[t - 1]):
                name = f"e_{t}" if model.O == 1 else f"e_{{{t},{o + 1}}}"
                out[d] = y[o] - sp.Symbol(name, real=True)
        return out

    short = expr.xreplace(_cached(model, ("abbreviations",), make))
    if errors:
        short = short.xreplace(_cached(model, ("abbreviations", "errors"), make_errors))
    return short


# ---- expansions as the sources write them ---------------------------------------------------------

@dataclass(frozen=True)
class Expansion:
    """A gradient written as a sum of products of partial derivatives.

    Attributes
    ----------
    model : SymbolicRNN
    field : str
        The parameter, e.g. ``"W_s"``.
    lhs : Partial
        ``∂L/∂W`` (or ``∂E_t/∂W`` for one loss term).
    terms : tuple of sympy.Expr
        Products of :class:`Partial`, in the order written (latest loss first, shortest chain
        first, as in the sources).
    groups : tuple of int
        The loss step ``t`` of each term (a new line per ``t`` when printed).

    Notes
    -----
    ``expr`` is the unevaluated sum; :meth:`value` substitutes the actual derivatives
    (:func:`evaluate`); :func:`verify` proves ``value() == direct_gradient``. Book label:
    eq-bptt-sum.
    """

    model: SymbolicRNN
    field: str
    lhs: Partial
    terms: tuple
    groups: tuple

    @property
    def expr(self) -> sp.Expr:
        """The sum of the terms (unevaluated, order kept)."""
        return sp.Add(*self.terms, evaluate=False)

    def __len__(self) -> int:
        return len(self.terms)

    def value(self, *, reading: str = "immediate") -> sp.ImmutableMatrix:
        """The sum with every partial replaced by its value (see :func:`evaluate`)."""
        return evaluate(self.model, self.expr, reading=reading)

    def term_values(self, *, reading: str = "immediate", index: tuple[int, int] = (0, 0)) -> tuple:
        """The value of each term at entry ``index`` of the parameter (default the first)."""
        return tuple(evaluate(self.model, t, reading=reading)[index] for t in self.terms)

    def latex(self, *, per_line: int | None = None) -> str:
        """The expansion as a LaTeX ``aligned`` block, one line per loss step ``t``.

        Parameters
        ----------
        per_line : int, optional
            Break after this many terms instead of at every new loss step.

        Returns
        -------
        str
        """
        printer = sp.printing.latex
        lines, current, last = [], [], None
        for term, g in zip(self.terms, self.groups):
            new = (len(current) >= per_line) if per_line else (last is not None and g != last)
            if current and new:
                lines.append(current)
                current = []
            current.append(" ".join(printer(f) for f in sp.Mul.make_args(term)))
            last = g
        if current:
            lines.append(current)
        body = [printer(self.lhs) + " &= " + " + ".join(lines[0])]
        body += ["&\\quad + " + " + ".join(line) for line in lines[1:]]
        return "\\begin{aligned}\n" + " \\\\\n".join(body) + "\n\\end{aligned}"

    def _repr_latex_(self) -> str:
        return "$$" + self.latex() + "$$"

    def value_table(self, *, reading: str = "immediate", index: tuple[int, int] = (0, 0),
                    short: bool = True) -> "LatexBlock":
        """Every term next to its value, one aligned line each (for display in a notebook).

        Parameters
        ----------
        reading : {"immediate", "total"}, optional
            See :func:`evaluate`.
        index : (int, int), optional
            The entry of the parameter (default the first).
        short : bool, optional
            Write the states as ``s_k`` and the errors ``y_t − d_t`` as ``e_t``
            (:func:`abbreviate`), default True.

        Returns
        -------
        LatexBlock
            A string whose ``_repr_latex_`` is an ``aligned`` block.
        """
        rows = []
        for term, value in zip(self.terms, self.term_values(reading=reading, index=index)):
            value = abbreviate(self.model, value, errors=True) if short else value
            factors = " ".join(sp.latex(f) for f in sp.Mul.make_args(term))
            rows.append(f"{factors} &= {sp.latex(value)}")
        return LatexBlock("\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}")


class LatexBlock(str):
    """A LaTeX string that a notebook displays as typeset math (``_repr_latex_``).

    Notes
    -----
    Display only; it holds the rows of eq-bptt-sum with their values.
    """

    def _repr_latex_(self) -> str:
        return "$$" + str(self) + "$$"


def chain_sum(
    model: SymbolicRNN,
    field: str,
    *,
    t: int | None = None,
    style: str = "steps",
    lower: int = 1,
    mark_immediate: bool = True,
    loss_name: str = "L",
) -> Expansion:
    """The gradient as the sum over loss steps ``t`` and chain starts ``k`` of chained partials.

    Parameters
    ----------
    model : SymbolicRNN
    field : str
        ``"W_s"``, ``"W_x"``, ``"b_s"`` (chains through the states) or ``"W_y"``, ``"b_y"``
        (one term per loss step).
    t : int, optional
        Only the loss term ``L_t`` (e.g. ``t=3`` gives the three-term ``∂E_3/∂W_s``); default
        the total loss ``L = Σ_t L_t``.
    style : {"steps", "compact"}, optional
        ``"steps"``: ``∂L_t/∂y_t ∂y_t/∂s_t ∂s_t/∂s_{t-1} … ∂s_{k+1}/∂s_k ∂s_k/∂W`` (one factor
        per step, as in the forum question and the blog post); ``"compact"``:
        ``∂L_t/∂y_t ∂y_t/∂s_t ∂s_t/∂s_k ∂s_k/∂W`` (as in eq-bptt-sum and the lecture slides).
    lower : {0, 1}, optional
        First ``k``; ``0`` adds the terms ending in ``∂s_0/∂W`` (zero: ``s_0`` is given), as in
        the slides' ``Σ_{k=0}^{t}``.
    mark_immediate : bool, optional
        Print the last factor as ``∂⁺s_k/∂W`` (default) or as the sources do, ``∂s_k/∂W``.
        Either way :meth:`Expansion.value` reads it as the immediate partial unless told
        otherwise.
    loss_name : {"L", "E"}, optional
        The letter for the loss (``E`` as in the blog post).

    Returns
    -------
    Expansion
        Terms with mask weight ``m_t = 0`` are left out (a many-to-one network has only the
        chains of its last step).

    Notes
    -----
    ``∂L/∂W = Σ_t Σ_{k ≤ t} ∂L_t/∂s_t · ∂s_t/∂s_k · ∂⁺s_k/∂W``, ``T(T+1)/2`` terms for
    ``T`` losses. Book label: eq-bptt-sum.
    """
    model = _check_model(model)
    field = _check_field(field)
    _checks.check_name(style, "style", _STYLES)
    _checks.check_name(loss_name, "loss_name", ("L", "E"))
    lower = _checks.check_int(lower, "lower", minimum=0)
    if lower > 1:
        raise ValueError(f"lower: expected 0 or 1, got {lower}")
    if t is not None:
        t = _checks.check_positive_int(t, "t")
        if t > model.T:
            raise ValueError(f"t: expected a loss step in 1..{model.T}, got {t}")
    Lb, y, s = sp.IndexedBase(loss_name), sp.IndexedBase("y"), sp.IndexedBase("s")
    W = sp.Symbol(field)
    steps = [t] if t is not None else list(range(model.T, 0, -1))
    terms, groups = [], []
    for tt in steps:
        if model.mask[tt - 1] == 0:
            continue
        head = [Partial(Lb[tt], y[tt])]
        if field not in _STATE_FIELDS:
            terms.append(sp.Mul(*head, Partial(y[tt], W)))
            groups.append(tt)
            continue
        head.append(Partial(y[tt], s[tt]))
        for k in range(tt, lower - 1, -1):
            if style == "steps":
                chain = [Partial(s[j], s[j - 1]) for j in range(tt, k, -1)]
            else:
                chain = [Partial(s[tt], s[k])]
            terms.append(sp.Mul(*head, *chain, Partial(s[k], W, mark_immediate)))
            groups.append(tt)
    lhs = Partial(Lb[t] if t is not None else sp.Symbol(loss_name), W)
    return Expansion(model, field, lhs, tuple(terms), tuple(groups))


@dataclass(frozen=True)
class GeneralSum:
    """The double sum over ``t`` and ``k`` with a symbolic length ``T`` (eq-bptt-sum).

    Attributes
    ----------
    field : str
    lower : int
        First ``k`` (0 as in the slides, 1 in the book).
    summand : sympy.Expr
        The product of partials, with symbolic indices ``t`` and ``k``.
    t, k, T : sympy.Symbol
        The summation indices and the sequence length.

    Notes
    -----
    ``expr`` is the sympy ``Sum``; :meth:`explicit` writes out the terms for a given ``T``
    (in the order of :func:`chain_sum` with ``style="compact"``). Book label: eq-bptt-sum.
    """

    field: str
    lower: int
    summand: sp.Expr
    t: sp.Symbol
    k: sp.Symbol
    T: sp.Symbol

    @property
    def expr(self) -> sp.Sum:
        """``Sum(Sum(summand, (k, lower, t)), (t, 1, T))``."""
        return sp.Sum(sp.Sum(self.summand, (self.k, self.lower, self.t)), (self.t, 1, self.T))

    def explicit(self, T: int) -> tuple:
        """The terms for a given ``T``: ``t = T … 1``, then ``k = t … lower``."""
        T = _checks.check_positive_int(T, "T")
        return tuple(self.summand.subs({self.t: tt, self.k: kk})
                     for tt in range(T, 0, -1) for kk in range(tt, self.lower - 1, -1))

    def latex(self) -> str:
        """``∂L/∂W = Σ_{t=1}^{T} Σ_{k=lower}^{t} …`` as LaTeX."""
        lhs = sp.latex(Partial(sp.Symbol("L"), sp.Symbol(self.field)))
        body = " ".join(sp.latex(f) for f in sp.Mul.make_args(self.summand))
        return (f"{lhs} = \\sum_{{t=1}}^{{T}} \\sum_{{k={self.lower}}}^{{t}} {body}")

    def _repr_latex_(self) -> str:
        return "$$" + self.latex() + "$$"


def general_sum(field: str = "W_s", *, lower: int = 1, split_output: bool = True,
                mark_immediate: bool = True) -> GeneralSum:
    """``∂L/∂W = Σ_{t=1}^{T} Σ_{k=lower}^{t} ∂L_t/∂y_t ∂y_t/∂s_t ∂s_t/∂s_k ∂⁺s_k/∂W``.

    Parameters
    ----------
    field : {"W_s", "W_x", "b_s"}, optional
    lower : {0, 1}, optional
        First ``k``: 1 (the book) or 0 (the lecture slides).
    split_output : bool, optional
        Write ``∂L_t/∂s_t`` as ``∂L_t/∂y_t ∂y_t/∂s_t`` (default).
    mark_immediate : bool, optional
        Print ``∂⁺s_k/∂W`` (default) or ``∂s_k/∂W``.

    Returns
    -------
    GeneralSum

    Notes
    -----
    Book label: eq-bptt-sum.
    """
    field = _check_field(field, choices=_STATE_FIELDS)
    lower = _checks.check_int(lower, "lower", minimum=0)
    if lower > 1:
        raise ValueError(f"lower: expected 0 or 1, got {lower}")
    t, k, T = sp.symbols("t k T", integer=True, nonnegative=True)
    Lb, y, s = sp.IndexedBase("L"), sp.IndexedBase("y"), sp.IndexedBase("s")
    head = [Partial(Lb[t], y[t]), Partial(y[t], s[t])] if split_output else [Partial(Lb[t], s[t])]
    summand = sp.Mul(*head, Partial(s[t], s[k]), Partial(s[k], sp.Symbol(field), mark_immediate))
    return GeneralSum(field, lower, summand, t, k, T)


def verify(model: SymbolicRNN, expansion: Expansion | sp.Expr, field: str | None = None, *,
           reading: str = "immediate") -> bool:
    """Prove an expansion equal to the direct derivative (exactly, see :func:`is_zero`).

    Parameters
    ----------
    model : SymbolicRNN
    expansion : Expansion or sympy.Expr
        An :class:`Expansion`, or any sum of products of partials ending in ``∂·/∂W``.
    field : str, optional
        The parameter (taken from ``expansion`` if it is an :class:`Expansion`).
    reading : {"immediate", "total"}, optional
        How ``∂s_k/∂W`` is read (see :func:`evaluate`).

    Returns
    -------
    bool
        True if ``evaluate(expansion) − ∂L/∂W`` (or ``− ∂L_t/∂W`` for a one-step expansion)
        vanishes identically.

    Notes
    -----
    Book label: eq-bptt-sum.
    """
    model = _check_model(model)
    if isinstance(expansion, Expansion):
        if expansion.model is not model:
            raise ValueError("expansion: expected an expansion built on this model")
        field, expr, lhs = expansion.field, expansion.expr, expansion.lhs
    else:
        field = _check_field(field)
        expr, lhs = expansion, Partial(sp.Symbol("L"), sp.Symbol(field))
    got = evaluate(model, expr, reading=reading)
    want = evaluate(model, lhs)
    return is_zero(model, got - want)


# ---- parameter sharing ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Sharing:
    """The gradient of a shared parameter as the sum of its per-step copies' gradients.

    Attributes
    ----------
    field : str
    per_step : tuple of sympy.ImmutableMatrix
        ``∂L/∂W^{(t)}`` for ``t = 1 … T`` when each step has its own copy ``W^{(t)}``, evaluated
        with all copies equal to ``W``.
    tied : sympy.ImmutableMatrix
        ``∂L/∂W`` of the shared parameter (:func:`direct_gradient`).
    holds : bool
        Whether ``Σ_t per_step[t] == tied`` exactly.

    Notes
    -----
    ``∂L/∂W = Σ_t ∂L/∂W^{(t)}``; book labels: eq-rnn-state, eq-bptt-sum.
    """

    field: str
    per_step: tuple
    tied: sp.ImmutableMatrix
    holds: bool


def sharing(model: SymbolicRNN, field: str) -> Sharing:
    """Untie a parameter (one copy per step), differentiate, tie again, and compare.

    Parameters
    ----------
    model : SymbolicRNN
    field : str
        Any of the five fields.

    Returns
    -------
    Sharing

    Notes
    -----
    ``∂L/∂W = Σ_t ∂L/∂W^{(t)}`` at ``W^{(1)} = … = W^{(T)} = W``: the chain rule for a
    quantity used at every step. Grouping eq-bptt-sum by ``k`` gives the same terms.
    Book labels: eq-rnn-state, eq-bptt-sum.
    """
    model = _check_model(model)
    field = _check_field(field)

    def make():
        W = getattr(model.params, field)
        copies = [W.applyfunc(lambda w, t=t: sp.Symbol(f"{w.name}^{{({t})}}", real=True))
                  for t in range(1, model.T + 1)]
        p = model.params
        state = model.s0
        loss = sp.S.Zero
        for t in range(1, model.T + 1):
            q = {name: (copies[t - 1] if name == field else getattr(p, name)) for name in FIELDS}
            a = q["W_s"] * state + q["W_x"] * model.xs[t - 1] + q["b_s"]
            state = a.applyfunc(model.phi)
            y = q["W_y"] * state + q["b_y"]
            loss += model.mask[t - 1] * model.output_loss(y, t)
        back = {c: w for copy in copies for c, w in zip(copy, W)}
        per_step = tuple(
            sp.ImmutableMatrix(W.shape[0], W.shape[1],
                               lambda i, j, c=c: sp.diff(loss, c[i, j]).xreplace(back))
            for c in copies)
        tied = direct_gradient(model, field)
        total = functools.reduce(lambda a, b: a + b, per_step)
        return Sharing(field, per_step, tied, is_zero(model, total - tied))
    return _cached(model, ("sharing", field), make)


# ---- numbers ----------------------------------------------------------------------------------

def gradient_function(model: SymbolicRNN, *, source: str = "direct") -> Callable:
    """Lambdify the loss and all five gradients, to compare with :func:`bpttlib.rnn.bptt`.

    Parameters
    ----------
    model : SymbolicRNN
        With a concrete activation (not ``"phi"``).
    source : {"direct", "chain"}, optional
        ``"direct"``: :func:`direct_gradient`; ``"chain"``: the evaluated
        :func:`chain_sum` of each field.

    Returns
    -------
    callable
        ``f(params, xs, targets=None, s0=None) -> (loss, RNNParams)`` with ``params`` an
        :class:`~bpttlib.rnn.RNNParams` of the model's sizes, ``xs`` of shape (T, I),
        ``targets`` of shape (T, O) for ``"mse"`` (for ``"xent"``: None or the model's classes)
        and ``s0`` of shape (H,) if the model has a symbolic ``s_0``.

    Notes
    -----
    ``sympy.lambdify`` with common-subexpression elimination, numpy backend. Book labels:
    eq-bptt-sum, eq-delta-recursion (the kernel it is compared with).
    """
    model = _check_model(model)
    _checks.check_name(source, "source", ("direct", "chain"))
    if model.activation == "phi":
        raise ValueError("model: expected a concrete activation to lambdify, got 'phi' (an "
                         "undefined function)")

    def make():
        grads = []
        for name in FIELDS:
            g = (direct_gradient(model, name) if source == "direct"
                 else chain_sum(model, name).value())
            grads.extend(g)
        args = list(model.params.symbols()) + list(model.input_symbols())
        return sp.lambdify(args, [model.loss, *grads], cse=True,
                           modules=[{"sigmoid": _np_sigmoid}, "numpy"])
    fn = _cached(model, ("lambdified", source), make)
    shapes = [getattr(model.params, n).shape for n in FIELDS]
    has_s0 = any(isinstance(s, sp.Symbol) for s in model.s0)

    def gradients(params: rnn.RNNParams, xs: object, targets: object = None,
                  s0: object = None) -> tuple[float, rnn.RNNParams]:
        values = model.params.values(params)
        x = _checks.as_float_array(xs, "xs")
        if x.shape != (model.T, model.I):
            raise ValueError(f"xs: expected shape (T, I) = ({model.T}, {model.I}), "
                             f"got {_checks.shape_str(x.shape)}")
        inputs = list(x.ravel())
        if model.loss_kind == "mse":
            d = _checks.as_float_array(targets, "targets")
            if d.shape != (model.T, model.O):
                raise ValueError(f"targets: expected shape (T, O) = ({model.T}, {model.O}), "
                                 f"got {_checks.shape_str(d.shape)}")
            inputs += list(d.ravel())
        elif targets is not None and tuple(np.asarray(targets).tolist()) != model.targets:
            raise ValueError(f"targets: expected None or the model's classes "
                             f"{list(model.targets)}, got {np.asarray(targets).tolist()}")
        if has_s0:
            s = _checks.as_float_array(s0, "s0")
            if s.shape != (model.H,):
                raise ValueError(f"s0: expected shape (H,) = ({model.H},), "
                                 f"got {_checks.shape_str(s.shape)}")
            inputs += list(s)
        elif s0 is not None:
            raise ValueError("s0: expected None (the model has s_0 = 0)")
        out = fn(*[values[s] for s in model.params.symbols()], *inputs)
        loss, flat = float(out[0]), np.array(out[1:], dtype=float)
        arrays, pos = [], 0
        for (r, c), name in zip(shapes, FIELDS):
            block = flat[pos:pos + r * c].reshape(r, c)
            arrays.append(block.ravel() if name.startswith("b_") else block)
            pos += r * c
        return loss, rnn.RNNParams(*arrays)

    return gradients
