// Draw every plotly figure that gtt_sphinx.plotly_mime left on the page, with the local
// plotly.js. Figures are drawn after MathJax has started (when the page loads it), so LaTeX in
// labels can be typeset. Each drawn div gets data-gtt-rendered="1" (the browser tests read it).
(function () {
  "use strict";
  function drawAll() {
    var blobs = document.querySelectorAll("script.gtt-plotly-data");
    blobs.forEach(function (blob) {
      var div = document.getElementById(blob.dataset.target);
      if (!div || div.dataset.gttRendered) { return; }
      var fig = JSON.parse(blob.textContent);
      var config = Object.assign({ responsive: true, displaylogo: false }, fig.config || {});
      Plotly.newPlot(div, { data: fig.data || [], layout: fig.layout || {}, frames: fig.frames || [], config: config })
        .then(function () { div.dataset.gttRendered = "1"; })
        .catch(function (err) { console.error("gtt-plotly: figure " + div.id + " failed", err); });
    });
  }
  function start() {
    if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
      window.MathJax.startup.promise.then(drawAll, drawAll);
    } else {
      drawAll();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
