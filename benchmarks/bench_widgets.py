"""Benchmark of the live dashboards of ``bpttlib.widgets``, one slider step at a time.

Run ``python benchmarks/bench_widgets.py``. One slider change = the ``observe`` callback
recomputing its data, updating the figure and sending the changed traces to its view (the path
a reader's slider takes in JupyterLab, Binder or Colab, minus the browser). Targets: the
gradient-decay dashboard median <= 20 ms at H = 128, T = 200; the cliff dashboard <= 15 ms per
threshold step. Prints medians and ratios; decides nothing.

BLAS threads are left as a reader's kernel has them (not pinned); the settings are printed.
"""

from __future__ import annotations

import itertools

import numpy as np

from _timing import fmt, median_time, row, threads_report
from bpttlib import clipping, jacobians, viz, widgets

TARGET = 0.020  # seconds per slider change
CLIFF_TARGET = 0.015  # seconds per threshold step of the cliff dashboard
#: 40 distinct positions of the cliff dashboard's log slider: every step is a new threshold.
THETAS = np.round(10 ** np.arange(-1.5, 0.5, 0.05), 6)


def slider_change(explorer, name, values):
    """A callable that moves control ``name`` to the next of ``values`` (always a change)."""
    cycle = itertools.cycle(values)
    control = explorer.controls[name]

    def move():
        control.value = next(cycle)

    return move


def main() -> None:
    print(threads_report())
    H, T = 128, 200
    ex = widgets.decay_explorer(spectral_radius=1.0, activation="tanh", n_hidden=H, T=T)
    radii = np.round(np.arange(0.5, 1.5001, 0.01), 2)
    print(f"decay_explorer, H={H} T={T}, Gaussian W_s")
    t_rho = median_time(slider_change(ex, "spectral_radius", radii), repeat=101, warmup=5)
    row("spectral-radius slider change", t_rho,
        f"median; {t_rho / TARGET:.2f} x the 20 ms target")
    t_act = median_time(slider_change(ex, "activation", ["sigmoid", "relu", "linear", "tanh"]),
                        repeat=41, warmup=4)
    row("activation dropdown change", t_act, f"{t_act / TARGET:.2f} x target")

    ex.controls["activation"].value = "tanh"
    rho = iter(itertools.cycle(radii))
    t_kernel = median_time(lambda: jacobians.decay_curve(next(rho), "tanh", n_hidden=H, T=T),
                           repeat=101, warmup=5)
    curve = jacobians.decay_curve(1.1, "tanh", n_hidden=H, T=T)
    t_line = median_time(lambda: viz.decay_line(curve), repeat=101, warmup=5)
    row("  of which jacobians.decay_curve", t_kernel, f"{t_kernel / t_rho:.0%} of a change")
    row("  of which viz.decay_line", t_line, f"{t_line / t_rho:.0%} of a change")
    row("  of which the figure update and message", max(t_rho - t_kernel - t_line, 0.0),
        "(the rest)")

    print("extremes (information only)")
    for act in ("tanh", "sigmoid", "relu", "linear"):
        big = widgets.decay_explorer(spectral_radius=3.0, activation=act, n_hidden=H, T=1000)
        t_big = median_time(slider_change(big, "spectral_radius", [2.9, 3.0]), repeat=11,
                            warmup=2)
        row(f"{act}, rho 2.9 <-> 3.0, T=1000", t_big, f"{t_big / TARGET:.2f} x target")
    print(f"verdict: median {fmt(t_rho)} per slider change at H={H}, T={T} "
          f"({'within' if t_rho <= TARGET else 'OVER'} the 20 ms target)")

    print("the other dashboards, one slider step each (book defaults)")
    others = {}
    cases = [
        ("power_explorer, w", lambda: widgets.power_explorer(), "w",
         np.round(np.arange(0.5, 1.5001, 0.01), 2)),
        ("truncation_explorer, k (cached sweep)", lambda: widgets.truncation_explorer(), "k",
         list(range(1, 30))),
        ("cliff_explorer, threshold", lambda: widgets.cliff_explorer(), "clip", THETAS),
        ("cliff_explorer, learning rate", lambda: widgets.cliff_explorer(), "lr",
         [1.0, 2.0, 3.0, 5.0]),
        ("gated_decay_explorer, forget bias", lambda: widgets.gated_decay_explorer(),
         "forget_bias", [0.0, 1.0, 2.0, 3.0]),
        ("skip_explorer, d", lambda: widgets.skip_explorer(), "d", [5, 10, 20, 40]),
    ]
    for label, make, name, values in cases:
        others[label] = median_time(slider_change(make(), name, values), repeat=41, warmup=4)
        row(label, others[label], f"{others[label] / t_rho:.2f} x the decay dashboard")
    t_cliff = others["cliff_explorer, threshold"]
    theta = iter(itertools.cycle(THETAS))
    t_kernel = median_time(lambda: clipping.cliff_descent(4.0, -4.0, lr=3.0, steps=60,
                                                          clip=next(theta)), repeat=41, warmup=4)
    row("  of which clipping.cliff_descent", t_kernel, f"{t_kernel / t_cliff:.0%} of a step")
    print(f"verdict: cliff dashboard median {fmt(t_cliff)} per threshold step "
          f"({'within' if t_cliff <= CLIFF_TARGET else 'OVER'} the 15 ms target)")


if __name__ == "__main__":
    main()
