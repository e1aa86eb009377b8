// Draw every plotly figure that gtt_sphinx.plotly_mime left on the page, with the local
// plotly.js (a partial bundle: the trace types the book uses).
//
// - A figure whose template is one of the book's (data-template="gtt") had it stripped at build
//   time; the template is shipped once per site in gtt-template.js (window.gttPlotlyTemplates).
// - Figures do not wait for MathJax: their labels use plotly's HTML subset, never LaTeX.
// - Order: the figures in (or near) the viewport first, then the others, one per task so the
//   page stays responsive. A figure with build-time pictures (gtt_sphinx.snapshots) shows the
//   picture of the reader's theme until the page has loaded (see drawAll). The math is typeset
//   at build time (gtt_sphinx.mathtex); a book built without Node.js has MathJax typeset it in
//   the browser, at MathJax's own startup.
// - A trace type the shipped bundle lacks is a console error and the figure stays undrawn (plotly
//   itself would silently draw nothing for it); the browser tests fail on both.
// - Fast slider steps. A kernel-free slider step is a plotly "restyle" of x/y (and names, text;
//   bpttlib.viz._controls.restyle_steps); plotly answers a restyle of x/y by replotting the whole
//   figure: every annotation, shape, contour and the slider itself. When a step only changes x,
//   y, text, textposition or name of traces of a scatter-only figure (fills only if it moves
//   every trace), and
//   each axis whose coordinate it changes has a fixed range (nothing to autorange), the loader
//   marks it execute:false (plotly's switch for running a step's command yourself) and runs it
//   as Plotly.animate with redraw:false, which replots only those traces, then restyles the
//   legend names if the step renames traces. The figure ends in the state the restyle gives;
//   "plotly_afterplot" is emitted at the end, as after any redraw. JupyterLab, which has no
//   loader, runs the same steps as plain restyles.
// Each drawn div gets data-gtt-rendered="1" (the browser tests read it).
(function () {
  "use strict";
  function inView(div) {
    var box = div.getBoundingClientRect();
    return box.bottom > -200 && box.top < window.innerHeight + 200;
  }
  function figureOf(blob) {
    var fig = JSON.parse(blob.textContent);
    var layout = fig.layout || {};
    var name = blob.dataset.template;
    if (name) {
      var templates = window.gttPlotlyTemplates || {};
      if (!templates[name]) { throw new Error("gtt-plotly: template " + name + " missing"); }
      layout.template = templates[name];
    }
    var config = Object.assign({ responsive: true, displaylogo: false }, fig.config || {});
    return { data: fig.data || [], layout: layout, frames: fig.frames || [], config: config };
  }
  // Phones: side-by-side panels (one row of subplots) are stacked into one column when the
  // figure is narrower than NARROW px; titles, notes, shapes and colour bars placed in paper
  // coordinates move with their panel, and the figure grows to give each panel its height.
  var NARROW = 560;
  var GAP_PX = 100;  // between panels: tick labels, axis title, next panel's title
  var PANEL_TITLE_PX = 8.5;  // mean width of a panel title's character (plotly's 16 px)
  function columnsOf(layout) {
    var cols = Object.keys(layout).filter(function (k) { return /^xaxis\d*$/.test(k); })
      .map(function (k) {
        var ax = layout[k], y = layout["yaxis" + String(ax.anchor || "y").slice(1)] || {};
        return { key: k, id: "x" + k.slice(5), d: ax.domain || [0, 1], y: y.domain || [0, 1],
                 overlaying: ax.overlaying };
      });
    if (cols.length < 2 || cols.some(function (c) {
      return c.overlaying || c.y[0] !== cols[0].y[0] || c.y[1] !== cols[0].y[1];
    })) { return null; }
    cols.sort(function (a, b) { return a.d[0] - b.d[0]; });
    for (var i = 1; i < cols.length; i++) { if (cols[i].d[0] < cols[i - 1].d[1]) { return null; } }
    return cols;
  }
  function stackColumns(fig, width) {
    var layout = fig.layout, cols = columnsOf(layout);
    if (!cols || width >= NARROW) { return null; }
    var n = cols.length;
    var m = layout.margin || {}, H = layout.height || 450;
    var plot = H - (m.t === undefined ? 100 : m.t) - (m.b === undefined ? 80 : m.b);
    var row = Math.max(220, 0.8 * plot), total = n * row + (n - 1) * GAP_PX;
    var h = row / total, GAP = GAP_PX / total;
    function topOf(i) { return 1 - i * (h + GAP); }  // the paper y of panel i's top
    var bars = [];
    fig.data.forEach(function (t) {
      [t, t.marker || {}].forEach(function (o) {
        if (o.colorbar && o.showscale !== false) { bars.push({ bar: o.colorbar, x: t.xaxis || "x" }); }
      });
    });
    var right = bars.length ? 0.82 : 1;
    function col(px, xref) {  // the panel a paper-x position (or an axis) belongs to
      var best = 0;
      cols.forEach(function (c, i) {
        if (xref ? c.id === xref : Math.abs(px - (c.d[0] + c.d[1]) / 2) <
            Math.abs(px - (cols[best].d[0] + cols[best].d[1]) / 2)) { best = i; }
      });
      return best;
    }
    function move(o, xk, yk, i) {
      var c = cols[i], top = topOf(i);
      if (typeof o[xk] === "number") { o[xk] = (o[xk] - c.d[0]) / (c.d[1] - c.d[0]) * right; }
      if (typeof o[yk] === "number") { o[yk] = top - h + o[yk] * h; }
    }
    (layout.annotations || []).concat(layout.shapes || []).forEach(function (a) {
      if (a.xref !== "paper" || (a.yref || "paper") !== "paper") { return; }
      var i = col(typeof a.x === "number" ? a.x : (a.x0 + a.x1) / 2);
      if ("x0" in a) { move(a, "x0", "y0", i); move(a, "x1", "y1", i); } else { move(a, "x", "y", i); }
      // a panel title as wide as the whole figure now: two lines if it does not fit
      if (typeof a.text === "string" && a.yanchor === "bottom" && !/<br>/i.test(a.text) &&
          a.text.replace(/<[^>]+>/g, "").length * PANEL_TITLE_PX > width - 20) {
        a.text = breakNearMiddle(a.text) || a.text;
      }
    });
    cols.forEach(function (c, i) {
      var top = topOf(i);
      layout[c.key] = Object.assign({}, layout[c.key], { domain: [0, right] });
      var yk = "yaxis" + String(layout[c.key].anchor || "y").slice(1);
      layout[yk] = Object.assign({}, layout[yk], { domain: [top - h, top] });
      // a y axis shared with the panel on its left showed no labels there; stacked, it needs them
      if (layout[yk].matches) { layout[yk].showticklabels = true; }
    });
    bars.forEach(function (b) {
      var i = col(0, b.x), top = topOf(i);
      Object.assign(b.bar, { x: right + 0.04, xanchor: "left", y: top - h / 2, yanchor: "middle",
                             len: h * (b.bar.len || 1), lenmode: "fraction" });
    });
    layout.height = Math.round(H - plot + total);
    return layout.height;
  }
  // ``text`` with its space nearest the middle (outside HTML tags) made a line break; null if
  // it has none.
  function breakNearMiddle(text) {
    var mid = Math.floor(text.length / 2), best = -1;
    for (var i = 0; i < text.length; i++) {
      if (text[i] === " " && !/<[^>]*$/.test(text.slice(0, i)) &&
          (best < 0 || Math.abs(i - mid) < Math.abs(best - mid))) { best = i; }
    }
    return best < 0 ? null : text.slice(0, best) + "<br>" + text.slice(best + 1);
  }
  // A title longer than a narrow figure is wide is broken at the space nearest its middle, and
  // the top margin (and a legend hung from the top of the figure) makes room for the new line.
  var TITLE_PX = 9.5;  // mean width of a title character at the template's 17 px
  function wrapTitle(layout, width) {
    var title = layout.title, text = title && (typeof title === "string" ? title : title.text);
    if (!text || /<br>/i.test(text) || width >= NARROW) { return 0; }
    var plain = text.replace(/<[^>]+>/g, "");
    if (plain.length * TITLE_PX < width - 30) { return 0; }
    var two = breakNearMiddle(text);
    if (!two) { return 0; }
    layout.title = Object.assign({}, typeof title === "string" ? {} : title, { text: two });
    var extra = 22, H = layout.height || 450;
    layout.margin = Object.assign({}, layout.margin);
    layout.margin.t = (layout.margin.t === undefined ? 100 : layout.margin.t) + extra;
    var legend = layout.legend;
    if (legend && legend.yref === "container" && typeof legend.y === "number") {
      layout.legend = Object.assign({}, legend, { y: legend.y - extra / (H + extra) });
    }
    layout.height = H + extra;
    return layout.height;
  }
  // A figure follows its box's width. plotly's "responsive" answers the window's resize event
  // only; the column also narrows when a scrollbar appears after a figure is drawn or a sidebar
  // opens, and the figure (a contained box) would then lose its right edge.
  var resizer = window.ResizeObserver ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      var gd = entry.target, full = gd._fullLayout;
      if (full && Math.abs(gd.clientWidth - full.width) > 1) {
        Plotly.Plots.resize(gd).catch(function (err) {
          console.error("gtt-plotly: resizing " + gd.id + " failed", err);
        });
      }
    });
  }) : null;
  // plotly.js itself: the page preloads it (gtt_sphinx.plotly_mime) and this script runs it
  // when the first figure is to be drawn, so a page whose figures all show their pictures
  // evaluates its 1.1 MB after load rather than before the page is shown.
  var me = document.currentScript;
  var plotlyLoaded = null;
  function withPlotly() {
    if (window.Plotly) { return Promise.resolve(); }
    if (!plotlyLoaded) {
      plotlyLoaded = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = new URL(me.dataset.plotly, me.src).href;
        script.onload = resolve;
        script.onerror = function () { reject(new Error(script.src + " did not load")); };
        document.head.appendChild(script);
      });
    }
    return plotlyLoaded;
  }
  function draw(blob) {
    var div = document.getElementById(blob.dataset.target);
    if (!div || div.dataset.gttRendered || div.dataset.gttDrawing) { return Promise.resolve(); }
    div.dataset.gttDrawing = "1";
    // Never rejects: one figure that fails (logged) must not keep the others from drawing.
    return withPlotly().then(function () { return drawNow(blob, div); }).catch(function (err) {
      console.error("gtt-plotly: figure " + div.id + " failed", err);
    });
  }
  function drawNow(blob, div) {
    var fig;
    try { fig = figureOf(blob); } catch (err) {
      console.error("gtt-plotly: figure " + div.id + " failed", err);
      return Promise.resolve();
    }
    var stacked = stackColumns(fig, div.clientWidth);
    if (stacked) { div.dataset.gttStacked = "1"; }
    var height = wrapTitle(fig.layout, div.clientWidth) || stacked;
    if (height) { div.style.height = height + "px"; }
    var fast = speedUp(fig);
    return Plotly.newPlot(div, fig)
      .then(function () {
        // plotly turns a trace of a type it lacks into an invisible scatter trace, silently.
        (div.data || []).forEach(function (trace, i) {
          var full = (div._fullData || [])[i] || {};
          if ((trace.type || "scatter") !== full.type) {
            throw new Error("trace type " + trace.type + " is not in the shipped plotly.js bundle");
          }
        });
        if (fast) { div.dataset.gttFastSteps = fast; listen(div); }
        dropPictures(div);  // plotly has drawn over them; a figure that fails keeps its own
        div.dataset.gttRendered = "1";
        if (resizer) { resizer.observe(div); }
      })
      .catch(function (err) { console.error("gtt-plotly: figure " + div.id + " failed", err); });
  }
  var FAST_KEYS = { x: 1, y: 1, text: 1, textposition: 1, name: 1 };
  function axisFixed(layout, id) {
    var ax = layout[id.charAt(0) + "axis" + id.slice(1)] || {};
    return Array.isArray(ax.range) && ax.range.length === 2 && ax.autorange !== true &&
      ax.range[0] !== null && ax.range[1] !== null;
  }
  function fastStep(fig, step) {
    if (step.method !== "restyle" || step.execute === false || !Array.isArray(step.args) ||
        step.args.length !== 2 || !Array.isArray(step.args[1])) { return false; }
    var update = step.args[0], traces = step.args[1];
    var keys = Object.keys(update);
    if (!keys.length || keys.some(function (k) {
      return !FAST_KEYS[k] || !Array.isArray(update[k]) || update[k].length !== traces.length;
    })) { return false; }
    // plotly redraws a subplot's other trace types (contour, heatmap) from scratch after a
    // transition but only the animated traces get drawn: scatter-only figures.
    if (fig.data.some(function (t) { return (t.type || "scatter") !== "scatter"; })) { return false; }
    // A fill is drawn against its neighbour trace: only when the step moves every trace.
    var all = traces.length === fig.data.length;
    return traces.every(function (i) {
      var t = fig.data[i];
      return t && (t.type || "scatter") === "scatter" && (!t.fill || t.fill === "none" || all) &&
        (!update.x || axisFixed(fig.layout, t.xaxis || "x")) &&
        (!update.y || axisFixed(fig.layout, t.yaxis || "y"));
    });
  }
  function runFast(div, args) {
    var update = args[0], traces = args[1], names = null;
    var data = traces.map(function (_, j) {
      var one = {};
      Object.keys(update).forEach(function (k) {
        if (k === "name") { names = names || []; names[j] = update[k][j]; } else { one[k] = update[k][j]; }
      });
      return one;
    });
    return Plotly.animate(div, [{ data: data, traces: traces }], {
      mode: "immediate", frame: { duration: 0, redraw: false }, transition: { duration: 0 }
    }).then(function () {
      return names ? Plotly.restyle(div, { name: names }, traces) : null;
    }).then(function () { if (!names) { div.emit("plotly_afterplot"); } });
  }
  function speedUp(fig) {
    var fast = 0, all = 0;
    ((fig.layout || {}).sliders || []).forEach(function (slider) {
      (slider.steps || []).forEach(function (step) {
        all += 1;
        if (fastStep(fig, step)) { step.execute = false; fast += 1; }
      });
    });
    return all ? fast + "/" + all : "";
  }
  function listen(div) {
    div.on("plotly_sliderchange", function (e) {
      var step = e && e.step;
      if (step && step.execute === false && step.method === "restyle") {
        runFast(div, step.args).catch(function (err) {
          console.error("gtt-plotly: slider step of " + div.id + " failed", err);
        });
      }
    });
  }
  function nextTask() { return new Promise(function (r) { setTimeout(r, 0); }); }
  // A figure with build-time pictures (gtt_sphinx.snapshots) shows the one of the reader's
  // theme until plotly has drawn it live: after the page's load event, the figures in view
  // first, or at once when the pointer or a touch reaches it. On a phone (its stacked layout
  // is not the desktop picture; the <picture> fetches nothing there) every figure is drawn at
  // once, as are figures without pictures.
  var PHONE = "(max-width: 599px)";  // gtt-reader.css hides the pictures there
  function pictured(div) {
    return !!div.querySelector("img.gtt-snap") && !window.matchMedia(PHONE).matches;
  }
  function dropPictures(div) {
    Array.prototype.slice.call(div.querySelectorAll("picture.gtt-snap")).forEach(function (p) {
      p.remove();
    });
  }
  function drawInOrder(blobs) {
    var first = [], later = [];
    blobs.forEach(function (blob) {
      var div = document.getElementById(blob.dataset.target);
      (div && inView(div) ? first : later).push(blob);
    });
    return first.concat(later).reduce(function (done, blob) {
      return done.then(function () { return draw(blob); }).then(nextTask);
    }, Promise.resolve());
  }
  function loaded() {
    return new Promise(function (r) {
      if (document.readyState === "complete") { r(); } else { window.addEventListener("load", r); }
    }).then(function () { return new Promise(function (r) { requestAnimationFrame(r); }); })
      .then(nextTask);
  }
  function drawAll() {
    var blobs = Array.prototype.slice.call(document.querySelectorAll("script.gtt-plotly-data"));
    var now = [], later = [];
    blobs.forEach(function (blob) {
      var div = document.getElementById(blob.dataset.target);
      if (div && pictured(div)) {
        later.push(blob);
        ["pointerenter", "touchstart"].forEach(function (type) {
          div.addEventListener(type, function () { draw(blob); }, { once: true, passive: true });
        });
      } else {
        if (div) { dropPictures(div); }
        now.push(blob);
      }
    });
    drawInOrder(now).then(loaded).then(function () { return drawInOrder(later); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
