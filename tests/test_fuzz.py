"""Fuzz test of bpttlib's written contract, across the public kernel API.

Every call starts from a valid call of one public function (small sizes, seeded) and replaces
0–3 of its arguments by a hostile value (NaN, ±Inf, huge but finite numbers, wrong types,
shapes and dtypes, ragged lists, complex and object arrays, sizes like 10**12, callbacks that
return the wrong thing, hand-built traces and containers). The contract (book/api.md,
"The contract") allows exactly two outcomes:

- a result whose numbers are finite (``inf``/``-inf`` only where the docstring says so, e.g.
  a log10 of an exact zero or a linear-space norm beyond float64; never NaN);
- ``TypeError``, ``ValueError`` or ``FloatingPointError`` whose message starts with the name
  of an argument of the call (``xs: expected …``, ``trace.states: …``, ``grads.W_s: …``), or
  for ``FloatingPointError`` with the function that overflowed followed by the argument(s)
  responsible (``forward: the outputs y_t overflowed …; the output weights in params …``).

Anything else — another exception, a RuntimeWarning (pytest turns them into errors), a NaN,
an error that blames something the caller did not pass — fails the test, and so does a call
that changes one of its input arrays. The generator is seeded: a failure is reproduced by its
``(seed, index)``. ``FUZZ_FAST`` calls run in the fast suite, ``FUZZ_SLOW`` in the slow one.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from test_params import WithDerived

from bpttlib import (
    activations,
    clipping,
    connectivity,
    esn,
    experiments,
    gated,
    gradcheck,
    jacobians,
    leaky,
    latching,
    losses,
    matrices,
    orthogonal,
    params as ptree,
    regularizer,
    rnn,
    rtrl,
    seeds,
    skip,
    tasks,
    train,
    truncated,
)

FUZZ_FAST = 400
FUZZ_SLOW = 6000
ERRORS = (TypeError, ValueError, FloatingPointError)


# ---- the valid calls ------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One public function, a factory of valid keyword arguments, and what it may return.

    ``kinds`` maps an argument to its mutation pool (see :func:`mutants`); ``allow`` lists the
    non-finite values the docstring promises (``"inf"``, ``"-inf"``); ``aliases`` are other
    names a message may give an argument (``activations.gamma(name)`` says ``activation:``).
    """

    fn: Callable
    make: Callable[[np.random.Generator], dict]
    kinds: dict
    allow: frozenset = frozenset()
    aliases: frozenset = frozenset()

    @property
    def name(self) -> str:
        return f"{self.fn.__module__.rsplit('.', 1)[-1]}.{self.fn.__qualname__}"


def _rnn(rng, H=3, I=2, O=2):
    return rnn.init(I, H, O, spectral_radius=float(rng.uniform(0.5, 1.5)),
                    seed=int(rng.integers(100)))


def _seq(rng, T=5, I=2, batch=None):
    return rng.standard_normal((T, I) if batch is None else (T, batch, I))


def _trace(rng):
    p = _rnn(rng)
    return p, rnn.forward(p, _seq(rng))


def rnn_call(rng):
    T, B = int(rng.integers(1, 6)), [None, 2][int(rng.integers(2))]
    p = _rnn(rng)
    xs = _seq(rng, T, batch=B)
    targets = rng.standard_normal((T, 2) if B is None else (T, B, 2))
    activation = str(rng.choice(activations.ACTIVATIONS))
    return dict(params=p, xs=xs, targets=targets, activation=activation, loss="mse", mask=None,
                s0=None)


def lstm_call(rng):
    p = gated.lstm_init(2, 3, 2, seed=int(rng.integers(100)))
    return dict(params=p, xs=_seq(rng, 4), targets=rng.standard_normal((4, 2)), loss="mse",
                mask=None, h0=None, c0=None)


def gru_call(rng):
    p = gated.gru_init(2, 3, 2, seed=int(rng.integers(100)))
    return dict(params=p, xs=_seq(rng, 4), targets=rng.standard_normal((4, 2)), loss="mse",
                mask=None, h0=None)


def _drop(d, *keys):
    return {k: v for k, v in d.items() if k not in keys}


def task_batch(task, batch_size, T, seed, step):
    """``train.task_data(task, …)(step)``: the data callable's argument fuzzed as well."""
    return train.task_data(task, batch_size=batch_size, T=T, seed=seed)(step)


def fit_call(rng):
    batch = train.task_data("adding", batch_size=2, T=4, seed=0)(0)
    return dict(params=rnn.init(2, 3, 1, seed=int(rng.integers(100))),
                objective=train.rnn_objective(), data=lambda step: batch, steps=3,
                optimizer=train.SGD(0.05), clip_norm=None, clip_value=None,
                on_nonfinite="stop", eval_fn=None, eval_every=None)


def rtrl_online_all(params, xs, targets, activation, loss, mask, s0):
    """Every step of ``rtrl.online`` (a generator: its overflow errors come while iterating)."""
    return list(rtrl.online(params, xs, targets, activation=activation, loss=loss, mask=mask,
                            s0=s0))


def optimizer_step(optimizer, params, grads):
    """One update of a fuzzed optimizer: ``optimizer.update(params, grads, init(params))``."""
    if not isinstance(optimizer, (train.SGD, train.Momentum, train.RMSprop, train.Adam)):
        raise TypeError(f"optimizer: expected an optimizer, got {type(optimizer).__name__}")
    return optimizer.update(params, grads, optimizer.init(params))


def _grads(rng):
    p = _rnn(rng)
    return p.map(lambda a: rng.standard_normal(a.shape))


POS = "real+"
CASES = [
    # activations, matrices
    Case(activations.get, lambda r: dict(name="tanh", argname="activation"), {"name": "name"}),
    Case(activations.gamma, lambda r: dict(name="sigmoid"), {"name": "name"},
         aliases=frozenset({"activation"})),
    Case(matrices.spectral_radius, lambda r: dict(W=r.standard_normal((3, 3))), {"W": "array"},
         frozenset({"inf"})),
    Case(matrices.singular_values, lambda r: dict(W=r.standard_normal((3, 2))), {"W": "array"},
         frozenset({"inf"})),
    Case(matrices.gaussian, lambda r: dict(n=3, rho=0.9, seed=1),
         {"n": "int", "rho": POS, "seed": "int"}),
    Case(matrices.orthogonal, lambda r: dict(n=3, rho=0.9, seed=1),
         {"n": "int", "rho": POS, "seed": "int"}),
    Case(matrices.identity, lambda r: dict(n=3, rho=0.9), {"n": "int", "rho": POS}),
    Case(matrices.nonnormal, lambda r: dict(n=3, rho=0.9, seed=1, strength=2.0),
         {"n": "int", "rho": POS, "seed": "int", "strength": POS}),
    Case(matrices.make, lambda r: dict(kind="gaussian", n=3, rho=0.9, seed=0, rho_name="rho"),
         {"kind": "name", "n": "int", "rho": POS, "seed": "int"}),
    Case(matrices.power_norms, lambda r: dict(W=r.standard_normal((3, 3)), k_max=5),
         {"W": "array", "k_max": "int"}, frozenset({"inf"})),
    # losses
    Case(losses.mse, lambda r: dict(outputs=r.standard_normal((4, 2)),
                                    targets=r.standard_normal((4, 2)), mask=np.ones(4)),
         {"outputs": "array", "targets": "array", "mask": "array"}),
    Case(losses.xent, lambda r: dict(outputs=r.standard_normal((4, 3)),
                                     targets=r.integers(0, 3, 4), mask=None),
         {"outputs": "array", "targets": "int_array", "mask": "array"}),
    Case(losses.loss_and_grad, lambda r: dict(loss="mse", outputs=r.standard_normal((4, 2)),
                                              targets=r.standard_normal((4, 2)), mask=None),
         {"loss": "name", "outputs": "array", "targets": "array", "mask": "array"}),
    Case(losses.check_targets, lambda r: dict(loss="xent", targets=r.integers(0, 3, 4), T=4,
                                              B=None, O=3),
         {"loss": "name", "targets": "int_array", "T": "int", "O": "int"}),
    Case(losses.log_softmax, lambda r: dict(z=r.standard_normal((4, 3))), {"z": "array"}),
    Case(losses.softmax, lambda r: dict(z=r.standard_normal((4, 3))), {"z": "array"}),
    # rnn
    Case(rnn.init, lambda r: dict(n_in=2, n_hidden=3, n_out=1, spectral_radius=0.9, seed=0,
                                  kind="gaussian"),
         {"n_in": "int", "n_hidden": "int", "n_out": "int", "spectral_radius": POS,
          "seed": "int", "kind": "name"}),
    Case(rnn.RNNParams, lambda r: dataclasses.asdict(_rnn(r)),
         {"W_x": "array", "W_s": "array", "b_s": "array", "W_y": "array", "b_y": "array"}),
    Case(rnn.forward, lambda r: _drop(rnn_call(r), "targets", "loss", "mask"),
         {"params": "rnn_params", "xs": "array", "activation": "name", "s0": "array"}),
    Case(rnn.bptt, lambda r: dict(rnn_call(r), truncate=None),
         {"params": "rnn_params", "xs": "array", "targets": "array", "activation": "name",
          "loss": "name", "mask": "array", "truncate": "int", "s0": "array"}),
    Case(rnn.bptt_by_lag, rnn_call,
         {"params": "rnn_params", "xs": "array", "targets": "array", "mask": "array",
          "s0": "array"}),
    Case(rnn.bptt_chain_sum, lambda r: dict(rnn_call(r), truncate=2),
         {"params": "rnn_params", "xs": "array", "targets": "array", "mask": "array",
          "truncate": "int", "s0": "array"}),
    Case(rnn.loss_fn, rnn_call,
         {"params": "rnn_params", "xs": "array", "targets": "array", "mask": "array",
          "s0": "array", "loss": "name"}),
    # rtrl
    Case(rtrl.rtrl, rnn_call,
         {"params": "rnn_params", "xs": "array", "targets": "array", "activation": "name",
          "loss": "name", "mask": "array", "s0": "array"}),
    Case(rtrl_online_all, rnn_call,
         {"params": "rnn_params", "xs": "array", "targets": "array", "activation": "name",
          "loss": "name", "mask": "array", "s0": "array"}),
    Case(rtrl.cost, lambda r: dict(method="rtrl", n_hidden=3, n_in=2, n_out=1, T=5),
         {"method": "name", "n_hidden": "int", "n_in": "int", "n_out": "int", "T": "int"}),
    Case(rtrl.crossover_T, lambda r: dict(n_hidden=3, n_in=2),
         {"n_hidden": "int", "n_in": "int"}),
    # truncated, regularizer
    Case(truncated.randomized_bptt, lambda r: dict(rnn_call(r), cut_prob=0.3, seed=1),
         {"params": "rnn_params", "xs": "array", "targets": "array", "activation": "name",
          "mask": "array", "cut_prob": "real", "seed": "int", "s0": "array"}),
    Case(truncated.reweighted_bptt,
         lambda r: dict(_drop(rnn_call(r), "xs", "targets"), xs=_seq(r, 5),
                        targets=r.standard_normal((5, 2)), cuts=np.array([0, 1, 0, 0], bool),
                        cut_prob=0.2),
         {"params": "rnn_params", "xs": "array", "targets": "array", "cuts": "array",
          "cut_prob": "real"}),
    Case(truncated.bptt_hh, lambda r: dict(rnn_call(r), h=3, h_prime=2),
         {"params": "rnn_params", "xs": "array", "targets": "array", "h": "int",
          "h_prime": "int", "mask": "array", "s0": "array"}),
    Case(truncated.draw_cuts, lambda r: dict(T=6, cut_prob=0.4, seed=2),
         {"T": "int", "cut_prob": "real", "seed": "int"}),
    Case(regularizer.deltas, lambda r: dict(rnn_call(r), activation="tanh"),
         {"params": "rnn_params", "xs": "array", "targets": "array", "mask": "array",
          "activation": "name", "s0": "array"}),
    Case(regularizer.penalty,
         lambda r: dict(params=_rnn(r), xs=_seq(r, 4), delta=r.standard_normal((4, 3)),
                        activation="sigmoid", s0=None),
         {"params": "rnn_params", "xs": "array", "delta": "array", "activation": "name",
          "s0": "array"}),
    Case(clipping.cliff_hessian, lambda r: dict(w=float(r.uniform(-5, 5)), b=0.1, steps=10,
                                                x0=0.5, target=0.7),
         {"w": "real", "b": "real", "steps": "int", "x0": "real", "target": "real"}),
    Case(clipping.curvature_alignment, lambda r: dict(w=float(r.uniform(2, 5)), b=-1.0,
                                                      steps=10),
         {"w": "real", "b": "real", "steps": "int"}),
    # jacobians
    Case(jacobians.step_jacobians, lambda r: dict(zip(("params", "trace"), _trace(r))),
         {"params": "rnn_params", "trace": "trace", "activation": "name"}),
    Case(jacobians.log_product_norms, lambda r: dict(zip(("params", "trace"), _trace(r)), t=4),
         {"params": "rnn_params", "trace": "trace", "t": "int"}, frozenset({"-inf"})),
    Case(jacobians.product_norms, lambda r: dict(zip(("params", "trace"), _trace(r)), t=5),
         {"params": "rnn_params", "trace": "trace", "t": "int"}, frozenset({"inf"})),
    Case(jacobians.jacobian_bound, lambda r: dict(params=_rnn(r), t=np.arange(5), k=0,
                                                  log10=False),
         {"params": "rnn_params", "t": "int_array", "k": "int_array", "activation": "name"},
         frozenset({"inf", "-inf"})),
    Case(jacobians.spectral_radius, lambda r: dict(W=_rnn(r)), {"W": "rnn_params"},
         frozenset({"inf"})),
    Case(jacobians.grad_decay,
         lambda r: _drop(rnn_call(r) | dict(xs=_seq(r, 5), targets=r.standard_normal((5, 2))),
                         "mask"),
         {"params": "rnn_params", "xs": "array", "targets": "array", "activation": "name",
          "loss": "name", "s0": "array"}, frozenset({"-inf"})),
    Case(jacobians.decay_curve, lambda r: dict(spectral_radius=1.1, activation="tanh",
                                               n_hidden=4, T=12, kind="gaussian", seed=0,
                                               input_scale=1.0, loss="mse", n_in=1, n_out=1),
         {"spectral_radius": POS, "activation": "name", "n_hidden": "int", "T": "int",
          "kind": "name", "seed": "int", "input_scale": POS, "loss": "name", "n_in": "int",
          "n_out": "int"}, frozenset({"-inf"})),
    # connectivity
    Case(connectivity.connectivity, lambda r: _drop(lstm_call(r), "targets", "loss", "mask",
                                                    "h0", "c0") | {"at": 3},
         {"params": "lstm_params", "xs": "array", "at": "int"}),
    Case(connectivity.connectivity, lambda r: _drop(gru_call(r), "targets", "loss", "mask",
                                                    "h0") | {"at": None},
         {"params": "gru_params", "xs": "array", "at": "int"}),
    Case(connectivity.copy_connectivity, lambda r: dict(params=_rnn(r), xs=_seq(r, 6, batch=2),
                                                        n_recall=2),
         {"params": "rnn_params", "xs": "array", "n_recall": "int"}),
    Case(connectivity.position_ratio,
         lambda r: dict(conn=r.uniform(0.1, 1.0, (5, 2)),
                        marked=np.array([[1, 0], [0, 1], [0, 0], [0, 0], [0, 0]], bool)),
         {"conn": "array", "marked": "array"}),
    # gated
    Case(gated.lstm_init, lambda r: dict(n_in=2, n_hidden=3, n_out=1, seed=0, forget_bias=1.0),
         {"n_in": "int", "n_hidden": "int", "n_out": "int", "seed": "int",
          "forget_bias": "real"}),
    Case(gated.gru_init, lambda r: dict(n_in=2, n_hidden=3, n_out=1, seed=0),
         {"n_in": "int", "n_hidden": "int", "n_out": "int", "seed": "int"}),
    Case(gated.lstm_forward, lambda r: _drop(lstm_call(r), "targets", "loss", "mask"),
         {"params": "lstm_params", "xs": "array", "h0": "array", "c0": "array"}),
    Case(gated.gru_forward, lambda r: _drop(gru_call(r), "targets", "loss", "mask"),
         {"params": "gru_params", "xs": "array", "h0": "array"}),
    Case(gated.lstm_bptt, lstm_call,
         {"params": "lstm_params", "xs": "array", "targets": "array", "loss": "name",
          "mask": "array", "h0": "array", "c0": "array"}),
    Case(gated.gru_bptt, gru_call,
         {"params": "gru_params", "xs": "array", "targets": "array", "mask": "array",
          "h0": "array"}),
    Case(gated.loss_fn, lstm_call,
         {"params": "lstm_params", "xs": "array", "targets": "array", "mask": "array",
          "h0": "array", "c0": "array"}),
    Case(gated.gated_decay, lambda r: _drop(lstm_call(r), "mask"),
         {"params": "lstm_params", "xs": "array", "targets": "array", "h0": "array",
          "c0": "array"}, frozenset({"-inf"})),
    Case(gated.lstm_cell_jacobian_norms,
         lambda r: dict(params=gated.lstm_init(2, 3, 2, seed=0), trace_or_xs=_seq(r, 4),
                        path="full", h0=None, c0=None),
         {"params": "lstm_params", "trace_or_xs": "array", "path": "name", "h0": "array",
          "c0": "array"}, frozenset({"-inf"})),
    Case(gated.lstm_cell_jacobian_norms,
         lambda r: dict(params=(p := gated.lstm_init(2, 3, 2, seed=0)),
                        trace_or_xs=gated.lstm_forward(p, _seq(r, 4)), path="full"),
         {"params": "lstm_params", "trace_or_xs": "lstm_trace", "path": "name"},
         frozenset({"-inf"})),
    Case(gated.gated_decay_curve, lambda r: dict(cell="gru", forget_bias=None, n_hidden=3, T=8,
                                                 seed=0, input_scale=1.0, loss="mse", n_in=1,
                                                 n_out=1),
         {"cell": "name", "forget_bias": "real", "n_hidden": "int", "T": "int", "seed": "int",
          "input_scale": POS, "n_in": "int"}, frozenset({"-inf"})),
    # clipping
    Case(clipping.clip_by_norm, lambda r: dict(grads=_grads(r), threshold=0.5),
         {"grads": "rnn_params", "threshold": POS}, frozenset({"inf"})),
    Case(clipping.clip_by_norm, lambda r: dict(grads=r.standard_normal((3, 2)), threshold=0.5),
         {"grads": "array", "threshold": POS}, frozenset({"inf"})),
    Case(clipping.clip_by_value, lambda r: dict(grads=_grads(r), limit=0.5),
         {"grads": "rnn_params", "limit": POS}),
    Case(clipping.cliff_loss, lambda r: dict(w=r.uniform(-5, 5, 3), b=r.uniform(-5, 5, (2, 1)),
                                             steps=10, x0=0.5, target=0.7),
         {"w": "array", "b": "array", "steps": "int", "x0": "real", "target": "real"}),
    Case(clipping.cliff_grad, lambda r: dict(w=float(r.uniform(-5, 5)), b=0.1, steps=10,
                                             x0=0.5, target=0.7),
         {"w": "real", "b": "real", "steps": "int", "x0": "real", "target": "real"}),
    Case(clipping.cliff_grad, lambda r: dict(w=r.uniform(-5, 5, 3), b=0.1, steps=10, x0=0.5,
                                             target=0.7),
         {"w": "array", "b": "array", "steps": "int", "target": "real"}),
    Case(clipping.cliff_descent, lambda r: dict(w0=1.0, b0=0.0, lr=0.1, steps=5, clip=1.0,
                                                model_steps=10, x0=0.5, target=0.7),
         {"w0": "real", "b0": "real", "lr": POS, "steps": "int", "clip": POS,
          "model_steps": "int", "x0": "real", "target": "real"}),
    # skip
    Case(skip.skip_forward, lambda r: dict(params=_rnn(r), W_d=0.3 * r.standard_normal((3, 3)),
                                           d=2, xs=_seq(r), activation="tanh", s0=None),
         {"params": "rnn_params", "W_d": "array", "d": "int", "xs": "array", "s0": "array"}),
    Case(skip.skip_decay, lambda r: dict(params=_rnn(r), W_d=0.3 * r.standard_normal((3, 3)),
                                         d=2, xs=_seq(r), targets=r.standard_normal((5, 2)),
                                         activation="relu", loss="mse", s0=None),
         {"params": "rnn_params", "W_d": "array", "d": "int", "xs": "array",
          "targets": "array", "loss": "name", "s0": "array"}, frozenset({"-inf"})),
    Case(skip.skip_decay_curve, lambda r: dict(spectral_radius=0.9, d=3, skip_radius=0.5,
                                               activation="tanh", n_hidden=3, T=10,
                                               kind="gaussian", seed=0, input_scale=1.0),
         {"spectral_radius": POS, "d": "int", "skip_radius": POS, "activation": "name",
          "n_hidden": "int", "T": "int", "seed": "int", "input_scale": POS},
         frozenset({"-inf"})),
    # leaky units, echo-state networks, the Cayley recurrence
    Case(leaky.leaky_forward, lambda r: dict(params=_rnn(r), alpha=r.uniform(0.1, 1, 3),
                                             xs=_seq(r), activation="tanh", s0=None),
         {"params": "rnn_params", "alpha": "array", "xs": "array", "activation": "name",
          "s0": "array"}),
    Case(leaky.leaky_bptt, lambda r: dict(rnn_call(r), alpha=float(r.uniform(0.1, 1))),
         {"params": "rnn_params", "alpha": "real", "xs": "array", "targets": "array",
          "mask": "array", "loss": "name", "s0": "array"}),
    Case(leaky.leaky_decay, lambda r: dict(params=_rnn(r), alpha=0.5, xs=_seq(r),
                                           targets=r.standard_normal((5, 2)),
                                           activation="tanh", loss="mse", s0=None),
         {"params": "rnn_params", "alpha": "real", "xs": "array", "targets": "array",
          "loss": "name", "s0": "array"}, frozenset({"-inf"})),
    Case(leaky.leaky_decay_curve, lambda r: dict(spectral_radius=0.9, alpha=0.3, n_hidden=3,
                                                 T=10, seed=0, input_scale=1.0),
         {"spectral_radius": POS, "alpha": "real", "n_hidden": "int", "T": "int",
          "seed": "int", "input_scale": POS}, frozenset({"-inf"})),
    Case(esn.reservoir, lambda r: dict(n_hidden=4, spectral_radius=0.9, n_in=2,
                                       input_scale=0.5, seed=1),
         {"n_hidden": "int", "spectral_radius": POS, "n_in": "int", "input_scale": POS,
          "seed": "int"}),
    Case(esn.esn_states, lambda r: dict(W_s=0.3 * r.standard_normal((3, 3)),
                                        W_in=r.standard_normal((3, 2)), us=_seq(r), s0=None),
         {"W_s": "array", "W_in": "array", "us": "array", "s0": "array"}),
    Case(esn.ridge_readout, lambda r: dict(states=r.standard_normal((12, 3)),
                                           targets=r.standard_normal((12, 2)), reg=0.1),
         {"states": "array", "targets": "array", "reg": POS}),
    Case(esn.memory_curve, lambda r: dict(spectral_radius=0.9, n_hidden=4, max_delay=5,
                                          T_train=40, T_test=20, washout=10, seed=0),
         {"spectral_radius": POS, "n_hidden": "int", "max_delay": "int", "T_train": "int",
          "T_test": "int", "washout": "int", "seed": "int"}),
    Case(orthogonal.cayley, lambda r: dict(A=orthogonal.skew(r.standard_normal((3, 3)))),
         {"A": "array"}),
    Case(orthogonal.cayley_grad, lambda r: dict(A=orthogonal.skew(r.standard_normal((3, 3))),
                                                G_W=r.standard_normal((3, 3))),
         {"A": "array", "G_W": "array"}),
    Case(orthogonal.skew, lambda r: dict(M=r.standard_normal((3, 3))), {"M": "array"}),
    Case(orthogonal.cayley_init, lambda r: dict(n_in=2, n_hidden=3, n_out=1, seed=1, scale=0.5),
         {"n_in": "int", "n_hidden": "int", "n_out": "int", "seed": "int", "scale": POS}),
    Case(orthogonal.cayley_bptt, lambda r: dict(
        _drop(rnn_call(r), "params"), params=orthogonal.cayley_init(2, 3, 2, seed=2)),
         {"params": "rnn_params", "xs": "array", "targets": "array", "mask": "array",
          "loss": "name", "s0": "array"}),
    Case(leaky.leaky_step_jacobians, lambda r: dict(zip(("params", "trace"), _trace(r)),
                                                    alpha=0.5),
         {"params": "rnn_params", "trace": "trace", "alpha": "real"}),
    Case(orthogonal.orthogonality_error, lambda r: dict(W=r.standard_normal((3, 3))),
         {"W": "array"}, frozenset({"inf"})),
    # latching
    Case(latching.fixed_points, lambda r: dict(w=float(r.uniform(-10, 10)), b=float(r.uniform(-5, 5))),
         {"w": "real", "b": "real", "tol": POS}),
    Case(latching.trajectory, lambda r: dict(w=float(r.uniform(0.5, 10)), b=-2.0, x0=0.5, steps=8),
         {"w": "real", "b": "real", "x0": "real", "steps": "int"}),
    Case(latching.noisy_final_states, lambda r: dict(w=8.0, b=-4.0, x0=0.0, steps=5, noise=0.1,
                                                     n=3, seed=1),
         {"w": "real", "b": "real", "x0": "real", "steps": "int", "noise": POS, "n": "int",
          "seed": "int"}),
    Case(latching.bifurcation_biases, lambda r: dict(w=float(r.uniform(4.5, 20))), {"w": "real"}),
    # tasks
    Case(tasks.adding_problem, lambda r: dict(n=2, T=6, seed=1),
         {"n": "int", "T": "int", "seed": "int"}),
    Case(tasks.copy_task, lambda r: dict(n=2, T=3, seed=1),
         {"n": "int", "T": "int", "seed": "int"}),
    Case(tasks.agreement_task, lambda r: dict(n=2, T=5, seed=1, attractors=True),
         {"n": "int", "T": "int", "seed": "int"}),
    Case(tasks.agreement_task, lambda r: dict(n=2, T=6, seed=1, match=0.8, n_attractors=2),
         {"n": "int", "T": "int", "seed": "int", "match": "real", "n_attractors": "int"}),
    Case(tasks.agreement_recency, lambda r: dict(xs=tasks.agreement_task(3, 6, seed=2)[0]),
         {"xs": "array"}),
    Case(tasks.copy_baseline, lambda r: dict(T=5), {"T": "int"}),
    Case(tasks.many_to_one, lambda r: dict(targets=r.standard_normal((3, 1)), T=4),
         {"targets": "array", "T": "int"}),
    Case(tasks.many_to_one, lambda r: dict(targets=r.integers(0, 2, 3), T=4),
         {"targets": "int_array", "T": "int"}),
    # train
    Case(task_batch, lambda r: dict(task="adding", batch_size=2, T=4, seed=0, step=3),
         {"task": "name", "batch_size": "int", "T": "int", "seed": "int", "step": "int"}),
    Case(train.fit, fit_call,
         {"params": "rnn_params", "objective": "objective", "data": "callable",
          "steps": "int", "optimizer": "optimizer", "clip_norm": POS, "clip_value": POS,
          "on_nonfinite": "name", "eval_fn": "eval_fn", "eval_every": "int"}),
    Case(optimizer_step, lambda r: dict(optimizer=train.Adam(0.01), params=_rnn(r),
                                        grads=_grads(r)),
         {"optimizer": "optimizer", "params": "rnn_params", "grads": "rnn_params"}),
    Case(train.SGD, lambda r: dict(lr=0.1), {"lr": POS}),
    Case(train.Momentum, lambda r: dict(lr=0.1, momentum=0.9), {"lr": POS, "momentum": "real"}),
    Case(train.RMSprop, lambda r: dict(lr=0.1, decay=0.9, eps=1e-8),
         {"lr": POS, "decay": "real", "eps": POS}),
    Case(train.Adam, lambda r: dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8),
         {"lr": POS, "beta1": "real", "beta2": "real", "eps": POS}),
    # gradcheck
    Case(gradcheck.numerical_grads,
         lambda r: dict(loss_fn=lambda p: rnn.loss_fn(p, np.ones((2, 1)), np.ones((2, 1))),
                        params=rnn.init(1, 2, 1, seed=0), eps=1e-6),
         {"loss_fn": "loss_fn", "params": "rnn_params", "eps": POS}),
    Case(gradcheck.rel_errors, lambda r: dict(a=_grads(r), b=_grads(r)),
         {"a": "rnn_params", "b": "rnn_params"}),
    Case(gradcheck.max_rel_error, lambda r: dict(a=_grads(r), b=_grads(r)),
         {"a": "rnn_params", "b": "rnn_params"}),
    # params
    Case(ptree.flat, lambda r: dict(p=_rnn(r), name="params"), {"p": "rnn_params"}),
    Case(ptree.global_norm, lambda r: dict(p=_grads(r), name="grads"), {"p": "rnn_params"},
         frozenset({"inf"})),
    Case(ptree.fields, lambda r: dict(p=_grads(r), name="grads"), {"p": "rnn_params"}),
    Case(ptree.check_like, lambda r: dict(value=_grads(r), like=_rnn(r), name="objective"),
         {"value": "rnn_params", "like": "rnn_params"}),
    # seeds
    Case(seeds.study, lambda r: dict(n=3, start=0), {"n": "int", "start": "int"}),
    Case(seeds.summarize, lambda r: dict(values=[1.0, 2.0, 0.5]), {"values": "values"},
         frozenset({"inf", "-inf"})),
    Case(seeds.perturb_start, lambda r: dict(params=_rnn(r)), {"params": "rnn_params"}),
    # experiments' pure helpers
    Case(experiments.config_hash, lambda r: dict(config={"task": "adding", "lr": 0.1}),
         {"config": "mapping"}),
    Case(experiments.make_params, lambda r: dict(model="gru", task="copy", n_hidden=3, seed=0),
         {"model": "name", "task": "name", "n_hidden": "int", "seed": "int"}),
    Case(experiments.baseline, lambda r: dict(task="copy", T=5), {"task": "name", "T": "int"}),
]


# ---- hostile values -------------------------------------------------------------------------

HUGE = (1e300, 1.7e308, -1.7e308)


def _with(a, index, value):
    a = np.array(a, dtype=np.float64)
    if a.size:
        a.flat[index % a.size] = value
    return a


def _scaled(p, factor):
    """A container whose arrays are multiplied by ``factor`` (capped at the float64 limit)."""
    return p.map(lambda a: np.clip(a * 1.0, -1.0, 1.0) * factor)


def _init_false_container(p):
    """A user container with a derived ``init=False`` field (see tests/test_params.py)."""
    return WithDerived(np.array(p.W_x), np.array(p.W_s))


def _broken_container(p, field, value):
    """A hand-built dataclass with ``p``'s fields and one of them replaced by ``value`` (what a
    user's own container may hold; the library's containers refuse it when built)."""
    loose = dataclasses.make_dataclass("Loose", [f.name for f in dataclasses.fields(p)],
                                       frozen=True)
    return loose(**{f.name: value if f.name == field else getattr(p, f.name)
                    for f in dataclasses.fields(p)})


def _broken_trace(trace, field, value):
    return dataclasses.replace(trace, **{field: value})


def mutants(kind: str, valid, rng) -> list:
    """Hostile replacements for an argument of the given kind (its valid value given)."""
    common = [None, "abc", 1 + 2j, object()]
    if kind in ("real", POS):
        return common + [math.nan, math.inf, -math.inf, -1.0, 0.0, *HUGE, 5e-324, True,
                         np.float64(2.0), [1.0], "0.5"]
    if kind == "int":
        return common + [0, -1, 1.5, True, 10**12, 2**70, np.int64(2), "3", math.nan]
    if kind == "name":
        return [None, 3, "", "bogus", "TANH", ["tanh"], b"mse"]
    if kind in ("array", "int_array"):
        a = np.asarray(valid) if valid is not None else rng.standard_normal(3)
        out = common + [
            [], [[1.0, 2.0], [3.0]], np.array([1, "x"], dtype=object),
            a.astype(np.complex128) + 1j, a.astype(object), a.tolist(), a[..., None],
            np.zeros((0,) + a.shape[1:]), np.float64(1.0), np.ones((2, 2, 2, 2)),
            _with(a, int(rng.integers(99)), math.nan), _with(a, int(rng.integers(99)), math.inf),
            np.full(a.shape, rng.choice(HUGE)), a.astype(bool), np.round(a).astype(np.int64),
        ]
        if a.ndim >= 2:
            out.append(np.swapaxes(a, 0, -1))
        if kind == "int_array":
            out += [a * 0 - 1, a * 0 + 10**9, a + 0.5]
        return out
    if kind in ("rnn_params", "lstm_params", "gru_params"):
        p = valid
        other = (gated.lstm_init(2, 3, 2) if kind == "rnn_params" else rnn.init(2, 3, 2))
        first = dataclasses.fields(p)[0].name
        return common + [
            dataclasses.asdict(p), other, rnn.Trace(np.zeros((2, 3)), np.zeros((1, 3)),
                                                    np.zeros((1, 2))),
            *(_scaled(p, f) for f in HUGE), _scaled(p, 0.0),
            _broken_container(p, first, np.asarray(getattr(p, first)) + 1j),
            _broken_container(p, first, getattr(p, first).tolist()),
            _broken_container(p, first, None),
            _broken_container(p, first, np.asarray(getattr(p, first), dtype=object)),
            _init_false_container(rnn.init(2, 3, 2)),
        ]
    if kind == "lstm_trace":
        t, fields = valid, ("states", "cells", "gates")
        return common + [_broken_trace(t, f, v) for f in fields for v in (
            None, "abc", getattr(t, f).tolist(), getattr(t, f).astype(object),
            getattr(t, f) + 1j, getattr(t, f)[:-1], _with(getattr(t, f), 0, math.nan))]
    if kind == "trace":
        t = valid
        return common + [
            _broken_trace(t, "states", None), _broken_trace(t, "preacts", None),
            _broken_trace(t, "preacts", t.preacts.tolist()), _broken_trace(t, "states", "abc"),
            _broken_trace(t, "preacts", t.preacts.astype(object)),
            _broken_trace(t, "preacts", t.preacts + 1j),
            _broken_trace(t, "preacts", t.preacts[:-1]),
            _broken_trace(t, "preacts", _with(t.preacts, 0, math.nan)),
            _broken_trace(t, "preacts", np.full(t.preacts.shape, 1.7e308)),
            _broken_trace(t, "states", t.states[:, None, :]),
        ]
    if kind in ("objective", "loss_fn", "eval_fn", "callable"):
        g = gated.lstm_init(2, 3, 1)
        return [None, 3, "f",
                lambda *a: None, lambda *a: "1.0", lambda *a: math.nan, lambda *a: math.inf,
                lambda *a: (1.0, None), lambda *a: (1.0, g), lambda *a: ("x", a[0]),
                lambda *a: (math.nan, a[0]), lambda *a: 1e308, lambda *a: (1.0, a[0], 2),
                lambda *a: np.ones(2)]  # (an exception a callback raises itself propagates)
    if kind == "optimizer":
        return [None, 3, "adam", train.SGD(1e308), train.Momentum(1e300), train.Adam(1e308),
                train.RMSprop(1e308)]
    if kind == "values":
        return [None, [], [math.nan], ["a"], [1e308, math.inf], 3, [1 + 1j], [True]]
    if kind == "mapping":
        return [None, [1, 2], {1: 2}, "abc", {"a": math.nan}, {"a": object()},
                {1: 2, "b": 3}]
    raise AssertionError(kind)


# ---- one call, classified -------------------------------------------------------------------

def _arrays_in(value, depth=0):
    """Every ndarray reachable from ``value`` (arrays, containers, tuples/lists/dicts)."""
    if depth > 3:
        return []
    if isinstance(value, np.ndarray):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [a for f in dataclasses.fields(value)
                for a in _arrays_in(getattr(value, f.name, None), depth + 1)]
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _arrays_in(v, depth + 1)]
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arrays_in(v, depth + 1)]
    return []


def _numbers(value, depth=0):
    """Every real number and real array reachable from a result."""
    if depth > 4 or isinstance(value, (str, bytes, bool, np.bool_)) or callable(value):
        return []
    if isinstance(value, (int, np.integer)):
        return []  # integers are always finite (a seed may be beyond int64)
    if isinstance(value, (float, np.number)):
        return [np.asarray(value)]
    if isinstance(value, np.ndarray):
        return [value] if value.dtype.kind in "fc" else []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [a for f in dataclasses.fields(value)
                for a in _numbers(getattr(value, f.name), depth + 1)]
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _numbers(v, depth + 1)]
    if isinstance(value, dict):
        return [a for v in value.values() for a in _numbers(v, depth + 1)]
    return []


_PREFIX = re.compile(r"^([A-Za-z_][\w.]*(?:, [A-Za-z_][\w.]*)*):")


def blames_an_argument(exc: BaseException, names: set[str]) -> bool:
    """The message starts ``name: …`` with an argument of the call (``trace.states`` counts
    as ``trace``); a ``FloatingPointError`` may start with the function that overflowed and
    name the argument responsible later in the message."""
    text = str(exc)
    match = _PREFIX.match(text)
    listed = [n.split(".")[0] for n in match.group(1).split(", ")] if match else []
    if any(n in names for n in listed):
        return True
    if isinstance(exc, FloatingPointError):
        return any(re.search(rf"(?<![\w.]){re.escape(n)}\b", text) for n in names)
    return False


def call_once(case: Case, rng) -> tuple[str, str | None]:
    """Build a valid call, mutate 0–3 arguments, call it; return ``(outcome, problem)``."""
    kwargs = case.make(rng)
    parameters = inspect.signature(case.fn).parameters
    names = set(parameters) | case.aliases
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        names |= set(kwargs)  # e.g. rnn.loss_fn(params, xs, targets, **kwargs)
    # arguments that carry the name to blame (activations.get's argname, params.fields' name)
    names |= {kwargs[k] for k in ("name", "argname", "rho_name")
              if k in kwargs and isinstance(kwargs[k], str) and case.kinds.get(k) is None}
    for name in rng.permutation(sorted(case.kinds))[: int(rng.integers(0, 4))]:
        pool = mutants(case.kinds[name], kwargs.get(name), rng)
        kwargs[name] = pool[int(rng.integers(len(pool)))]
    arrays = _arrays_in(list(kwargs.values()))
    before = [a.copy() for a in arrays]
    described = {k: (type(v).__name__, getattr(v, "shape", None)) for k, v in kwargs.items()}
    try:
        result = case.fn(**kwargs)
    except ERRORS as exc:
        outcome = type(exc).__name__
        problem = None if blames_an_argument(exc, names) else (
            f"{outcome} blames none of {sorted(names)}: {exc}")
    except Exception as exc:  # noqa: BLE001 - anything else breaks the contract
        outcome, problem = "other", f"{type(exc).__name__}: {exc}"
    else:
        outcome, problem = "valid", None
        for a in _numbers(result):
            if a.dtype.kind == "c" or np.isnan(a).any():
                problem = "NaN or complex in the result"
            elif (a == np.inf).any() and "inf" not in case.allow:
                problem = "+inf in the result"
            elif (a == -np.inf).any() and "-inf" not in case.allow:
                problem = "-inf in the result"
    for a, b in zip(arrays, before):
        same = (a.shape == b.shape and (np.array_equal(a, b, equal_nan=True)
                                        if a.dtype.kind in "fc" else np.array_equal(a, b)))
        if not same:
            problem = "an input array was changed"
    if problem is not None:
        problem = f"{case.name}({described}): {problem}"
    return outcome, problem


def fuzz(n_calls: int, seed: int) -> tuple[Counter, list[str]]:
    """``n_calls`` seeded calls spread evenly over :data:`CASES`; counts and problems."""
    counts, problems = Counter(), []
    for i in range(n_calls):
        rng = np.random.default_rng([seed, i])
        case = CASES[i % len(CASES)]
        outcome, problem = call_once(case, rng)
        counts[outcome] += 1
        if problem is not None:
            problems.append(f"[seed {seed}, call {i}] {problem}")
    return counts, problems


def _report(counts, problems):
    print(f"fuzz: {sum(counts.values())} calls, " + ", ".join(
        f"{k} {v}" for k, v in sorted(counts.items())))
    assert not problems, "\n".join(problems[:25])


# ---- the tests ------------------------------------------------------------------------------

def test_every_case_is_valid_without_mutation():
    """The factories build valid calls: each returns finite results (the baseline)."""
    for case in CASES:
        result = case.fn(**case.make(np.random.default_rng(0)))
        for a in _numbers(result):
            assert np.isfinite(a).all() or case.allow, case.name


def test_cases_cover_the_kernel_modules():
    modules = {c.fn.__module__ for c in CASES}
    for m in ("rnn", "rtrl", "truncated", "regularizer", "gated", "jacobians", "latching",
              "clipping", "train", "gradcheck", "tasks", "skip", "leaky", "esn", "orthogonal",
              "connectivity", "losses", "activations", "matrices", "seeds", "experiments",
              "params"):
        assert f"bpttlib.{m}" in modules or m == "train", m
    assert len({c.fn for c in CASES}) >= 60


@pytest.mark.parametrize("seed", [0])
def test_fuzz_fast(seed):
    _report(*fuzz(FUZZ_FAST, seed))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_fuzz_slow(seed):
    _report(*fuzz(FUZZ_SLOW // 2, seed))
