"""bpttlib.train: optimizers, the loop, clipping in the loop, divergence, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from bpttlib import gated, rnn, train


def small_rnn(seed=0, rho=0.9):
    return rnn.init(2, 6, 1, spectral_radius=rho, seed=seed)


def fixed_batch(T=6, B=4, seed=0):
    """One adding-problem batch, reused every step (a memorisation problem that must converge)."""
    return train.task_data("adding", batch_size=B, T=T, seed=seed)(0)


def params_norm(p):
    return np.sqrt(sum(np.sum(getattr(p, n) ** 2) for n in ("W_x", "W_s", "b_s", "W_y", "b_y")))


def difference(a, b):
    return a.zip_map(lambda x, y: x - y, b)


@pytest.mark.parametrize(
    "optimizer", [train.SGD(0.05), train.Momentum(0.02), train.RMSprop(0.01), train.Adam(0.02)]
)
def test_every_optimizer_fits_a_fixed_batch(optimizer):
    batch = fixed_batch()
    result = train.fit(small_rnn(), train.rnn_objective(), lambda step: batch, steps=300,
                       optimizer=optimizer)
    assert result.stopped is None
    loss = result.history.loss
    assert loss.shape == (300,)
    assert loss[-1] < 0.1 * loss[0], (loss[0], loss[-1])


def test_sgd_step_is_minus_lr_times_gradient():
    p, batch = small_rnn(), fixed_batch()
    _, g = train.rnn_objective()(p, batch)
    new, _ = train.SGD(0.1).update(p, g, None)
    assert_allclose(new.W_s, p.W_s - 0.1 * g.W_s, rtol=0, atol=1e-15)


def test_adam_first_step_moves_each_weight_by_about_lr():
    p, batch = small_rnn(), fixed_batch()
    _, g = train.rnn_objective()(p, batch)
    opt = train.Adam(1e-3)
    new, _ = opt.update(p, g, opt.init(p))
    step = np.abs(new.W_s - p.W_s)[np.abs(g.W_s) > 1e-6]
    assert_allclose(step, 1e-3, rtol=1e-3)  # bias-corrected first step: lr * g/|g|


def test_norm_clipping_bounds_every_sgd_step():
    batch, lr, theta = fixed_batch(T=30), 0.1, 0.05
    p = rnn.init(2, 6, 1, spectral_radius=1.8, seed=1)
    result = train.fit(p, train.rnn_objective(), lambda s: batch, steps=3,
                       optimizer=train.SGD(lr), clip_norm=theta)
    assert result.history.clipped.all() and (result.history.grad_norm > theta).all()
    one = train.fit(p, train.rnn_objective(), lambda s: batch, steps=1,
                    optimizer=train.SGD(lr), clip_norm=theta)
    assert params_norm(difference(one.params, p)) <= lr * theta * (1 + 1e-12)


def test_value_clipping_in_the_loop_marks_clipped_steps():
    batch = fixed_batch(T=30)
    p = rnn.init(2, 6, 1, spectral_radius=1.8, seed=1)
    result = train.fit(p, train.rnn_objective(), lambda s: batch, steps=2,
                       optimizer=train.SGD(0.1), clip_value=1e-3)
    assert result.history.clipped.all()
    one = train.fit(p, train.rnn_objective(), lambda s: batch, steps=1,
                    optimizer=train.SGD(0.1), clip_value=1e-3)
    rounding = 4 * np.finfo(float).eps * np.max(np.abs(p.W_s))  # of the subtraction itself
    assert np.max(np.abs(one.params.W_s - p.W_s)) <= 0.1 * 1e-3 + rounding


def diverging_run(**kw):
    p = rnn.init(2, 8, 1, spectral_radius=1.5, seed=0)
    data = train.task_data("adding", batch_size=8, T=60, seed=0)
    return train.fit(p, train.rnn_objective(activation="linear"), data, steps=50,
                     optimizer=train.SGD(1.0), **kw)


def test_divergence_stops_with_a_readable_message_and_finite_params():
    result = diverging_run()
    assert result.stopped is not None and "overflowed" in result.stopped
    assert "Clip the gradient" in result.stopped
    assert len(result.history.loss) < 50
    assert all(np.isfinite(a).all() for a in result.params.arrays())
    assert np.isfinite(result.history.loss).all() and np.isfinite(result.history.grad_norm).all()


def test_divergence_can_raise():
    with pytest.raises(train.TrainingDiverged, match="overflowed"):
        diverging_run(on_nonfinite="raise")


def test_clipping_keeps_the_same_run_finite():
    result = diverging_run(clip_norm=1.0)
    assert result.stopped is None and len(result.history.loss) == 50


def test_runs_are_repeatable_and_seeds_differ():
    data = train.task_data("adding", batch_size=4, T=8, seed=3)
    a = train.fit(small_rnn(), train.rnn_objective(), data, steps=20)
    b = train.fit(small_rnn(), train.rnn_objective(), data, steps=20)
    assert_array_equal(a.history.loss, b.history.loss)  # bit-for-bit: same seeds, same run
    other = train.task_data("adding", batch_size=4, T=8, seed=4)
    c = train.fit(small_rnn(), train.rnn_objective(), other, steps=20)
    assert not np.allclose(a.history.loss, c.history.loss)


@pytest.mark.parametrize("task, cell", [("adding", "lstm"), ("copy", "gru"), ("agreement", "lstm")])
def test_gated_objectives_run_on_every_task(task, cell):
    data = train.task_data(task, batch_size=3, T=6, seed=0)
    xs, targets, mask = data(0)
    loss = "mse" if task == "adding" else "xent"
    init = gated.lstm_init if cell == "lstm" else gated.gru_init
    n_out = 1 if task == "adding" else int(np.max(targets)) + 1 if task != "copy" else 10
    p = init(xs.shape[-1], 5, n_out, seed=0)
    objective = train.lstm_objective(loss=loss) if cell == "lstm" else train.gru_objective(loss=loss)
    result = train.fit(p, objective, data, steps=3)
    assert result.stopped is None and result.history.loss.shape == (3,)
    assert (mask is None) == (task == "copy")


def test_progress_bar_runs():
    result = train.fit(small_rnn(), train.rnn_objective(), lambda s: fixed_batch(), steps=3,
                       progress=True)
    assert len(result.history.loss) == 3


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(steps=0), ValueError, "steps"),
        (dict(steps=2.5), TypeError, "steps"),
        (dict(steps=2, optimizer="adam"), TypeError, "optimizer"),
        (dict(steps=2, clip_norm=-1.0), ValueError, "clip_norm"),
        (dict(steps=2, clip_value=0.0), ValueError, "clip_value"),
        (dict(steps=2, on_nonfinite="ignore"), ValueError, "on_nonfinite"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        train.fit(small_rnn(), train.rnn_objective(), lambda s: fixed_batch(), **kwargs)


def test_bad_containers_and_callables_are_named():
    with pytest.raises(TypeError, match="params"):
        train.fit({"W": np.eye(2)}, train.rnn_objective(), lambda s: None, steps=1)
    with pytest.raises(TypeError, match="objective"):
        train.fit(small_rnn(), None, lambda s: None, steps=1)
    with pytest.raises(TypeError, match="data"):
        train.fit(small_rnn(), train.rnn_objective(), [1, 2], steps=1)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: train.SGD(0.0), "lr"),
        (lambda: train.Momentum(0.1, momentum=1.0), "momentum"),
        (lambda: train.RMSprop(0.1, decay=1.5), "decay"),
        (lambda: train.Adam(0.1, beta2=1.0), "beta2"),
        (lambda: train.task_data("parity", batch_size=2, T=5), "task"),
        (lambda: train.task_data("adding", batch_size=0, T=5), "batch_size"),
    ],
)
def test_optimizers_and_data_validate(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


# ---- evaluation on a held-out batch during training ------------------------------------------


def heldout_loss(batch):
    return lambda params: train.rnn_objective()(params, batch)[0]


@pytest.mark.parametrize("steps, every, expected", [
    (10, 4, [0, 4, 8, 10]), (8, 4, [0, 4, 8]), (5, None, [0, 5]), (3, 1, [0, 1, 2, 3]),
    (3, 10, [0, 3]),
])
def test_evaluations_run_at_the_requested_steps(steps, every, expected):
    data = train.task_data("adding", batch_size=4, T=8, seed=3)
    held = train.task_data("adding", batch_size=16, T=8, seed=99)(0)
    result = train.fit(small_rnn(), train.rnn_objective(), data, steps=steps,
                       eval_fn=heldout_loss(held), eval_every=every)
    assert_array_equal(result.history.eval_steps, expected)
    assert result.history.eval_loss.shape == (len(expected),)


def test_evaluations_are_the_loss_of_the_parameters_at_that_step():
    data = train.task_data("adding", batch_size=4, T=8, seed=3)
    held = train.task_data("adding", batch_size=16, T=8, seed=99)(0)
    p0 = small_rnn()
    result = train.fit(p0, train.rnn_objective(), data, steps=6, eval_fn=heldout_loss(held),
                       eval_every=3)
    middle = train.fit(p0, train.rnn_objective(), data, steps=3)
    ev = result.history.eval_loss
    assert_allclose(ev[0], heldout_loss(held)(p0), rtol=1e-14)
    assert_allclose(ev[1], heldout_loss(held)(middle.params), rtol=1e-14)
    assert_allclose(ev[2], heldout_loss(held)(result.params), rtol=1e-14)


def test_evaluation_does_not_change_the_run():
    data = train.task_data("adding", batch_size=4, T=8, seed=3)
    held = train.task_data("adding", batch_size=16, T=8, seed=99)(0)
    plain = train.fit(small_rnn(), train.rnn_objective(), data, steps=12)
    watched = train.fit(small_rnn(), train.rnn_objective(), data, steps=12,
                        eval_fn=heldout_loss(held), eval_every=5)
    assert_array_equal(plain.history.loss, watched.history.loss)
    assert plain.history.eval_steps.size == 0 and plain.history.eval_loss.size == 0


def test_a_stopped_run_is_evaluated_where_it_stopped():
    held = train.task_data("adding", batch_size=8, T=60, seed=9)(0)
    p = rnn.init(2, 8, 1, spectral_radius=1.5, seed=0)
    data = train.task_data("adding", batch_size=8, T=60, seed=0)

    def evaluate(params):
        return rnn.loss_fn(params, held[0], held[1], activation="linear", mask=held[2])

    result = train.fit(p, train.rnn_objective(activation="linear"), data, steps=50,
                       optimizer=train.SGD(1.0), eval_fn=evaluate, eval_every=100)
    assert result.stopped is not None
    done = len(result.history.loss)
    assert_array_equal(result.history.eval_steps, [0, done] if done else [0])
    assert np.isfinite(result.history.eval_loss[0])
    # the parameters the run stopped with overflow the held-out batch too: inf, never NaN
    assert not np.isnan(result.history.eval_loss).any()


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(eval_every=2), ValueError, "eval_every"),
    (dict(eval_fn=3.0), TypeError, "eval_fn"),
    (dict(eval_fn=lambda p: 1.0, eval_every=0), ValueError, "eval_every"),
    (dict(eval_fn=lambda p: 1.0, eval_every=1.5), TypeError, "eval_every"),
    (dict(eval_fn=lambda p: "low"), TypeError, "eval_fn"),
    (dict(eval_fn=lambda p: True), TypeError, "eval_fn"),
])
def test_evaluation_arguments_are_validated(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        train.fit(small_rnn(), train.rnn_objective(), lambda s: fixed_batch(), steps=2, **kwargs)


# ---- issue 16: fit stops cleanly and checks what its callbacks return --------------------------

@pytest.mark.parametrize("optimizer", [train.SGD(1e308), train.Adam(1e308),
                                       train.Momentum(1e300)])
def test_an_overflowing_update_stops_the_run(optimizer):
    """Was: ValueError from the container ("W_s: expected finite values"); the documented stop
    "the update overflowed the parameters" could never run."""
    big = small_rnn().map(lambda a: a + 1e300 * np.sign(a))  # huge steps from the first one
    result = train.fit(big, train.rnn_objective(), lambda s: fixed_batch(), steps=5,
                       optimizer=optimizer)
    if result.stopped is not None:
        assert result.stopped.startswith("step 0: ")
        assert "overflowed" in result.stopped and "Clip the gradient" in result.stopped
        assert all(np.isfinite(a).all() for a in result.params.arrays())
    sgd = train.fit(small_rnn(), train.rnn_objective(), lambda s: fixed_batch(), steps=5,
                    optimizer=train.SGD(1e308))
    assert sgd.stopped == ("step 0: the update overflowed the parameters; the parameters are "
                           "those after step -1. Clip the gradient or lower the learning rate.")
    with pytest.raises(train.TrainingDiverged, match="the update overflowed"):
        train.fit(small_rnn(), train.rnn_objective(), lambda s: fixed_batch(), steps=5,
                  optimizer=train.SGD(1e308), on_nonfinite="raise")


@pytest.mark.parametrize("objective, exc, pattern", [
    (lambda p, b: (1.0, gated.lstm_init(2, 6, 1)), TypeError,
     r"^objective: expected a RNNParams like params, got LSTMParams"),
    (lambda p, b: (1.0, None), TypeError, r"^objective: expected a RNNParams like params"),
    (lambda p, b: ("low", p), TypeError, r"^objective: expected it to return a real number"),
    (lambda p, b: 1.0, TypeError, r"^objective: expected it to return a tuple \(loss, grads\)"),
    (lambda p, b: (1.0, rnn.init(3, 6, 1)), ValueError,
     r"^objective: expected W_x of shape \(6, 2\) like params, got \(6, 3\)"),
])
def test_objective_results_are_checked(objective, exc, pattern):
    """Was: KeyError: 'W_h', numpy broadcasting errors, raw Python errors, or blaming params."""
    with pytest.raises(exc, match=pattern):
        train.fit(small_rnn(), objective, lambda s: fixed_batch(), steps=2)


def test_a_batch_the_objective_rejects_blames_objective_and_data():
    with pytest.raises(TypeError, match=r"^objective, data: .*batch: expected a tuple"):
        train.fit(small_rnn(), train.rnn_objective(), lambda s: fixed_batch()[:2], steps=2)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_eval_fn_must_return_a_finite_number(value):
    """Was: NaN/inf from eval_fn stored silently in history.eval_loss."""
    with pytest.raises(ValueError, match=r"^eval_fn: expected it to return a finite number"):
        train.fit(small_rnn(), train.rnn_objective(), lambda s: fixed_batch(), steps=2,
                  eval_fn=lambda p: value)


@pytest.mark.parametrize("step, exc", [(1.5, TypeError), (-1, ValueError), ("3", TypeError)])
def test_task_data_blames_the_step(step, exc):
    """Was: a non-integer step reported as ``seed``."""
    data = train.task_data("adding", batch_size=2, T=4)
    with pytest.raises(exc, match=r"^step: expected an integer"):
        data(step)


def test_task_registry_is_the_one_in_tasks():
    from bpttlib import experiments, tasks

    for name, spec in tasks.TASKS.items():
        xs, targets, mask = train.task_data(name, batch_size=2, T=6, seed=0)(0)
        assert xs.shape[-1] == spec.n_in and (mask is None) == (not spec.many_to_one)
    for name, info in experiments.TASKS.items():
        spec = tasks.TASKS[name]
        assert (info["n_in"], info["n_out"], info["loss"]) == (spec.n_in, spec.n_out, spec.loss)
        assert info["baseline"](7) == spec.baseline(7)


def test_optimizer_update_checks_grads_against_params():
    p = small_rnn()
    with pytest.raises(TypeError, match=r"^grads: expected a RNNParams like params"):
        train.SGD(0.1).update(p, None, None)
    with pytest.raises(ValueError, match=r"^grads: expected W_x of shape"):
        train.Adam(0.1).update(p, rnn.init(3, 6, 1), train.Adam(0.1).init(p))
