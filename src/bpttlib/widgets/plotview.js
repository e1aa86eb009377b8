// The figure of a bpttlib dashboard (bpttlib.widgets.PlotView): plotly.js draws the figure the
// kernel set in the channel's `figure`, then each change the kernel sets in its `changes`.
//
// anywidget (0.11) gives a widget's module two seconds to start; when it takes longer, the
// widget's model drops every later message from the kernel, for good. plotly.js is 4.8 MB and
// takes about that long to parse on a 2-core machine, and a busy page can delay even a small
// module. So this module is small, plotly.js comes in the first state (`_plotly_js`) and is
// evaluated once per page and version by the first view, and the figure and its changes travel
// on the channel: a core ipywidgets model, which anywidget does not gate.

const CONFIG = { responsive: true, displaylogo: false };

// The page's plotly.js of this version (a promise), evaluated from `source` the first time.
function plotly(source) {
  const version = (source.slice(0, 300).match(/plotly\.js v([\w.+-]+)/) || [])[1] || "?";
  const key = Symbol.for(`bpttlib.plotly ${version}`);
  if (!globalThis[key]) {
    const before = globalThis.Plotly;
    const named = "moduleName" in globalThis; // plotly.min.js's UMD head sets it when it runs
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    globalThis[key] = import(url)
      .then(() => {
        const ours = globalThis.Plotly;
        if (before) globalThis.Plotly = before; // leave another plotly.js on the page as it was
        if (!named) delete globalThis.moduleName;
        return ours;
      })
      .catch((error) => {
        delete globalThis[key]; // the next view tries again
        throw error;
      })
      .finally(() => URL.revokeObjectURL(url));
  }
  return globalThis[key];
}

// A figure without a height gets 360 px, as in plotly's FigureWidget; the reader's zoom and
// legend clicks survive the kernel's changes (uirevision).
function sized(layout) {
  return { height: 360, uirevision: "bpttlib", ...layout };
}

function parse(json) {
  const figure = JSON.parse(json);
  return { data: figure.data, layout: sized(figure.layout || {}) };
}

async function render({ model, el }) {
  const div = document.createElement("div");
  el.appendChild(div);
  const channel = await model.widget_manager.get_model(model.get("_channel").slice(10));
  let figure = parse(channel.get("figure"));
  let drawing = null;
  let again = false;
  let removed = false;
  let Plotly = null;

  // One draw at a time; a change that arrives meanwhile is drawn next, the last state winning.
  function draw() {
    if (drawing) {
      again = true;
      return drawing;
    }
    drawing = (async () => {
      Plotly = await plotly(model.get("_plotly_js"));
      // anywidget renders a view before its element is in the page; plotly sizes a figure
      // from its container, so a figure drawn there came out 0 px high.
      while (!div.isConnected && !removed) await new Promise((r) => requestAnimationFrame(r));
      do {
        again = false;
        if (!removed) await Plotly.react(div, figure.data, figure.layout, CONFIG);
      } while (again && !removed);
    })()
      .catch((error) => {
        if (Plotly) Plotly.purge(div);
        div.textContent = `bpttlib could not draw this figure: ${error}`; // say so, in the page
      })
      .finally(() => {
        drawing = null;
        if (removed && Plotly) Plotly.purge(div);
      });
    return drawing;
  }

  const onFigure = () => {
    figure = parse(channel.get("figure"));
    draw();
  };
  const onChanges = () => {
    const changes = JSON.parse(channel.get("changes"));
    for (const [i, trace] of Object.entries(changes.data)) figure.data[Number(i)] = trace;
    if (changes.layout) figure.layout = sized(changes.layout);
    draw();
  };
  channel.on("change:figure", onFigure);
  channel.on("change:changes", onChanges);
  channel.send({ type: "shown" }); // the kernel resends the figure if it changed since it was set
  draw();

  const resized = new ResizeObserver(() => {
    if (Plotly && div._fullLayout && !drawing) Plotly.Plots.resize(div).catch(() => {});
  });
  resized.observe(el);
  return () => {
    removed = true;
    resized.disconnect();
    channel.off("change:figure", onFigure);
    channel.off("change:changes", onChanges);
    if (Plotly && !drawing) Plotly.purge(div);
  };
}

export default { render };
