"""Text alternatives for the static book's plotly figures, written from the figure's own data.

A plotly figure is an SVG of tick labels and paths: a screen reader gets nothing useful from it.
:func:`describe` turns the figure JSON into a few sentences (what kind of chart, its title, each
axis with its title and range, the curves' names, and the kernel-free slider and dropdowns with
their values), and :func:`with_text_alternative` puts them in the page next to the figure's div:

- the div becomes ``role="figure"`` named by the figure's title (``aria-label``) and described
  by a visually hidden paragraph (``aria-describedby``) holding the sentences;
- not ``role="img"``: an image's children are presentational, and the figure's slider and
  dropdown are made keyboard-operable by ``assets/gtt-a11y.js``, so they must stay in the
  accessibility tree (axe's ``nested-interactive`` rule says the same).

Called from :func:`gtt_sphinx.plotly_mime.figure_div` at build time; no JavaScript is needed
for the text to be there.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

#: The class of the visually hidden description (styled by ``assets/gtt-reader.css``).
HIDDEN_CLASS = "gtt-sr-only"

_TAG = re.compile(r"<[^>]+>")
_KIND = {"bar": "bar chart", "heatmap": "heat map", "contour": "contour plot",
         "histogram": "histogram", "scatter3d": "3-D plot", "surface": "surface plot"}


def plain(text: object) -> str:
    """Plotly's HTML subset (``<sub>``, ``<br>``, entities) as plain text."""
    if text is None:
        return ""
    if isinstance(text, dict):
        text = text.get("text")
    text = str(text or "").replace("<br>", " ").replace("<br />", " ")
    text = text.replace("<sub>", "_").replace("<sup>", "^")  # "L<sub>T</sub>" reads "L_T"
    text = _TAG.sub("", text)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def number(value: float) -> str:
    """A value as a reader would say it: at most four significant digits."""
    if value == 0:
        return "0"
    if abs(value) >= 1e5 or abs(value) < 1e-3:
        return f"{value:.3g}"
    text = f"{value:.4g}"
    return text.replace("-", "−")


def _finite(values: Any) -> list[float]:
    out = []
    if not isinstance(values, (list, tuple)):
        return out
    for v in values:
        if isinstance(v, (list, tuple)):
            out.extend(_finite(v))
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            out.append(float(v))
    return out


def _axis_names(layout: dict, letter: str) -> list[str]:
    """``xaxis``, ``xaxis2``, … present in the layout or referenced by a trace, in order."""
    names = {k for k in layout if re.fullmatch(fr"{letter}axis\d*", k)}
    names.add(f"{letter}axis")
    return sorted(names, key=lambda n: int(n[5:] or 1))


def _trace_axis(trace: dict, letter: str) -> str:
    ref = trace.get(f"{letter}axis") or letter
    return f"{letter}axis{ref[1:]}"


def _axis_sentence(name: str, axis: dict, traces: list[dict], letter: str) -> str | None:
    mine = [t for t in traces if _trace_axis(t, letter) == name]
    title = plain(axis.get("title"))
    rng = axis.get("range")
    values = [] if rng else [v for t in mine for v in _finite(t.get(letter))]
    if axis.get("visible") is False or (not title and not values and not rng):
        return None
    label = f"{letter} axis" + (f" “{title}”" if title else "")
    if rng and len(rng) == 2 and all(isinstance(v, (int, float)) for v in rng):
        lo, hi = sorted(float(v) for v in rng)
        if axis.get("type") == "log":  # plotly gives a log axis' range in decades
            return f"{label}, from 10^{number(lo)} to 10^{number(hi)} (log scale)"
        return f"{label}, from {number(lo)} to {number(hi)}"
    if values:
        return f"{label}, from {number(min(values))} to {number(max(values))}" + (
            " (log scale)" if axis.get("type") == "log" else "")
    return label


def _kind(traces: list[dict]) -> str:
    kinds = []
    for t in traces:
        kind = t.get("type", "scatter")
        if kind == "scatter":
            mode = t.get("mode", "lines")
            kind = "line chart" if "lines" in mode else "scatter plot"
        else:
            kind = _KIND.get(kind, f"{kind} chart")
        if kind not in kinds:
            kinds.append(kind)
    return " and ".join(kinds[:2]) or "chart"


def _names(traces: list[dict]) -> list[str]:
    names = []
    for t in traces:
        name = plain(t.get("name"))
        if name and t.get("showlegend", True) is not False and name not in names:
            names.append(name)
    return names


def _slider_sentence(slider: dict) -> str | None:
    steps = [s for s in slider.get("steps") or [] if s.get("visible", True) is not False]
    if not steps:
        return None
    prefix = plain((slider.get("currentvalue") or {}).get("prefix")).rstrip(" =:")
    labels = [plain(s.get("label", "")) for s in steps]
    active = min(int(slider.get("active") or 0), len(steps) - 1)
    what = f"“{prefix}”" if prefix else "the shown state"
    return (f"A slider sets {what}, in {len(steps)} steps from {labels[0]} to {labels[-1]}; "
            f"it starts at {labels[active]}.")


def _menu_sentence(menu: dict, label: str | None) -> str | None:
    buttons = [plain(b.get("label", "")) for b in menu.get("buttons") or []
               if b.get("visible", True) is not False]
    if not buttons:
        return None
    active = menu.get("active", 0) or 0
    what = f"“{label}”" if label else "what is shown"
    kind = "A dropdown" if menu.get("type", "dropdown") == "dropdown" else "A row of buttons"
    shown = f"; it starts at {buttons[active]}" if 0 <= active < len(buttons) else ""
    return f"{kind} chooses {what}: {', '.join(buttons)}{shown}."


def describe(figure: dict[str, Any]) -> str:
    """A few plain sentences saying what ``figure`` shows and how it can be changed.

    Parameters
    ----------
    figure : dict
        A plotly figure as JSON (``data``, ``layout``; as plotly's mime output carries it).

    Returns
    -------
    str
        E.g. "Line chart: “title”. x axis “distance T − k (steps)”, from 0 to 60; y axis …
        Curves: tanh, bound. A slider sets “spectral radius ρ”, in 12 steps from 0.50 to 3.00;
        it starts at 1.00."
    """
    if not isinstance(figure, dict):
        raise TypeError(f"figure: expected a plotly figure as a dict, got {type(figure).__name__}")
    layout = figure.get("layout") or {}
    traces = [t for t in figure.get("data") or [] if isinstance(t, dict)]
    title = plain(layout.get("title"))
    kind = _kind(traces)
    parts = [f"{kind[0].upper()}{kind[1:]}" + (f": “{title}”." if title else ".")]
    axes = []
    for letter in ("x", "y"):
        for name in _axis_names(layout, letter):
            sentence = _axis_sentence(name, layout.get(name) or {}, traces, letter)
            if sentence:
                axes.append(sentence)
    if axes:
        panels = len(_axis_names(layout, "x"))
        lead = f"{panels} panels. " if panels > 1 else ""
        parts.append(lead + "; ".join(axes) + ".")
    if not axes:  # a diagram (hidden axes): say what its labels are
        parts[0] = "Diagram" + (f": “{title}”." if title else ".")
        labels = []
        for t in traces:
            texts = t.get("text")
            for text in texts if isinstance(texts, list) else [texts]:
                text = plain(text)
                if text and text not in labels:
                    labels.append(text)
        for note in layout.get("annotations") or []:
            text = plain(note.get("text"))
            if text and text not in labels:
                labels.append(text)
        if labels:
            more = f" and {len(labels) - 16} more" if len(labels) > 16 else ""
            parts.append("Its labels: " + ", ".join(labels[:16]) + more + ".")
    names = _names(traces)
    if names:
        parts.append(("Curves: " if len(names) > 1 else "Curve: ") + "; ".join(names) + ".")
    for slider in layout.get("sliders") or []:
        sentence = _slider_sentence(slider)
        if sentence:
            parts.append(sentence)
    labels = [plain(a.get("text")) for a in layout.get("annotations") or []]
    for i, menu in enumerate(layout.get("updatemenus") or []):
        # The figure's builders label a dropdown with an annotation beside it.
        label = labels[i] if i < len(labels) and len(labels[i]) < 40 else None
        sentence = _menu_sentence(menu, label)
        if sentence:
            parts.append(sentence)
    return " ".join(parts)


def title_of(figure: dict[str, Any]) -> str:
    """The figure's accessible name: its title, or the start of its description."""
    title = plain((figure.get("layout") or {}).get("title"))
    return title or describe(figure).split(".")[0]


def with_text_alternative(figure: dict[str, Any], div_id: str, markup: str) -> str:
    """Add the text alternative of ``figure`` to the figure's HTML ``markup``.

    Parameters
    ----------
    figure : dict
        The plotly figure JSON.
    div_id : str
        The id of the figure's ``<div class="gtt-plotly">`` in ``markup``.
    markup : str
        What :func:`gtt_sphinx.plotly_mime.figure_div` writes for the figure.

    Returns
    -------
    str
        ``markup`` with ``role``, ``aria-label`` and ``aria-describedby`` on the div, and the
        description as a visually hidden paragraph before it.
    """
    opening = f'<div class="gtt-plotly" id="{div_id}"'
    if markup.count(opening) != 1:
        raise ValueError(f"markup: expected one figure div with id {div_id!r}")
    desc_id = f"{div_id}-desc"
    attrs = (f' role="figure" aria-label="{html.escape(title_of(figure))}"'
             f' aria-describedby="{desc_id}"')
    text = html.escape(describe(figure), quote=False)
    caption = f'<p class="{HIDDEN_CLASS}" id="{desc_id}">{text}</p>\n'
    return markup.replace(opening, caption + opening + attrs, 1)
