"""Benchmark of bpttlib.rtrl: forward mode (RTRL) against backward mode (rnn.bptt).

Run ``python benchmarks/bench_rtrl.py``. Prints medians and ratios; decides nothing.
BLAS/OpenMP are pinned to ONE thread (OMP_NUM_THREADS and threadpoolctl), as in the other
benchmarks; the settings in force are printed.

Three tables: the memory crossover (the shortest T at which BPTT holds more floats than
RTRL, from the counts of ``rtrl.cost``); measured wall time of one gradient at several H and T
with the RTRL/BPTT ratio next to the counted ratio of multiply-adds; and the growth exponents
of RTRL's time in H (expect about 4 once the H^4 sensitivity update dominates) and in T (1).
"""

from __future__ import annotations

import _timing  # noqa: I001  (must come first: pins threads before numpy is imported)

_timing.pin_single_thread()

import numpy as np  # noqa: E402

from bpttlib import gradcheck, rnn, rtrl  # noqa: E402
from _timing import fit_exponent, fmt, median_time, row  # noqa: E402

I, O = 1, 1


def problem(H, T, seed=0):
    rng = np.random.default_rng(seed)
    p = rnn.init(I, H, O, spectral_radius=0.9, seed=seed)
    return p, rng.standard_normal((T, I)), rng.standard_normal((T, O))


def bench_memory():
    print(f"memory crossover (counts): BPTT holds (T+1)H + TI floats, RTRL H + H^2(H+I+1); I={I}")
    for H in (4, 8, 16, 32, 64, 128):
        T_x = rtrl.crossover_T(H, I)
        print(f"  H={H:<4d} BPTT holds more than RTRL from T = {T_x:>6d}   (H^2 = {H * H}; "
              f"RTRL {rtrl.cost('rtrl', H, I, O, 1).floats:_} floats)")


def bench_time():
    print("one gradient, tanh + mse, no batch: median wall time")
    for H in (4, 8, 16, 32, 64):
        for T in (50, 200) if H < 64 else (50,):
            p, xs, ds = problem(H, T)
            err = gradcheck.max_rel_error(rtrl.rtrl(p, xs, ds)[1], rnn.bptt(p, xs, ds)[1])
            assert err < 1e-10, err
            repeat = 7 if H >= 32 else 11
            t_b = median_time(lambda: rnn.bptt(p, xs, ds), repeat=repeat, min_time=0.01)
            t_r = median_time(lambda: rtrl.rtrl(p, xs, ds), repeat=repeat, warmup=1)
            counted = (rtrl.cost("rtrl", H, I, O, T).multiply_adds
                       / rtrl.cost("bptt", H, I, O, T).multiply_adds)
            row(f"H={H} T={T} rtrl", t_r, f"= {t_r / t_b:6.1f} x bptt ({fmt(t_b)}); counted "
                f"multiply-adds {counted:7.1f} x")


def bench_growth():
    Hs, T = [24, 48, 72, 96], 20      # large enough for the H^4 update to dominate
    times = [median_time(lambda: rtrl.rtrl(*problem(H, T)), repeat=5, warmup=1) for H in Hs]
    print(f"rtrl growth in H at T={T}: exponent {fit_exponent(Hs, times):.2f} (counted: "
          f"{fit_exponent(Hs, [rtrl.cost('rtrl', H, I, O, T).multiply_adds for H in Hs]):.2f})")
    Ts, H = [50, 100, 200, 400], 16
    times = [median_time(lambda: rtrl.rtrl(*problem(H, T_)), repeat=5, warmup=1) for T_ in Ts]
    print(f"rtrl growth in T at H={H}: exponent {fit_exponent(Ts, times):.2f} (expect 1)")


def main():
    print(f"threads: {_timing.threads_report()}")
    print(f"numpy {np.__version__}")
    bench_memory()
    bench_time()
    bench_growth()


if __name__ == "__main__":
    main()
