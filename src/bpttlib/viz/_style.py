"""The book's figure style, stated once: the plotly template, the palette, titles and labels.

Every builder of :mod:`bpttlib.viz` (and every live dashboard, which starts from a builder's
figure) takes its colours, axis titles and legend labels from here and lays its figure out with
``frame``.
"""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
import plotly.io as pio

#: The book's palette, by colour name (the first seven of matplotlib's tab10, reordered).
BLUE, RED, GREEN, PURPLE, ORANGE, GREY, CYAN = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#7f7f7f", "#17becf")
#: Colours taken in order by curves that have no colour of their own.
PALETTE = (BLUE, RED, GREEN, PURPLE, ORANGE, GREY, CYAN)

#: Name of the registered plotly template: ``plotly_white`` with ``PALETTE`` as colorway, and
#: tick labels (of axes and colour bars) never hidden for crossing the figure's edge
#: (``ticklabeloverflow="allow"``).
TEMPLATE = "gtt"
_template = go.layout.Template(pio.templates["plotly_white"])
_template.layout.colorway = PALETTE
# plotly's default "hide past div" hides a tick label that crosses the figure's edge, and finds
# out by measuring every tick label's box on every draw: a forced page layout each, a quarter of
# a figure's drawing time in the static book (profiled). The book's margins keep tick labels
# inside the figure (tests/test_browser_reader.py checks it at 1280 and 390 px): no measuring.
_template.layout.xaxis.ticklabeloverflow = "allow"
_template.layout.yaxis.ticklabeloverflow = "allow"
# The same for the colour bars' axes (a colour bar is not under layout.xaxis/yaxis): the book
# draws them on heatmaps, on a shared colour axis and on a scatter trace's markers.
for _colorbar in (_template.layout.coloraxis.colorbar, _template.data.heatmap[0].colorbar,
                  _template.data.contour[0].colorbar, _template.data.scatter[0].marker.colorbar):
    _colorbar.ticklabeloverflow = "allow"
pio.templates[TEMPLATE] = _template

#: The figures' colours on the book's dark theme (its background is ``DARK["paper_bgcolor"]``):
#: the static book's ``gtt-theme.js`` relayouts every figure with these when the reader switches
#: the theme to dark, and back to the light values it read from the drawn figure.
DARK = {
    "paper_bgcolor": "#14181e",   # the theme's own dark background: the figure is not a box
    "plot_bgcolor": "#1b2129",
    "font_color": "#ced6dd",      # the theme's dark text colour
    "grid_color": "#2f3947",
    "line_color": "#5b6778",      # axis and zero lines, ticks
    "control_bgcolor": "#29313d", # slider rail and dropdown background
    "control_active": "#3e4a5b",  # the current dropdown entry, the slider's grip
    "control_border": "#8b96a5", # 3:1 or more on the background (WCAG 1.4.11, UI components)
}
#: A readable variant on ``DARK["paper_bgcolor"]`` of every colour the figures use (each has a
#: contrast ratio of at least 3 against it): the palette's lighter variants, and the greys that
#: mean "faded" on white turned into greys that still mean faded on black. Colours not listed
#: are lightened in the page until they reach the same contrast.
DARK_COLORS = {
    BLUE: "#5aa9e6", RED: "#f2686a", GREEN: "#5cc45c", PURPLE: "#b99ae0",
    ORANGE: "#ffa04d", GREY: "#a3a3a3", CYAN: "#3fd5e3",
    "#555555": "#b5b5b5", "#b0b0b0": "#6b6b6b", "#d0d0d0": "#4a4f57",
    "#000000": "#ced6dd", "black": "#ced6dd", "#444": "#ced6dd", "#444444": "#ced6dd",
}
#: Minimum contrast ratio of a curve's colour against the dark background.
DARK_MIN_CONTRAST = 3.0


def dark_theme() -> dict:
    """The dark values the static book ships to its pages, as one JSON-ready mapping.

    Returns
    -------
    dict
        ``DARK`` plus ``colors`` (``DARK_COLORS``, keys lower-case) and ``min_contrast``.
    """
    return {**DARK, "colors": {k.lower(): v for k, v in DARK_COLORS.items()},
            "min_contrast": DARK_MIN_CONTRAST}


#: One colour per activation (Part II).
ACTIVATION_COLORS = {"tanh": BLUE, "sigmoid": RED, "relu": GREEN, "linear": GREY}
#: One colour per model of the experiments and of the gradient-flow figures (Part III).
MODEL_COLORS = {"rnn": BLUE, "lstm": RED, "gru": GREEN, "orthogonal": PURPLE, "irnn": ORANGE}
#: The memoryless baseline's colour.
BASELINE_COLOR = "#555555"
#: Colours of the truncation and clipping figures.
REMEDY_COLORS = {
    "kept": BLUE,           # chain terms that truncation keeps; the truncated gradient
    "dropped": "#b0b0b0",   # chain terms that truncation drops
    "ratio": PURPLE,        # norm ratio
    "raw": RED,             # no clipping
    "clipped": GREEN,       # norm clipping
    "value": ORANGE,        # value clipping
}
#: Colours of the unrolled graph: one per weight matrix, the loss, and the highlighted chains.
GRAPH_COLORS = {"W_x": GREEN, "W_s": BLUE, "W_y": PURPLE, "loss": GREY, "highlight": ORANGE,
                "faded": "#d0d0d0"}
#: Colours of the cost figure's methods, in order.
COST_COLORS = (RED, BLUE, GREEN, PURPLE)

#: Legend labels of the models (plotly HTML subset), by the names of ``experiments.MODELS``.
MODEL_LABELS = {
    "rnn": "tanh RNN",
    "lstm": "LSTM",
    "gru": "GRU",
    "orthogonal": "tanh RNN, orthogonal W<sub>s</sub>",
    "irnn": "IRNN (ReLU, W<sub>s</sub> = I)",
}
#: Legend label of the skip-connected RNN.
SKIP_LABEL = "with a skip connection from s<sub>t−d</sub>"
#: Legend labels of the LSTM's cell-path figure.
CELL_PATH_LABELS = ("all paths: ‖∂c<sub>T</sub>/∂c<sub>k</sub>‖",
                    "cell path only: ‖∏ diag(f<sub>t</sub>)‖")

DISTANCE_TITLE = "distance T − k (steps)"
DECAY_Y_TITLE = "log<sub>10</sub> ‖∂L<sub>T</sub>/∂s<sub>k</sub>‖"
GATED_Y_TITLE = "log<sub>10</sub> ‖∂L<sub>T</sub>/∂h<sub>k</sub>‖"
CELL_Y_TITLE = "log<sub>10</sub> ‖∂c<sub>T</sub>/∂c<sub>k</sub>‖"

#: A horizontal legend just above the plotting area, left-aligned.
LEGEND_ABOVE = dict(orientation="h", x=0, y=1.02, yanchor="bottom")
#: Below the x-axis title, for a titled figure whose legend would wrap into its title on a
#: phone (390 px): a horizontal legend grows downwards from here, into a margin plotly widens.
LEGEND_BELOW = dict(orientation="h", x=0, y=-0.2, yanchor="top")


def color(name: str, i: int, colors: Mapping[str, str] | None = None) -> str:
    """The colour of curve ``name``, the ``i``-th of its figure.

    Parameters
    ----------
    name : str
        Legend name; an activation name takes its ``ACTIVATION_COLORS`` entry.
    i : int
        Position of the curve, for the palette.
    colors : mapping of str to str, optional
        Colours chosen by the caller (looked up first).

    Returns
    -------
    str
    """
    if colors and name in colors:
        return colors[name]
    return ACTIVATION_COLORS.get(name, PALETTE[i % len(PALETTE)])


#: Room in pixels that plotly's automatic margins give the parts of a figure outside its plotting
#: area (measured in Chromium at the book's desktop width). ``frame`` gives at least this much, so
#: that plotly draws the figure once: a margin too small for its parts is widened, and the whole
#: figure drawn again (29 % of the gated chapter's figure drawing, profiled).
X_AXIS_ROOM = 56   # below: x tick labels and axis title (53 px)
RIGHT_ROOM = 30    # right: half of the last x tick label, centred on the plot's edge (22-26 px)
SLIDER_ROOM = 86   # below a slider's top padding: its label, rail and step labels (82-84 px)


def frame(
    fig: go.Figure,
    *,
    height: int,
    title: str | None = None,
    top: int = 30,
    title_room: int = 30,
    left: int = 70,
    right: int = 20,
    bottom: int = 40,
    **layout,
) -> go.Figure:
    """Lay out ``fig`` in the book's style: template, size and margins (the one place they are set).

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
    height : int
        Figure height in pixels.
    title : str, optional
    top : int, optional
        Top margin without a title; ``title_room`` more with one.
    title_room, left, right, bottom : int, optional
        Margins in pixels.
    **layout
        Further ``layout`` properties.

    Returns
    -------
    plotly.graph_objects.Figure
        ``fig``, updated in place.

    Notes
    -----
    The bottom and right margins are at least ``X_AXIS_ROOM`` and ``RIGHT_ROOM`` when an x axis
    is shown, and the bottom one holds each slider (its top padding plus ``SLIDER_ROOM``).
    """
    fig.update_layout(template=TEMPLATE, title=title, height=height, **layout)
    if any(ax.visible is not False for ax in fig.select_xaxes()):
        bottom, right = max(bottom, X_AXIS_ROOM), max(right, RIGHT_ROOM)
    for slider in fig.layout.sliders:
        bottom = max(bottom, (slider.pad.t or 0) + SLIDER_ROOM)
    fig.update_layout(margin=dict(l=left, r=right, t=top + (title_room if title else 0),
                                  b=bottom))
    return fig


def translucent(color: str, alpha: float) -> str:
    """``"#rrggbb"`` as ``"rgba(r, g, b, alpha)"`` (bands and fills)."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"
