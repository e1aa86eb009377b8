// Draw every plotly figure that gtt_sphinx.plotly_mime left on the page, with the local
// plotly.js (a partial bundle: the trace types the book uses).
//
// - A figure whose template is one of the book's (data-template="gtt") had it stripped at build
//   time; the template is shipped once per site in gtt-template.js (window.gttPlotlyTemplates).
// - Figures do not wait for MathJax: their labels use plotly's HTML subset, never LaTeX.
// - Order: the figures in (or near) the viewport first, then the others, one per task so the
//   page stays responsive; the math in view is typeset between two of them as soon as MathJax
//   has loaded, the rest of the math after the last figure. On a page with
//   figures the loader starts MathJax's typesetting itself (its startup typeset is switched off
//   here): plotly draws a figure at about half the speed once the page holds the typeset math
//   (measured: the gated chapter ready in 3.2 s instead of 4.1-4.6 s on the 2-core machine).
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
  function draw(blob) {
    var div = document.getElementById(blob.dataset.target);
    if (!div || div.dataset.gttRendered) { return Promise.resolve(); }
    var fig;
    try { fig = figureOf(blob); } catch (err) {
      console.error("gtt-plotly: figure " + div.id + " failed", err);
      return Promise.resolve();
    }
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
        div.dataset.gttRendered = "1";
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
  // MathJax's own typesetting at startup, off (in its configuration, whether or not its
  // startup.js has run yet): typeset() below runs it in the loader's order.
  var hasMath = !!window.MathJax;
  if (hasMath && window.MathJax.config && window.MathJax.config.startup) {
    window.MathJax.config.startup.typeset = false;
  } else if (hasMath) {
    window.MathJax.startup = Object.assign({}, window.MathJax.startup, { typeset: false });
  }
  function typeset(near) {
    var mj = window.MathJax;
    if (!hasMath) { return Promise.resolve(); }
    if (!mj.startup || !mj.startup.promise) {
      console.error("gtt-plotly: MathJax did not start");
      return Promise.resolve();
    }
    return mj.startup.promise.then(function () {
      var els = near ? Array.prototype.filter.call(document.querySelectorAll(".math"), inView)
        : undefined;
      return near && !els.length ? null : mj.typesetPromise(els).then(function () {
        document.dispatchEvent(new Event("gtt:typeset"));  // gtt-a11y.js listens
      });
    }).catch(function (err) { console.error("gtt-plotly: MathJax typesetting failed", err); });
  }
  // The math in view is typeset between two figures as soon as MathJax has loaded its parts;
  // the figures never wait for that load.
  var mathReady = false, nearDone = false;
  function nearMath() {
    if (nearDone || !mathReady) { return null; }
    nearDone = true;
    return typeset(true);
  }
  function drawAll() {
    if (hasMath && window.MathJax.startup && window.MathJax.startup.promise) {
      window.MathJax.startup.promise.then(function () { mathReady = true; });
    }
    var blobs = Array.prototype.slice.call(document.querySelectorAll("script.gtt-plotly-data"));
    var first = [], later = [];
    blobs.forEach(function (blob) {
      var div = document.getElementById(blob.dataset.target);
      (div && inView(div) ? first : later).push(blob);
    });
    first.concat(later).reduce(function (done, blob) {
      return done.then(nearMath).then(function () { return draw(blob); }).then(nextTask);
    }, Promise.resolve()).then(function () { return typeset(false); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
