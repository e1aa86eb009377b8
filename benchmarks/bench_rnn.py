"""Benchmark of bpttlib.rnn: BPTT vs forward, the O(T²) chain sum, scaling in T, and PyTorch.

Run ``python benchmarks/bench_rnn.py``. Prints medians and ratios; decides nothing.
BLAS/OpenMP are pinned to ONE thread (OMP_NUM_THREADS and threadpoolctl for numpy,
``torch.set_num_threads(1)``) so that numpy and torch are compared like for like; the settings in
force are printed.
"""

from __future__ import annotations

import _timing  # noqa: I001  (must come first: pins threads before numpy is imported)

_timing.pin_single_thread()

import numpy as np  # noqa: E402

from bpttlib import gradcheck, jacobians, rnn  # noqa: E402
from _timing import fit_exponent, fmt, median_time, row  # noqa: E402

B, T, I, H, O = 32, 100, 32, 128, 32


def problem(T=T, B=B, I=I, H=H, O=O, seed=0):
    rng = np.random.default_rng(seed)
    p = rnn.init(I, H, O, spectral_radius=0.9, seed=seed)
    xs = rng.standard_normal((T, B, I))
    ds = rng.standard_normal((T, B, O))
    return p, xs, ds


def bench_bptt():
    print(f"bptt, tanh + mse, B={B} T={T} I={I} H={H} O={O}")
    p, xs, ds = problem()
    t_fwd = median_time(lambda: rnn.forward(p, xs), repeat=21)
    t_bptt = median_time(lambda: rnn.bptt(p, xs, ds), repeat=21)
    t_trunc = median_time(lambda: rnn.bptt(p, xs, ds, truncate=10), repeat=11)
    row("forward", t_fwd)
    row("bptt (forward + loss + backward)", t_bptt, f"= {t_bptt / t_fwd:.2f} x forward")
    row("bptt truncate=10", t_trunc, f"= {t_trunc / t_fwd:.2f} x forward")
    return p, xs, ds, t_bptt


def bench_chain_sum():
    print("bptt_chain_sum (explicit Jacobian chains), tanh + mse, B=2 I=4 H=8 O=4")
    sizes, times = [25, 50, 100], []
    for Tn in sizes:
        p, xs, ds = problem(T=Tn, B=2, I=4, H=8, O=4)
        t_cs = median_time(lambda: rnn.bptt_chain_sum(p, xs, ds), repeat=3, warmup=1)
        t_b = median_time(lambda: rnn.bptt(p, xs, ds), repeat=11)
        times.append(t_cs)
        row(f"T={Tn}", t_cs, f"= {t_cs / t_b:.0f} x bptt ({fmt(t_b)})")
    print(f"  log-log exponent in T: {fit_exponent(sizes, times):.2f} (expect about 2)")


def bench_scaling():
    print(f"bptt scaling in T, B={B} H={H}")
    sizes, times = [50, 100, 200, 400, 800], []
    for Tn in sizes:
        p, xs, ds = problem(T=Tn)
        t = median_time(lambda: rnn.bptt(p, xs, ds), repeat=7)
        times.append(t)
        row(f"T={Tn}", t, f"{t / Tn * 1e6:.0f} µs per step")
    print(f"  log-log exponent in T: {fit_exponent(sizes, times):.2f} (expect about 1)")


def bench_torch(p, xs, ds, t_bptt):
    try:
        import torch
    except ImportError:
        print("PyTorch: not installed, comparison skipped (pip install torch==2.13.0 in a "
              "separate venv to run it)")
        return
    torch.set_num_threads(1)
    print(f"PyTorch {torch.__version__} autograd, float64, torch threads: "
          f"{torch.get_num_threads()}")
    W_x, W_s, b_s, W_y, b_y = (torch.tensor(a, dtype=torch.float64, requires_grad=True)
                               for a in p.arrays())
    leaves = (W_x, W_s, b_s, W_y, b_y)
    X, D = torch.from_numpy(xs), torch.from_numpy(ds)

    def torch_manual():
        for w in leaves:
            w.grad = None
        U = X @ W_x.T + b_s
        s = torch.zeros(B, H, dtype=torch.float64)
        states = []
        for t in range(T):
            s = torch.tanh(U[t] + s @ W_s.T)
            states.append(s)
        Y = torch.stack(states) @ W_y.T + b_y
        loss = ((Y - D) ** 2).sum() / B
        loss.backward()
        return loss.item(), [w.grad.numpy() for w in leaves]

    cell = torch.nn.RNN(I, H, nonlinearity="tanh", batch_first=False).double()
    head = torch.nn.Linear(H, O).double()
    with torch.no_grad():
        cell.weight_ih_l0.copy_(W_x)
        cell.weight_hh_l0.copy_(W_s)
        cell.bias_ih_l0.copy_(b_s)
        cell.bias_hh_l0.zero_()
        head.weight.copy_(W_y)
        head.bias.copy_(b_y)
    mods = list(cell.parameters()) + list(head.parameters())

    def torch_nn_rnn():
        for w in mods:
            w.grad = None
        out, _ = cell(X)
        loss = ((head(out) - D) ** 2).sum() / B
        loss.backward()
        return loss.item()

    value, grads = rnn.bptt(p, xs, ds)
    tv, tg = torch_manual()
    err = gradcheck.max_rel_error(grads, rnn.RNNParams(*tg))
    print(f"  same loss: {abs(value - tv) / abs(value):.1e} rel; same gradients: max rel "
          f"error {err:.1e}")
    t_manual = median_time(torch_manual, repeat=21)
    t_nn = median_time(torch_nn_rnn, repeat=21)
    row("torch autograd, hand-written loop", t_manual,
        f"bpttlib is {t_manual / t_bptt:.2f} x faster")
    row("torch.nn.RNN + Linear (fused C++ loop)", t_nn, f"bpttlib is {t_nn / t_bptt:.2f} x faster")


def bench_decay_curve():
    print("jacobians.decay_curve (the book's slider), log-space, one sequence")
    for act in ("tanh", "relu"):
        for H_, T_, rho in ((128, 200, 1.3), (128, 1000, 3.0)):
            t = median_time(lambda: jacobians.decay_curve(rho, act, n_hidden=H_, T=T_), repeat=11)
            row(f"{act} H={H_} T={T_} rho={rho}", t)


def main():
    print(f"threads: {_timing.threads_report()}")
    print(f"numpy {np.__version__}")
    p, xs, ds, t_bptt = bench_bptt()
    bench_torch(p, xs, ds, t_bptt)
    bench_chain_sum()
    bench_scaling()
    bench_decay_curve()


if __name__ == "__main__":
    main()
