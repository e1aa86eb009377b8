"""Figure builders: data in, ``plotly.graph_objects.Figure`` out.

Nothing here computes a gradient (the kernels do, and ``bpttlib.sweeps`` runs them over the
grids a figure needs) and nothing calls ``.show()``: a chapter displays the returned figure, a
test inspects it. Figures that must work in the static book without a kernel carry their own
precomputed states in plotly's ``sliders``/``updatemenus``; each state is the output of the
builder's *traces function*, which the live dashboards of :mod:`bpttlib.widgets` apply too.

Labels use plotly's HTML subset (``‖∂s<sub>t</sub>/∂s<sub>k</sub>‖``), not LaTeX: plotly
draws LaTeX only with MathJax in the page, and the book's pages load none when their equations
are typeset at build time (gtt_sphinx.mathtex). One module per part of the book:

- ``_style``: the registered plotly template, the palette, axis titles and labels;
- ``_controls``: kernel-free slider steps, rounding and axis ranges;
- ``lines``: line figures and the slider over curves; ``unrolled``, ``rtrl``: Part I;
- ``jacobians``, ``decay``, ``latching``, ``language``: Part II; ``truncation``, ``clipping``,
  ``gated``, ``experiments``, ``diagrams``, ``connectivity``, ``remedies``: Part III.
"""

from __future__ import annotations

from ..sweeps import (RECURRENT_FIELDS, DecayGrid, RTRLCosts, TruncationSweep, decay_grid,
                      gated_decay_curves, rtrl_costs, truncation_sweep)
from ._controls import SLIDER_DIGITS, apply_state, rounded
from ._style import (ACTIVATION_COLORS, BASELINE_COLOR, DECAY_Y_TITLE, DISTANCE_TITLE,
                     GATED_Y_TITLE, GRAPH_COLORS, MODEL_COLORS, MODEL_LABELS, PALETTE,
                     REMEDY_COLORS, TEMPLATE)
from .clipping import (cliff_figure, cliff_layout, cliff_raw_traces, cliff_traces,
                       clip_cosine_figure)
from .clipping import alignment_figure, study_curves_figure
from .connectivity import connectivity_figure
from .diagrams import DIAGRAM_CELLS, cell_diagram, diagram_parts
from .decay import (DECAY_DIGITS, DecayLine, by_lag_figure, decay_curve_figure,
                    decay_curve_layout, decay_curve_traces, decay_figure, decay_grid_figure,
                    decay_line, float64_limit_marks, notes_annotation)
from .experiments import final_ratio_figure, learning_curves_figure, training_figure
from .gated import (GATED_MODELS, cell_path_figure, gated_decay_figure, gated_decay_layout,
                    gated_decay_traces, skip_figure, skip_layout, skip_traces)
from .jacobians import (POWER_W_RANGE, activation_figure, power_figure, power_layout,
                        power_traces)
from .language import agreement_figure
from .latching import latching_figure, sentence_figure
from .lines import compare_slider_figure, curve_traces, lines_figure, slider_figure
from .rtrl import rtrl_cost_figure
from .remedies import leaky_decay_figure, memory_capacity_figure, orthogonality_figure
from .truncation import (reach_figure, truncation_figure, truncation_layout,
                         truncation_sweep_traces, truncation_traces)
from .truncation import randomized_figure
from .unrolled import GRAPH_ROWS, chain_traces, cost_figure, graph_counts, unrolled_graph

__all__ = [
    # Part I
    "unrolled_graph", "chain_traces", "graph_counts", "cost_figure", "GRAPH_ROWS",
    "GRAPH_COLORS", "RTRLCosts", "rtrl_costs", "rtrl_cost_figure",
    # Part II
    "activation_figure", "power_figure", "power_traces", "power_layout", "POWER_W_RANGE",
    "DecayGrid", "decay_grid", "decay_grid_figure", "DECAY_DIGITS", "DecayLine", "decay_line",
    "float64_limit_marks", "notes_annotation", "decay_figure", "decay_curve_figure",
    "decay_curve_traces", "decay_curve_layout", "by_lag_figure",
    "latching_figure", "sentence_figure", "agreement_figure",
    # Part III
    "TruncationSweep", "truncation_sweep", "RECURRENT_FIELDS", "truncation_traces",
    "truncation_sweep_traces", "truncation_layout", "truncation_figure", "reach_figure",
    "cliff_traces", "cliff_raw_traces", "cliff_layout", "cliff_figure", "clip_cosine_figure",
    "training_figure", "gated_decay_curves", "GATED_MODELS", "gated_decay_traces",
    "gated_decay_layout", "gated_decay_figure", "cell_path_figure", "skip_traces", "skip_layout",
    "skip_figure", "learning_curves_figure",
    "final_ratio_figure", "leaky_decay_figure", "memory_capacity_figure",
    "orthogonality_figure",
    "randomized_figure", "alignment_figure", "study_curves_figure", "cell_diagram", "diagram_parts", "DIAGRAM_CELLS",
    "connectivity_figure",
    # general line figures
    "lines_figure", "slider_figure", "compare_slider_figure", "curve_traces",
    # style and rounding
    "TEMPLATE", "PALETTE", "ACTIVATION_COLORS", "MODEL_COLORS", "MODEL_LABELS",
    "BASELINE_COLOR", "REMEDY_COLORS", "DISTANCE_TITLE", "DECAY_Y_TITLE", "GATED_Y_TITLE",
    "SLIDER_DIGITS", "rounded", "apply_state",
]
