"""``pip install "bpttlib[widgets]"`` into a fresh venv (what a Colab twin's install cell does)
brings everything the dashboards need: every ``bpttlib.widgets.*_explorer`` builds its figure and
its view (an ``anywidget`` widget whose front end, ``plotview.js``, ships in the wheel) and
redraws when a slider moves.

The wheel is built from this checkout; packages come from the machine's pip configuration
(local wheel cache or PyPI).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv

import pytest

from book_support import ROOT

pytestmark = pytest.mark.slow

# Run inside the fresh venv: build each dashboard, move its first slider, report what changed.
PROBE = r"""
import json, time
import anywidget, ipywidgets, plotly.graph_objects as go
import bpttlib.widgets as widgets

out = {}
for name in sorted(n for n in dir(widgets) if n.endswith("_explorer")):
    ex = getattr(widgets, name)()
    assert isinstance(ex.figure, go.Figure) and isinstance(ex.view, anywidget.AnyWidget), name
    assert "export default" in ex.view._esm, name
    before = json.dumps(ex.figure.to_plotly_json()["data"], default=str, sort_keys=True)
    slider = next(c for c in ex.controls.values()
                  if isinstance(c, (ipywidgets.FloatSlider, ipywidgets.IntSlider)))
    target = slider.max if slider.value != slider.max else slider.min
    t0 = time.perf_counter()
    slider.value = target
    seconds = time.perf_counter() - t0
    after = json.dumps(ex.figure.to_plotly_json()["data"], default=str, sort_keys=True)
    out[name] = {"slider": slider.description, "changed": before != after, "seconds": seconds}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("widgets-extra")
    wheels = tmp / "dist"
    # Built from a copy: setuptools leaves build/ and *.egg-info beside the sources.
    source = tmp / "source"
    shutil.copytree(ROOT / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels),
         str(source)],
        check=True, capture_output=True, text=True,
    )
    (wheel,) = wheels.glob("bpttlib-*.whl")
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         f"{wheel}[widgets]"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return python


def test_the_extra_brings_anywidget(fresh_venv):
    proc = subprocess.run([str(fresh_venv), "-m", "pip", "check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
    freeze = subprocess.run([str(fresh_venv), "-m", "pip", "freeze"], capture_output=True,
                            text=True, check=True).stdout.lower()
    for name in ("anywidget", "ipywidgets", "plotly", "numpy", "sympy", "bpttlib"):
        assert name in freeze, f"{name} missing from a fresh `pip install bpttlib[widgets]`"


def test_every_dashboard_builds_and_responds(fresh_venv, tmp_path):
    proc = subprocess.run([str(fresh_venv), "-c", PROBE], capture_output=True, text=True,
                          cwd=tmp_path)  # not the checkout: the installed wheel is imported
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(result) >= 6, result
    for name, r in result.items():
        print(f"{name}: slider {r['slider']!r} redraw {1000 * r['seconds']:.0f} ms")
        assert r["changed"], f"{name}: moving {r['slider']!r} left the figure unchanged"
