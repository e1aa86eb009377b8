"""Benchmark of bpttlib.gated (LSTM/GRU BPTT) against the forward pass and PyTorch autograd.

Run ``python benchmarks/bench_gated.py``. Prints medians and ratios; decides nothing.
BLAS/OpenMP are pinned to ONE thread (OMP_NUM_THREADS and threadpoolctl for numpy,
``torch.set_num_threads(1)``) so that numpy and torch are compared like for like; the
settings in force are printed. Our code and torch's are timed in interleaved rounds, so that a
change of load on a shared machine hits both alike. The same weights are loaded into
``torch.nn.LSTM``/``torch.nn.GRU`` and the outputs and gradients are compared as well.
"""

from __future__ import annotations

import _timing  # noqa: I001  (must come first: pins threads before numpy is imported)

_timing.pin_single_thread()

import os  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from bpttlib import clipping, gated  # noqa: E402
from _timing import fmt, median_time, row, threads_report  # noqa: E402

B, T, I, H, O = 32, 100, 32, 128, 32
ROUNDS = 21


def problem(cell, seed=0):
    rng = np.random.default_rng(seed)
    init = gated.lstm_init if cell == "lstm" else gated.gru_init
    p = init(I, H, O, seed=seed)
    xs = rng.standard_normal((T, B, I))
    ds = rng.standard_normal((T, B, O))
    return p, xs, ds


def interleaved(fns, rounds=ROUNDS, warmup=2):
    """Median wall and CPU (process) time of each function, called in turn once per round.

    On a shared machine the wall time also counts the time the process waited for a core; the
    CPU time does not, so it is the steadier figure when the load changes (everything here runs
    on one thread, so the two agree on an idle machine).
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    wall = {name: [] for name in fns}
    cpu = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - w0)
            cpu[name].append(time.process_time() - c0)
    med = {name: float(np.median(s)) for name, s in wall.items()}
    med.update({f"{name} cpu": float(np.median(s)) for name, s in cpu.items()})
    return med


def load_report():
    """The 1-minute load average (a busy machine inflates every wall time)."""
    try:
        with open("/proc/loadavg") as f:
            return f"load average: {f.read().split()[0]} on {os.cpu_count()} cpus"
    except OSError:
        return "load average: unknown"


def bench_ours():
    for cell in ("lstm", "gru"):
        p, xs, ds = problem(cell)
        fwd = gated.lstm_forward if cell == "lstm" else gated.gru_forward
        bptt = gated.lstm_bptt if cell == "lstm" else gated.gru_bptt
        t = interleaved({"forward": lambda: fwd(p, xs), "bptt": lambda: bptt(p, xs, ds)})
        print(f"{cell}_bptt, mse, B={B} T={T} I={I} H={H} O={O} (median wall time; cpu time)")
        row("forward", t["forward"], f"cpu {fmt(t['forward cpu'])}")
        row("bptt (forward + loss + backward)", t["bptt"],
            f"cpu {fmt(t['bptt cpu'])}; = {t['bptt'] / t['forward']:.2f} x forward "
            f"(cpu {t['bptt cpu'] / t['forward cpu']:.2f} x)")


def torch_model(torch, cell, p, dtype):
    """A one-layer torch.nn.LSTM/GRU and output layer holding the weights of ``p``."""
    if cell == "lstm":
        m = torch.nn.LSTM(I, H)
        biases = (p.b, np.zeros(4 * H))
    else:
        m = torch.nn.GRU(I, H)
        biases = (p.b_x, p.b_h)
    lin = torch.nn.Linear(H, O)
    m, lin = m.to(dtype), lin.to(dtype)
    with torch.no_grad():
        for name, value in zip(("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"),
                               (p.W_x, p.W_h, *biases)):
            getattr(m, name).copy_(torch.tensor(value))
        lin.weight.copy_(torch.tensor(p.W_y))
        lin.bias.copy_(torch.tensor(p.b_y))
    return m, lin


def bench_torch():
    try:
        import torch
    except ImportError:
        print("PyTorch: not installed, comparison skipped (pip install torch==2.13.0 in a "
              "separate venv to run it)")
        return
    torch.set_num_threads(1)
    print(f"PyTorch {torch.__version__} autograd (nn.LSTM / nn.GRU + Linear + mse), "
          f"torch threads: {torch.get_num_threads()}")
    for cell in ("lstm", "gru"):
        p, xs, ds = problem(cell)
        bptt = gated.lstm_bptt if cell == "lstm" else gated.gru_bptt
        fns = {"ours": lambda: bptt(p, xs, ds)}
        for dtype in (torch.float64, torch.float32):
            m, lin = torch_model(torch, cell, p, dtype)
            X, D = torch.tensor(xs, dtype=dtype), torch.tensor(ds, dtype=dtype)

            def step(m=m, lin=lin, X=X, D=D):
                m.zero_grad(set_to_none=True)
                lin.zero_grad(set_to_none=True)
                out, _ = m(X)
                loss = ((lin(out) - D) ** 2).sum() / B
                loss.backward()
                return loss

            fns[str(dtype).replace("torch.", "torch ")] = step
        t = interleaved(fns)
        print(f"  {cell}: forward + backward, B={B} T={T} I={I} H={H} O={O} "
              f"(median wall time; cpu time)")
        row("ours (numpy float64)", t["ours"], f"cpu {fmt(t['ours cpu'])}")
        for name in ("torch float64", "torch float32"):
            speed, speed_cpu = t[name] / t["ours"], t[name + " cpu"] / t["ours cpu"]
            row(name, t[name], f"cpu {fmt(t[name + ' cpu'])}; ours is {speed:.2f} x faster "
                f"(cpu {speed_cpu:.2f} x)")

        # the same weights in torch: outputs and gradients must agree
        m, lin = torch_model(torch, cell, p, torch.float64)
        out, _ = m(torch.tensor(xs))
        ys = lin(out)
        loss = ((ys - torch.tensor(ds)) ** 2).sum() / B
        loss.backward()
        fwd = gated.lstm_forward if cell == "lstm" else gated.gru_forward
        value, grads = bptt(p, xs, ds)
        d_out = np.abs(fwd(p, xs).outputs - ys.detach().numpy()).max()
        d_grad = max(np.abs(grads.W_x - m.weight_ih_l0.grad.numpy()).max(),
                     np.abs(grads.W_h - m.weight_hh_l0.grad.numpy()).max(),
                     np.abs(grads.W_y - lin.weight.grad.numpy()).max())
        print(f"  {cell} vs torch float64, same weights: max |Δy| = {d_out:.1e}, "
              f"|Δloss| / loss = {abs(value - loss.item()) / loss.item():.1e}, "
              f"max |Δgrad| (W_x, W_h, W_y) = {d_grad:.1e}")


def bench_tools():
    print("gradient-flow tools (one sequence)")
    p = gated.lstm_init(1, 32, 1, forget_bias=1.0)
    xs = np.random.default_rng(0).standard_normal((200, 1))
    row("lstm_cell_jacobian_norms H=32 T=200 full", median_time(
        lambda: gated.lstm_cell_jacobian_norms(p, xs), repeat=7))
    row("gated_decay_curve lstm H=32 T=200", median_time(
        lambda: gated.gated_decay_curve("lstm", T=200), repeat=7))
    w = np.linspace(-10, 20, 400)[None, :]
    b = np.linspace(-10, 6, 400)[:, None]
    row("cliff_loss on a 400 x 400 grid", median_time(lambda: clipping.cliff_loss(w, b), repeat=5))
    row("cliff_grad on a 400 x 400 grid", median_time(lambda: clipping.cliff_grad(w, b), repeat=5))


def main():
    print(threads_report())
    print(load_report())
    bench_ours()
    bench_torch()
    bench_tools()
    print(load_report(), "(at the end)")


if __name__ == "__main__":
    main()
