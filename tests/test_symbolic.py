"""bpttlib.symbolic: every chain-sum expansion equals sympy's direct derivative, exactly, and the
lambdified gradient equals rnn.bptt on numbers."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

from bpttlib import rnn, symbolic
from bpttlib.gradcheck import max_rel_error

FIELDS = symbolic.FIELDS
STATE_FIELDS = ("W_x", "W_s", "b_s")


# ---- the symbolic identities ----------------------------------------------------------------------

@pytest.mark.parametrize("T", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("activation", ["tanh", "phi"])
def test_chain_sum_equals_direct_derivative_scalar(T, activation):
    m = symbolic.unrolled(T, activation=activation)
    for field in FIELDS:
        e = symbolic.chain_sum(m, field)
        assert len(e) == (T * (T + 1) // 2 if field in STATE_FIELDS else T)
        assert symbolic.verify(m, e), (T, activation, field)


@pytest.mark.parametrize("T", [1, 2, 3, 4])
@pytest.mark.parametrize("activation", ["sigmoid", "relu", "linear"])
def test_chain_sum_equals_direct_derivative_other_activations(T, activation):
    m = symbolic.unrolled(T, activation=activation)
    for field in FIELDS:
        assert symbolic.verify(m, symbolic.chain_sum(m, field)), (T, activation, field)


@pytest.mark.slow
@pytest.mark.parametrize("activation", ["sigmoid", "relu", "linear"])
def test_chain_sum_equals_direct_derivative_T5(activation):
    m = symbolic.unrolled(5, activation=activation)
    for field in FIELDS:
        assert symbolic.verify(m, symbolic.chain_sum(m, field)), (activation, field)


@pytest.mark.parametrize("T", [2, 3])
@pytest.mark.parametrize("activation", ["tanh", "phi"])
def test_chain_sum_elementwise_for_matrices(T, activation):
    m = symbolic.unrolled(T, n_hidden=2, n_in=1, activation=activation)
    for field in FIELDS:
        e = symbolic.chain_sum(m, field)
        value = e.value()
        assert value.shape == getattr(m.params, field).shape
        assert symbolic.is_zero(m, value - symbolic.direct_gradient(m, field)), field


@pytest.mark.slow
def test_chain_sum_elementwise_for_matrices_all_sizes_two():
    m = symbolic.unrolled(2, n_hidden=2, n_in=2, n_out=2, activation="sigmoid")
    for field in FIELDS:
        assert symbolic.verify(m, symbolic.chain_sum(m, field, style="compact")), field


@pytest.mark.parametrize("T", [1, 2, 3])
def test_styles_and_lower_limit_give_the_same_value(T):
    m = symbolic.unrolled(T)
    for field in STATE_FIELDS:
        steps = symbolic.chain_sum(m, field).value()
        compact = symbolic.chain_sum(m, field, style="compact").value()
        from_zero = symbolic.chain_sum(m, field, lower=0)
        assert len(from_zero) == len(symbolic.chain_sum(m, field)) + T
        assert symbolic.is_zero(m, steps - compact)
        assert symbolic.is_zero(m, steps - from_zero.value())


@pytest.mark.parametrize("lower", [0, 1])
@pytest.mark.parametrize("field", STATE_FIELDS)
def test_general_double_sum_written_out_for_T3_equals_direct(lower, field):
    m = symbolic.unrolled(3)
    general = symbolic.general_sum(field, lower=lower)
    terms = general.explicit(3)
    assert len(terms) == sum(t - lower + 1 for t in (1, 2, 3))
    assert symbolic.verify(m, sp.Add(*terms), field)
    assert isinstance(general.expr, sp.Sum)
    assert r"\sum_{t=1}^{T} \sum_{k=%d}^{t}" % lower in general.latex()


def test_terms_ending_in_ds0_vanish():
    m = symbolic.unrolled(3)
    general = symbolic.general_sum("W_x", lower=0)
    for term in general.explicit(3):
        if term.args[-1].num == sp.IndexedBase("s")[0]:
            assert symbolic.evaluate(m, term) == sp.zeros(1, 1)


@pytest.mark.parametrize("field", ["W_s", "W_x", "b_s", "W_y"])
def test_one_loss_term_three_terms(field):
    """The blog post's ∂E_3/∂W_s: three chains for a state weight, one for W_y."""
    m = symbolic.unrolled(3)
    e = symbolic.chain_sum(m, field, t=3, loss_name="E")
    assert len(e) == (3 if field != "W_y" else 1)
    direct = sp.Matrix([[sp.diff(m.step_losses[2], getattr(m.params, field)[0, 0])]])
    assert symbolic.is_zero(m, e.value() - direct)
    assert symbolic.verify(m, e)


@pytest.mark.parametrize("T,field", [(2, "W_x"), (2, "b_s"), (3, "W_s"), (3, "W_x"), (3, "b_s"),
                                     (4, "W_s")])
def test_total_derivative_reading_double_counts(T, field):
    """Reading ∂s_k/∂W as the total derivative counts the earlier chains twice."""
    m = symbolic.unrolled(T)
    e = symbolic.chain_sum(m, field)
    assert not symbolic.verify(m, e, reading="total")
    diff = (e.value(reading="total") - symbolic.direct_gradient(m, field))[0]
    values = {s: v for s, v in zip(sorted(diff.free_symbols, key=str),
                                   np.linspace(0.3, 0.9, len(diff.free_symbols)))}
    assert abs(float(diff.subs(values))) > 1e-6


def test_total_reading_is_harmless_while_no_earlier_chain_carries_the_weight():
    m = symbolic.unrolled(1)
    assert symbolic.verify(m, symbolic.chain_sum(m, "W_x"), reading="total")
    # with s_0 = 0, ds_1/dW_s = 0: the first double-counted W_s chain appears at T = 3
    m2 = symbolic.unrolled(2)
    assert symbolic.verify(m2, symbolic.chain_sum(m2, "W_s"), reading="total")
    m2s = symbolic.unrolled(2, s0="symbols")
    assert not symbolic.verify(m2s, symbolic.chain_sum(m2s, "W_s"), reading="total")


def test_zero_initial_state_kills_the_first_W_s_chain():
    m = symbolic.unrolled(3)
    for term, value in zip(*[symbolic.chain_sum(m, "W_s").terms,
                             symbolic.chain_sum(m, "W_s").term_values()]):
        ends_at_s1 = term.args[-1].num == sp.IndexedBase("s")[1]
        assert (value == 0) == ends_at_s1
    m0 = symbolic.unrolled(3, s0="symbols")
    e0 = symbolic.chain_sum(m0, "W_s")
    assert all(v != 0 for v in e0.term_values())
    assert symbolic.verify(m0, e0)


def test_step_jacobian_has_the_activation_slope():
    m = symbolic.unrolled(3)
    J = symbolic.abbreviate(m, symbolic.evaluate(m, symbolic.P("s_3", "s_2")))
    W_s, s3 = m.params.W_s[0], sp.Symbol("s_3", real=True)
    assert sp.expand(J[0] - W_s * (1 - s3**2)) == 0
    lin = symbolic.unrolled(3, activation="linear")
    assert symbolic.evaluate(lin, symbolic.P("s_3", "s_2"))[0] == lin.params.W_s[0]


def test_jacobian_chain_is_the_product_of_steps():
    m = symbolic.unrolled(3, n_hidden=2)
    chain = symbolic.evaluate(m, symbolic.P("s_3", "s_1"))
    product = symbolic.evaluate(m, symbolic.P("s_3", "s_2") * symbolic.P("s_2", "s_1"))
    assert chain.shape == (2, 2)
    assert symbolic.is_zero(m, chain - product)
    assert symbolic.evaluate(m, symbolic.P("s_2", "s_2")) == sp.eye(2)


def test_many_to_one_mask_keeps_only_the_last_chains():
    m = symbolic.unrolled(4, mask=(0, 0, 0, 1))
    e = symbolic.chain_sum(m, "W_s")
    assert len(e) == 4 and set(e.groups) == {4}
    assert symbolic.verify(m, e)
    last = symbolic.chain_sum(m, "W_s", t=4)
    assert symbolic.is_zero(m, e.value() - last.value())


def test_fractional_mask_is_exact():
    m = symbolic.unrolled(2, mask=(0.5, 2))
    assert m.mask == (sp.Rational(1, 2), sp.Integer(2))
    assert symbolic.verify(m, symbolic.chain_sum(m, "W_x"))


@pytest.mark.parametrize("T,H,O", [(2, 1, 2), (3, 1, 3), pytest.param(2, 2, 2, marks=pytest.mark.slow)])
def test_cross_entropy_chain_sum(T, H, O):
    m = symbolic.unrolled(T, n_hidden=H, n_out=O, loss="xent", classes=list(range(T)))
    for field in FIELDS:
        assert symbolic.verify(m, symbolic.chain_sum(m, field)), field


@pytest.mark.parametrize("field", FIELDS)
def test_parameter_sharing_sums_the_per_step_copies(field):
    m = symbolic.unrolled(3)
    sh = symbolic.sharing(m, field)
    assert sh.holds and len(sh.per_step) == 3
    if field == "W_s":
        # the copy used at step k collects the chains that end at s_k
        e = symbolic.chain_sum(m, "W_s")
        for k in (1, 2, 3):
            terms = [t for t in e.terms if t.args[-1].num == sp.IndexedBase("s")[k]]
            assert symbolic.is_zero(m, symbolic.evaluate(m, sp.Add(*terms)) - sh.per_step[k - 1])


def test_is_zero_is_not_fooled():
    m = symbolic.unrolled(2)
    assert not symbolic.is_zero(m, m.states[2][0])
    assert symbolic.is_zero(m, m.states[2][0] - m.states[2][0])
    assert not symbolic.is_zero(m, symbolic.direct_gradient(m, "W_s"))


def test_unrolled_is_cached_and_shapes():
    a = symbolic.unrolled(3, n_hidden=2, n_in=3, n_out=2)
    assert a is symbolic.unrolled(3, n_hidden=2, n_in=3, n_out=2)
    p = a.params
    assert [x.shape for x in p.arrays()] == [(2, 3), (2, 2), (2, 1), (2, 2), (2, 1)]
    assert len(a.states) == 4 and a.states[0] == sp.zeros(2, 1)
    assert len(p.symbols()) == 6 + 4 + 2 + 4 + 2
    assert len(a.input_symbols()) == 3 * 3 + 3 * 2


# ---- printing -----------------------------------------------------------------------------------

def test_partials_print_like_the_sources():
    assert sp.latex(symbolic.P("s_3", "W_s", immediate=True)) == \
        r"\frac{\partial^{+} {s}_{3}}{\partial W_{s}}"
    assert sp.latex(symbolic.P("L", "W_x")) == r"\frac{\partial L}{\partial W_{x}}"
    assert str(symbolic.P("E_3", "y_3")) == "∂E[3]/∂y[3]"
    term = symbolic.P("L_3", "y_3") * symbolic.P("y_3", "s_3")
    assert [str(f) for f in term.args] == ["∂L[3]/∂y[3]", "∂y[3]/∂s[3]"]  # order kept


def test_expansion_latex_has_one_line_per_loss_step():
    e = symbolic.chain_sum(symbolic.unrolled(3), "W_s", mark_immediate=False)
    text = e.latex()
    assert text.startswith(r"\begin{aligned}") and text.count(r"\\") == 2
    assert r"\partial^{+}" not in text
    assert text.count(r"\frac") == 1 + sum(len(t.args) for t in e.terms) == 1 + 22
    assert e._repr_latex_().startswith("$$")
    assert symbolic.chain_sum(symbolic.unrolled(3), "W_s").latex().count(r"\partial^{+}") == 6
    assert e.latex(per_line=2).count(r"\\") == 2


def test_abbreviate_errors_and_value_table():
    m = symbolic.unrolled(3)
    g = symbolic.abbreviate(m, symbolic.direct_gradient(m, "W_y")[0], errors=True)
    e = [sp.Symbol(f"e_{t}", real=True) for t in (1, 2, 3)]
    s = [sp.Symbol(f"s_{t}", real=True) for t in (1, 2, 3)]
    assert sp.expand(g - 2 * sum(a * b for a, b in zip(e, s))) == 0
    table = symbolic.chain_sum(m, "W_s").value_table()
    assert isinstance(table, symbolic.LatexBlock) and table.count(r"\\") == 5
    assert "e_{3}" in table and table._repr_latex_().startswith("$$")
    with pytest.raises(TypeError, match="errors"):
        symbolic.abbreviate(m, g, errors="yes")
    with pytest.raises(TypeError, match="expr"):
        symbolic.abbreviate(m, "s_1")


def test_abbreviate_generic_phi():
    m = symbolic.unrolled(2, activation="phi")
    g = symbolic.abbreviate(m, symbolic.direct_gradient(m, "W_s"))[0]
    names = {s.name for s in g.free_symbols}
    assert {"s_1", "s_2", "\\phi'_2"} <= names
    assert not g.has(sp.Subs)


# ---- symbolic == numeric ------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "linear", "relu"])
@pytest.mark.parametrize("H,I,O,T", [(1, 1, 1, 4), (2, 1, 1, 3), (2, 2, 2, 2)])
def test_lambdified_gradient_equals_bptt(seed, activation, H, I, O, T):
    m = symbolic.unrolled(T, n_hidden=H, n_in=I, n_out=O, activation=activation)
    rng = np.random.default_rng(seed)
    params = rnn.init(I, H, O, spectral_radius=0.8, seed=seed)
    params = params.map(lambda a: a + 0.1 * rng.standard_normal(a.shape))  # nonzero biases
    xs, d = rng.standard_normal((T, I)), rng.standard_normal((T, O))
    want_loss, want = rnn.bptt(params, xs, d, activation=activation)
    for source in ("direct", "chain"):
        loss, got = symbolic.gradient_function(m, source=source)(params, xs, d)
        assert loss == pytest.approx(want_loss, rel=1e-12)
        assert max_rel_error(got, want) < 1e-12, (source, max_rel_error(got, want))


def test_lambdified_with_initial_state_and_mask():
    m = symbolic.unrolled(3, n_hidden=2, s0="symbols", mask=(0, 0.5, 1))
    rng = np.random.default_rng(3)
    params = rnn.init(1, 2, 1, seed=3).map(lambda a: a + 0.1)
    xs, d, s0 = rng.standard_normal((3, 1)), rng.standard_normal((3, 1)), rng.standard_normal(2)
    want_loss, want = rnn.bptt(params, xs, d, s0=s0, mask=np.array([0, 0.5, 1]))
    loss, got = symbolic.gradient_function(m)(params, xs, d, s0=s0)
    assert loss == pytest.approx(want_loss, rel=1e-12)
    assert max_rel_error(got, want) < 1e-12


def test_lambdified_cross_entropy_equals_bptt():
    m = symbolic.unrolled(3, n_hidden=2, n_out=3, loss="xent", classes=(2, 0, 1))
    rng = np.random.default_rng(4)
    params = rnn.init(1, 2, 3, seed=4)
    xs = rng.standard_normal((3, 1))
    want_loss, want = rnn.bptt(params, xs, np.array([2, 0, 1]), loss="xent")
    loss, got = symbolic.gradient_function(m, source="chain")(params, xs, [2, 0, 1])
    assert loss == pytest.approx(want_loss, rel=1e-12)
    assert max_rel_error(got, want) < 1e-12


# ---- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,exc,word", [
    (dict(T=0), ValueError, "T"),
    (dict(T=13), ValueError, "T"),
    (dict(T=1.5), TypeError, "T"),
    (dict(T=2, activation="softplus"), ValueError, "activation"),
    (dict(T=2, n_hidden=5), ValueError, "n_hidden"),
    (dict(T=2, n_in=0), ValueError, "n_in"),
    (dict(T=2, loss="hinge"), ValueError, "loss"),
    (dict(T=2, mask=(1,)), ValueError, "mask"),
    (dict(T=2, mask=(1, -1)), ValueError, "mask"),
    (dict(T=2, mask="11"), TypeError, "mask"),
    (dict(T=2, mask=(1, "a")), TypeError, "mask"),
    (dict(T=2, loss="xent", classes=(0, 0)), ValueError, "n_out"),
    (dict(T=2, n_out=2, loss="xent"), ValueError, "classes"),
    (dict(T=2, n_out=2, loss="xent", classes=(0, 2)), ValueError, "classes"),
    (dict(T=2, n_out=2, loss="xent", classes=(0.0, 1.0)), TypeError, "classes"),
    (dict(T=2, classes=(0, 1)), ValueError, "classes"),
    (dict(T=2, s0="zeros"), ValueError, "s0"),
])
def test_unrolled_rejects_bad_input(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        symbolic.unrolled(**kwargs)


def test_functions_reject_bad_input():
    m = symbolic.unrolled(2)
    with pytest.raises(TypeError, match="model"):
        symbolic.direct_gradient("model", "W_s")
    with pytest.raises(ValueError, match="field"):
        symbolic.direct_gradient(m, "W_h")
    with pytest.raises(ValueError, match="style"):
        symbolic.chain_sum(m, "W_s", style="short")
    with pytest.raises(ValueError, match="t"):
        symbolic.chain_sum(m, "W_s", t=3)
    with pytest.raises(ValueError, match="lower"):
        symbolic.chain_sum(m, "W_s", lower=2)
    with pytest.raises(ValueError, match="loss_name"):
        symbolic.chain_sum(m, "W_s", loss_name="J")
    with pytest.raises(ValueError, match="field"):
        symbolic.general_sum("W_y")
    with pytest.raises(ValueError, match="reading"):
        symbolic.evaluate(m, symbolic.P("s_2", "s_1"), reading="partial")
    with pytest.raises(TypeError, match="expr"):
        symbolic.evaluate(m, "ds/ds")
    with pytest.raises(ValueError, match="expr"):
        symbolic.evaluate(m, symbolic.P("s_5", "s_1"))
    with pytest.raises(ValueError, match="expr"):
        symbolic.evaluate(m, symbolic.general_sum().summand)
    with pytest.raises(ValueError, match="expr"):
        symbolic.evaluate(m, symbolic.P("s_2", "W_s") + symbolic.P("s_2", "s_1"))
    with pytest.raises(ValueError, match="expr"):
        symbolic.is_zero(m, symbolic.P("s_2", "s_1"))
    with pytest.raises(TypeError, match="expr"):
        symbolic.is_zero(m, 0.0)
    with pytest.raises(ValueError, match="num"):
        symbolic.P("h_3", "s_2")
    with pytest.raises(TypeError, match="den"):
        symbolic.P("s_3", 2)
    with pytest.raises(ValueError, match="expansion"):
        symbolic.verify(symbolic.unrolled(3), symbolic.chain_sum(m, "W_s"))
    with pytest.raises(TypeError, match="W_s"):
        symbolic.SymParams(sp.Matrix([[1]]), [[1]], sp.Matrix([[1]]), sp.Matrix([[1]]),
                           sp.Matrix([[1]]))
    with pytest.raises(ValueError, match="b_s"):
        symbolic.SymParams(*(sp.Matrix([[1]]),) * 2, sp.Matrix([[1], [2]]),
                           *(sp.Matrix([[1]]),) * 2)


def test_gradient_function_rejects_bad_input():
    with pytest.raises(ValueError, match="model"):
        symbolic.gradient_function(symbolic.unrolled(2, activation="phi"))
    m = symbolic.unrolled(2)
    with pytest.raises(ValueError, match="source"):
        symbolic.gradient_function(m, source="numeric")
    f = symbolic.gradient_function(m)
    params, xs, d = rnn.init(1, 1, 1), np.zeros((2, 1)), np.zeros((2, 1))
    with pytest.raises(ValueError, match="params"):
        f(rnn.init(1, 2, 1), xs, d)
    with pytest.raises(TypeError, match="params"):
        f("params", xs, d)
    with pytest.raises(ValueError, match="xs"):
        f(params, np.zeros((3, 1)), d)
    with pytest.raises(ValueError, match="targets"):
        f(params, xs, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="s0"):
        f(params, xs, d, s0=np.zeros(1))


def test_import_bpttlib_does_not_load_sympy():
    code = "import sys, bpttlib; assert 'sympy' not in sys.modules, 'sympy loaded'"
    subprocess.run([sys.executable, "-c", code], check=True)
