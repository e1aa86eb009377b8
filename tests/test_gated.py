"""Tests for bpttlib.gated: LSTM/GRU forward against a plain loop, exact BPTT against central
differences, the cell Jacobian and the gradient-decay curves against brute force."""

import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpttlib import gated, gradcheck, losses
from bpttlib.gated import GRUParams, LSTMParams

I, H, O = 2, 3, 3
CELLS = ("lstm", "gru")


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def ref_lstm(p, xs, h, c):
    """One sequence, one step at a time, straight from the equations (eq-lstm)."""
    hs, cs, ys = [h], [c], []
    for x in xs:
        z = p.W_x @ x + p.W_h @ h + p.b
        i, f, g, o = _sig(z[:H]), _sig(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), _sig(z[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
        ys.append(p.W_y @ h + p.b_y)
    return np.array(hs), np.array(cs), np.array(ys)


def ref_gru(p, xs, h):
    """One sequence, one step at a time, straight from the equations (eq-gru)."""
    hs, ys = [h], []
    for x in xs:
        gx, gh = p.W_x @ x + p.b_x, p.W_h @ h + p.b_h
        r, z = _sig(gx[:H] + gh[:H]), _sig(gx[H:2 * H] + gh[H:2 * H])
        n = np.tanh(gx[2 * H:] + r * gh[2 * H:])
        h = (1 - z) * n + z * h
        hs.append(h)
        ys.append(p.W_y @ h + p.b_y)
    return np.array(hs), np.array(ys)


def make_params(cell, seed=0, gain=2.0):
    """Small random weights, scaled up so that the gates leave their linear regime."""
    p = gated.lstm_init(I, H, O, seed=seed) if cell == "lstm" else gated.gru_init(I, H, O, seed=seed)
    return p.map(lambda a: gain * a)


def make_case(cell, loss="mse", batched=False, masked=False, with_h0=False, T=4, B=3, seed=0):
    rng = np.random.default_rng(seed)
    p = make_params(cell, seed)
    lead = (T, B) if batched else (T,)
    xs = rng.standard_normal((*lead, I))
    targets = rng.standard_normal((*lead, O)) if loss == "mse" else rng.integers(0, O, lead)
    kw = {"loss": loss, "mask": rng.uniform(0.2, 1.5, lead) if masked else None}
    if with_h0:
        state = (B, H) if batched else (H,)
        kw["h0"] = 0.5 * rng.standard_normal(state)
        if cell == "lstm":
            kw["c0"] = rng.standard_normal(state)
    return p, xs, targets, kw


def bptt(cell):
    return gated.lstm_bptt if cell == "lstm" else gated.gru_bptt


# ---- forward ------------------------------------------------------------------------------------

@pytest.mark.parametrize("batched", [False, True])
def test_lstm_forward_matches_plain_loop(batched):
    rng = np.random.default_rng(1)
    p = make_params("lstm", 1)
    T, B = 6, 2
    xs = rng.standard_normal((T, B, I) if batched else (T, I))
    h0, c0 = rng.standard_normal((2, B, H) if batched else (2, H))
    tr = gated.lstm_forward(p, xs, h0=h0, c0=c0)
    lead = (B,) if batched else ()
    assert tr.states.shape == (T + 1, *lead, H) and tr.cells.shape == (T + 1, *lead, H)
    assert tr.gates.shape == (T, *lead, 4 * H) and tr.outputs.shape == (T, *lead, O)
    for b in range(B if batched else 1):
        pick = (slice(None), b) if batched else (slice(None),)
        hs, cs, ys = ref_lstm(p, xs[pick], h0[b] if batched else h0, c0[b] if batched else c0)
        assert_allclose(tr.states[pick], hs, rtol=1e-13, atol=1e-15)
        assert_allclose(tr.cells[pick], cs, rtol=1e-13, atol=1e-15)
        assert_allclose(tr.outputs[pick], ys, rtol=1e-13, atol=1e-15)
    gates = tr.gates.reshape(T, -1, 4 * H)
    assert_allclose(gates[..., H:2 * H] * tr.cells[:-1].reshape(T, -1, H)
                    + gates[..., :H] * gates[..., 2 * H:3 * H],
                    tr.cells[1:].reshape(T, -1, H), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("batched", [False, True])
def test_gru_forward_matches_plain_loop(batched):
    rng = np.random.default_rng(2)
    p = make_params("gru", 2)
    T, B = 6, 2
    xs = rng.standard_normal((T, B, I) if batched else (T, I))
    h0 = rng.standard_normal((B, H) if batched else (H,))
    tr = gated.gru_forward(p, xs, h0=h0)
    lead = (B,) if batched else ()
    assert tr.states.shape == (T + 1, *lead, H) and tr.gates.shape == (T, *lead, 3 * H)
    for b in range(B if batched else 1):
        pick = (slice(None), b) if batched else (slice(None),)
        hs, ys = ref_gru(p, xs[pick], h0[b] if batched else h0)
        assert_allclose(tr.states[pick], hs, rtol=1e-13, atol=1e-15)
        assert_allclose(tr.outputs[pick], ys, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("cell", CELLS)
def test_default_initial_state_is_zero_and_shared_h0_broadcasts(cell):
    rng = np.random.default_rng(3)
    p = make_params(cell)
    xs = rng.standard_normal((5, 2, I))
    fwd = gated.lstm_forward if cell == "lstm" else gated.gru_forward
    tr = fwd(p, xs)
    assert_allclose(tr.states[0], 0.0, atol=0)
    h0 = rng.standard_normal(H)
    shared, full = fwd(p, xs, h0=h0), fwd(p, xs, h0=np.stack([h0, h0]))
    assert_allclose(shared.states, full.states, rtol=0, atol=0)


# ---- gradients ----------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("loss", losses.LOSSES)
@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_bptt_matches_central_differences(cell, loss, batched, masked):
    p, xs, targets, kw = make_case(cell, loss, batched, masked, with_h0=masked)
    value, grads = bptt(cell)(p, xs, targets, **kw)
    assert type(grads) is type(p)
    assert_allclose(value, gated.loss_fn(p, xs, targets, **kw), rtol=1e-14)
    num = gradcheck.numerical_grads(lambda q: gated.loss_fn(q, xs, targets, **kw), p, eps=1e-6)
    # central differences at eps = 1e-6: truncation ~1e-12, rounding ~1e-16 |L| / eps ~ 1e-10
    assert gradcheck.max_rel_error(grads, num) < 1e-7


@pytest.mark.parametrize("cell", CELLS)
def test_bptt_longer_sequence_matches_central_differences(cell):
    # T = 12 with large weights: many saturated gates and long chains
    p, xs, targets, kw = make_case(cell, "xent", batched=True, T=12, B=2, seed=5)
    p = p.map(lambda a: 1.5 * a)
    _, grads = bptt(cell)(p, xs, targets, **kw)
    num = gradcheck.numerical_grads(lambda q: gated.loss_fn(q, xs, targets, **kw), p)
    assert gradcheck.max_rel_error(grads, num) < 1e-7


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("loss", losses.LOSSES)
def test_batch_is_mean_of_single_sequences(cell, loss):
    p, xs, targets, kw = make_case(cell, loss, batched=True, masked=True, seed=7)
    value, grads = bptt(cell)(p, xs, targets, **kw)
    singles = [bptt(cell)(p, xs[:, b], targets[:, b], loss=loss, mask=kw["mask"][:, b])
               for b in range(xs.shape[1])]
    assert_allclose(value, np.mean([s[0] for s in singles]), rtol=1e-13)
    for name, arr in zip((f.name for f in dataclasses.fields(p)), grads.arrays()):
        mean = np.mean([getattr(s[1], name) for s in singles], axis=0)
        assert_allclose(arr, mean, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cell", CELLS)
def test_many_to_one_mask_and_zero_mask(cell):
    p, xs, targets, kw = make_case(cell, "mse", T=6, seed=8)
    last = np.zeros(6)
    last[-1] = 1.0
    value, grads = bptt(cell)(p, xs, targets, mask=last)
    y_T = (gated.lstm_forward if cell == "lstm" else gated.gru_forward)(p, xs).outputs[-1]
    assert_allclose(value, np.sum((y_T - targets[-1]) ** 2), rtol=1e-13)
    zero, zgrads = bptt(cell)(p, xs, targets, mask=np.zeros(6))
    assert zero == 0.0
    for arr in zgrads.arrays():
        assert not arr.any()


# ---- against torch (optional) and a known value -------------------------------------------------

@pytest.mark.parametrize("cell", CELLS)
def test_matches_torch_when_available(cell):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    T, B = 7, 3
    p = make_params(cell, 9)
    xs = rng.standard_normal((T, B, I))
    targets = rng.standard_normal((T, B, O))
    h0 = rng.standard_normal((B, H))
    if cell == "lstm":
        m = torch.nn.LSTM(I, H).double()
        biases = (p.b, np.zeros(4 * H))
        state0 = (torch.tensor(h0)[None], torch.zeros(1, B, H, dtype=torch.float64))
    else:
        m = torch.nn.GRU(I, H).double()
        biases = (p.b_x, p.b_h)
        state0 = torch.tensor(h0)[None]
    with torch.no_grad():
        for name, value in zip(("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"),
                               (p.W_x, p.W_h, *biases)):
            getattr(m, name).copy_(torch.tensor(value))
    out, _ = m(torch.tensor(xs), state0)
    ys = out @ torch.tensor(p.W_y).T + torch.tensor(p.b_y)
    loss = ((ys - torch.tensor(targets)) ** 2).sum() / B
    loss.backward()
    value, grads = bptt(cell)(p, xs, targets, h0=h0)
    assert_allclose(value, loss.item(), rtol=1e-13)
    assert_allclose(grads.W_x, m.weight_ih_l0.grad.numpy(), rtol=1e-10, atol=1e-13)
    assert_allclose(grads.W_h, m.weight_hh_l0.grad.numpy(), rtol=1e-10, atol=1e-13)


# ---- cell Jacobian ------------------------------------------------------------------------------

def _restart_cells(p, xs, trace, k, c_k, h0):
    """c_T after replacing c_k (and the h_k computed from it; h_0 is an input) and re-running."""
    h = h0 if k == 0 else trace.gates[k - 1, 3 * H:] * np.tanh(c_k)
    return ref_lstm(p, xs[k:], h, c_k)[1][-1]


def test_cell_jacobian_full_and_direct_match_brute_force():
    rng = np.random.default_rng(11)
    T = 6
    p = make_params("lstm", 11)
    xs = rng.standard_normal((T, I))
    h0, c0 = rng.standard_normal((2, H))
    tr = gated.lstm_forward(p, xs, h0=h0, c0=c0)
    full = gated.lstm_cell_jacobian_norms(p, xs, h0=h0, c0=c0)
    direct = gated.lstm_cell_jacobian_norms(p, tr, path="direct")
    eps = 1e-6
    for k in range(T + 1):
        J = np.empty((H, H))
        for j in range(H):
            d = np.zeros(H)
            d[j] = eps
            J[:, j] = (_restart_cells(p, xs, tr, k, tr.cells[k] + d, h0)
                       - _restart_cells(p, xs, tr, k, tr.cells[k] - d, h0)) / (2 * eps)
        assert_allclose(full[k], np.log10(np.linalg.norm(J, 2)), atol=1e-8)
        f_prod = np.prod(tr.gates[k:, H:2 * H], axis=0)
        assert_allclose(direct[k], np.log10(f_prod.max()), rtol=1e-13, atol=1e-15)
    assert full[T] == 0.0 and direct[T] == 0.0
    assert_allclose(gated.lstm_cell_jacobian_norms(p, tr), full, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("forget_bias, gain", [(8.0, 1.0), (-4.0, 1.0), (0.0, 6.0)])
def test_cell_jacobian_long_sequence_stays_finite(forget_bias, gain):
    # T = 1000: the products range far outside float64, but the log10 values stay finite
    rng = np.random.default_rng(12)
    p = gated.lstm_init(I, 8, O, seed=12, forget_bias=forget_bias)
    p = dataclasses.replace(p, W_h=gain * p.W_h)
    xs = rng.standard_normal((1000, I))
    for path in ("full", "direct"):
        out = gated.lstm_cell_jacobian_norms(p, xs, path=path)
        assert out.shape == (1001,) and np.isfinite(out).all()
    if forget_bias < 0:
        assert out[0] < -400  # would have underflowed as a plain product


# ---- gradient decay -----------------------------------------------------------------------------

@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("loss", losses.LOSSES)
def test_gated_decay_matches_brute_force(cell, loss):
    rng = np.random.default_rng(13)
    T = 5
    p = make_params(cell, 13)
    xs = rng.standard_normal((T, I))
    targets = rng.standard_normal((T, O)) if loss == "mse" else rng.integers(0, O, T)
    out = gated.gated_decay(p, xs, targets, loss=loss)
    tr = (gated.lstm_forward if cell == "lstm" else gated.gru_forward)(p, xs)
    last = np.zeros(T)
    last[-1] = 1.0

    def L_T(k, h_k):  # the last step's loss after replacing h_k (c_k kept) and re-running
        if cell == "lstm":
            ys = ref_lstm(p, xs[k:], h_k, tr.cells[k])[2]
        else:
            ys = ref_gru(p, xs[k:], h_k)[1]
        if k == T:
            ys = (p.W_y @ h_k + p.b_y)[None]
        return losses.loss_and_grad(loss, ys[-1:], targets[-1:], None)[0]

    eps = 1e-6
    for k in range(T + 1):
        g = np.array([(L_T(k, tr.states[k] + eps * e) - L_T(k, tr.states[k] - eps * e)) / (2 * eps)
                      for e in np.eye(H)])
        assert_allclose(out[k], np.log10(np.linalg.norm(g)), atol=1e-7)


def test_gated_decay_long_sequence_does_not_underflow():
    out = gated.gated_decay_curve("lstm", n_hidden=16, T=3000, seed=1)
    assert np.isfinite(out).all() and out.min() < -330  # below float64's smallest subnormal


def test_forget_bias_keeps_the_gradient_alive():
    curves = {fb: gated.gated_decay_curve("lstm", forget_bias=fb, T=150) for fb in (-2.0, 0.0, 4.0)}
    assert curves[4.0][0] > curves[0.0][0] + 10 > curves[-2.0][0] + 10
    gru = gated.gated_decay_curve("gru", T=150)
    assert gru.shape == (151,) and np.isfinite(gru).all()


# ---- initialisation and containers --------------------------------------------------------------

def test_init_shapes_ranges_seed_and_forget_bias():
    p = gated.lstm_init(5, 7, 3, seed=4)
    shapes = [a.shape for a in p.arrays()]
    assert shapes == [(28, 5), (28, 7), (28,), (3, 7), (3,)]
    for a in p.arrays():
        assert np.abs(a).max() <= 1 / np.sqrt(7)
    assert_allclose(gated.lstm_init(5, 7, 3, seed=4).W_h, p.W_h, rtol=0, atol=0)
    assert not np.allclose(gated.lstm_init(5, 7, 3, seed=5).W_h, p.W_h)
    fb = gated.lstm_init(5, 7, 3, seed=4, forget_bias=1.5)
    assert_allclose(fb.b[7:14], 1.5, rtol=0, atol=0)
    assert_allclose(np.delete(fb.b, np.s_[7:14]), np.delete(p.b, np.s_[7:14]), rtol=0, atol=0)
    g = gated.gru_init(5, 7, 3, seed=4)
    assert [a.shape for a in g.arrays()] == [(21, 5), (21, 7), (21,), (21,), (3, 7), (3,)]


def test_containers_are_immutable_and_map():
    p = gated.lstm_init(2, 3, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.W_h = p.W_h
    with pytest.raises(ValueError):
        p.W_h[0, 0] = 1.0
    q = p.zip_map(lambda a, b: a - 0.5 * b, p)
    assert isinstance(q, LSTMParams)
    assert_allclose(q.W_x, 0.5 * p.W_x, rtol=1e-15)


# ---- validation ---------------------------------------------------------------------------------

def test_container_shape_and_value_errors_name_the_field():
    p = gated.lstm_init(2, 3, 1)
    with pytest.raises(ValueError, match=r"^W_h"):
        dataclasses.replace(p, W_h=np.zeros((12, 4)))
    with pytest.raises(ValueError, match=r"^b:"):
        dataclasses.replace(p, b=np.zeros(9))
    with pytest.raises(ValueError, match=r"^W_y"):
        dataclasses.replace(p, W_y=np.zeros((1, 5)))
    with pytest.raises(ValueError, match=r"^W_x"):
        dataclasses.replace(p, W_x=np.full((12, 2), np.nan))
    g = gated.gru_init(2, 3, 1)
    with pytest.raises(ValueError, match=r"^b_h"):
        dataclasses.replace(g, b_h=np.zeros(12))
    with pytest.raises(TypeError, match=r"^W_x"):
        GRUParams("a", g.W_h, g.b_x, g.b_h, g.W_y, g.b_y)


@pytest.mark.parametrize("cell", CELLS)
def test_bad_arguments_raise_naming_them(cell):
    p, xs, targets, _ = make_case(cell, "mse")
    other = make_params("gru" if cell == "lstm" else "lstm")
    run = bptt(cell)
    with pytest.raises(TypeError, match=r"^params"):
        run(other, xs, targets)
    with pytest.raises(ValueError, match=r"^xs"):
        run(p, np.zeros((4, I + 1)), targets)
    with pytest.raises(ValueError, match=r"^xs"):
        run(p, np.full((4, I), np.inf), targets)
    with pytest.raises(ValueError, match=r"^loss"):
        run(p, xs, targets, loss="hinge")
    with pytest.raises(ValueError, match=r"^targets"):
        run(p, xs, targets[:, :2])
    with pytest.raises(ValueError, match=r"^mask"):
        run(p, xs, targets, mask=np.ones(3))
    with pytest.raises(ValueError, match=r"^h0"):
        run(p, xs, targets, h0=np.zeros(H + 1))
    with pytest.raises(ValueError, match=r"^xs"):
        gated.gated_decay(p, xs[:, None], targets)


def test_jacobian_and_decay_argument_errors():
    p = make_params("lstm")
    xs = np.zeros((4, I))
    with pytest.raises(ValueError, match=r"^path"):
        gated.lstm_cell_jacobian_norms(p, xs, path="cell")
    with pytest.raises(ValueError, match=r"^trace_or_xs"):
        gated.lstm_cell_jacobian_norms(p, np.zeros((4, 2, I)))
    with pytest.raises(ValueError, match=r"^trace_or_xs"):
        gated.lstm_cell_jacobian_norms(p, gated.lstm_forward(p, np.zeros((4, 2, I))))
    with pytest.raises(TypeError, match=r"^params"):
        gated.lstm_cell_jacobian_norms(make_params("gru"), xs)
    with pytest.raises(ValueError, match=r"^c0"):
        gated.gated_decay(make_params("gru"), xs, np.zeros((4, O)), c0=np.zeros(H))
    with pytest.raises(ValueError, match=r"^forget_bias"):
        gated.gated_decay_curve("gru", forget_bias=1.0)
    with pytest.raises(ValueError, match=r"^cell"):
        gated.gated_decay_curve("rnn")


@pytest.mark.parametrize("cell", CELLS)
def test_exploding_gradient_raises_instead_of_returning_inf(cell):
    # zero inputs and biases keep h_t = 0 (and c_t = 0), so every gate sits at its steepest
    # point and the error is multiplied by about ‖W_h‖/4 per step: 10^400 after 200 steps
    p = make_params(cell).map(np.zeros_like)
    rng = np.random.default_rng(14)
    p = dataclasses.replace(p, W_h=1e3 * rng.standard_normal(p.W_h.shape),
                            W_y=rng.standard_normal(p.W_y.shape))
    xs = np.zeros((200, I))
    targets = rng.standard_normal((200, O))
    with pytest.raises(FloatingPointError, match=r"bptt: the gradient of \w+ overflowed"):
        bptt(cell)(p, xs, targets)
    assert np.isfinite(gated.gated_decay(p, xs, targets)).all()  # the log-space tool copes
    huge = dataclasses.replace(p, W_y=np.full(p.W_y.shape, 1e308), W_x=np.ones(p.W_x.shape))
    with pytest.raises(FloatingPointError, match=r"^params: the outputs"):
        (gated.lstm_forward if cell == "lstm" else gated.gru_forward)(huge, xs + 1.0)


@pytest.mark.parametrize("field, value, exc, pattern", [
    ("cells", None, TypeError, r"^trace_or_xs\.cells: expected an array of real numbers"),
    ("gates", "complex", TypeError, r"^trace_or_xs\.gates: .*got dtype complex128"),
    ("gates", "narrow", ValueError, r"^trace_or_xs: expected the trace of one sequence"),
])
def test_hand_built_lstm_traces_are_checked(field, value, exc, pattern):
    """Issue 16 (like rnn.Trace): hand-built fields gave TypeError/IndexError from numpy."""
    p = gated.lstm_init(2, 3, 1, seed=0)
    tr = gated.lstm_forward(p, np.ones((4, 2)))
    value = {"complex": tr.gates + 1j, "narrow": tr.gates[:, :4]}.get(value, value)
    with pytest.raises(exc, match=pattern):
        gated.lstm_cell_jacobian_norms(p, dataclasses.replace(tr, **{field: value}))
    listed = dataclasses.replace(tr, gates=tr.gates.tolist())
    assert_allclose(gated.lstm_cell_jacobian_norms(p, listed),
                    gated.lstm_cell_jacobian_norms(p, tr), rtol=0, atol=0)
