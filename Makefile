# Gradients Through Time — every target bootstraps .venv from the pinned requirements when needed.
#   make book    clean HTML build into _build/html (warnings are errors, every page re-executed)
#   make test    unit tests, chapter execution, the book build and the browser tests
#   make lab     JupyterLab on the chapters (.md files open as notebooks)
#   make serve   serve _build/html on http://127.0.0.1:$(PORT)
#   make bench   benchmarks (medians and ratios; never part of make test); bench_browser.py
#                measures the built book (_build/html) in Chromium: bytes, time to ready, repaint
#   make experiments  the long training runs behind Part III (writes their data files)
#   make colab   regenerate the .ipynb twins of the chapters (Colab/Binder launch targets)
#   make clean   remove build outputs (keeps .venv; `make distclean` removes it too)

PYTHON ?= python3
# The book's matrices are small: with two BLAS threads on a busy two-core machine a 400-step
# training run took 60 s instead of 4.8 s with one (measured). OpenBLAS also reads the generic
# OMP_NUM_THREADS; no OPENBLAS_* variable is set here (some machines set those for correctness).
export OMP_NUM_THREADS ?= 1
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000
JB_FLAGS := --all -W -n --keep-going

.PHONY: book test lab serve bench colab clean distclean venv system-deps experiments

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml sphinx_ext/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/jupytext-config --settings-file $(VENV)/etc/jupyter/labconfig/default_setting_overrides.json \
		set-default-viewer markdown myst >/dev/null
	@touch $(STAMP)

book: $(STAMP)
	rm -rf _build/html _build/.doctrees _build/jupyter_execute
	$(BIN)/jupyter-book build . $(JB_FLAGS)

system-deps:
	@bash tools/system-deps.sh

# One pytest worker per core (pytest-xdist): the book's build and the tests that read it run in
# one worker, the other modules share the rest (tests/conftest.py makes the units of work).
PYTEST_WORKERS ?= auto

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

lab: $(STAMP)
	$(BIN)/jupyter lab book/

serve:
	@test -f _build/html/index.html || { echo "no book yet: run 'make book' first"; exit 1; }
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

bench: $(STAMP)
	@$(BIN)/python -c "import torch" 2>/dev/null || \
		$(BIN)/python -m pip install --quiet torch==2.13.0 || \
		echo "torch not installable here: the torch comparisons will be skipped"
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

experiments: $(STAMP)
	$(BIN)/python experiments/run.py --jobs 2

colab: $(STAMP)
	$(BIN)/python tools/colab.py

clean:
	rm -rf _build .pytest_cache .hypothesis

distclean: clean
	rm -rf $(VENV)
