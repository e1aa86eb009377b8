// Plotly figures that follow the book theme's light/dark switch, live and on first load.
//
// The pydata theme sets data-theme="light"|"dark" on <html> (from the reader's stored choice or
// the system's); a MutationObserver watches it. On dark, every drawn .gtt-plotly figure is
// relayouted with window.GTT_DARK (written into this file at build time from
// bpttlib.viz._style.dark_theme()): backgrounds, fonts, grid and axis lines, legend, slider and
// dropdown colours, and every curve, band, shape and annotation colour that is too dark on black
// gets its readable variant. Each colour the script changes is remembered with the light value
// it replaced, so switching back restores exactly what the figure had. A slider step or a
// dropdown entry that restyles colours while dark is re-darkened right after.
(function () {
  "use strict";
  var DARK = window.GTT_DARK;
  if (!DARK) { return; }
  var BG = parse(DARK.paper_bgcolor);

  function isDark() { return document.documentElement.dataset.theme === "dark"; }

  // ---- colours -----------------------------------------------------------------------------
  function parse(c) {
    if (typeof c !== "string") { return null; }
    c = c.trim().toLowerCase();
    var m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/.exec(c);
    if (m) {
      var h = m[1].length === 3 ? m[1].replace(/./g, "$&$&") : m[1];
      return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16), 1];
    }
    m = /^rgba?\(([^)]+)\)$/.exec(c);
    if (m) {
      var p = m[1].split(",").map(function (s) { return parseFloat(s); });
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    }
    var named = { black: [0, 0, 0, 1], white: [255, 255, 255, 1], grey: [128, 128, 128, 1], gray: [128, 128, 128, 1] };
    return named[c] || null;
  }
  function hex(rgb) {
    return "#" + rgb.slice(0, 3).map(function (v) {
      return ("0" + Math.round(Math.max(0, Math.min(255, v))).toString(16)).slice(-2);
    }).join("");
  }
  function withAlpha(rgbHex, a) {
    if (a >= 1) { return rgbHex; }
    var p = parse(rgbHex);
    return "rgba(" + p[0] + ", " + p[1] + ", " + p[2] + ", " + a + ")";
  }
  function luminance(rgb) {
    var v = rgb.slice(0, 3).map(function (x) {
      x /= 255;
      return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  }
  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }
  // A curve/text colour readable on the dark background: the book's own variant, or lightened.
  function readable(c, least) {
    least = least || DARK.min_contrast;
    var rgb = parse(c);
    if (!rgb) { return c; }
    var key = hex(rgb);
    if (DARK.colors[key]) { return withAlpha(DARK.colors[key], rgb[3]); }
    var out = rgb.slice(0, 3);
    for (var i = 0; i < 20 && contrast(out, BG) < least; i++) {
      out = out.map(function (v) { return v + (255 - v) * 0.15; });
    }
    return withAlpha(hex(out), rgb[3]);
  }
  // A fill behind text (legend, annotation boxes): near-white becomes the dark surface.
  function surface(c) {
    var rgb = parse(c);
    if (!rgb) { return c; }
    if (rgb[3] === 0) { return c; }
    return luminance(rgb) > 0.6 ? withAlpha(DARK.control_bgcolor, rgb[3]) : readable(c);
  }

  // ---- what a figure's colours are -----------------------------------------------------------
  function get(obj, path) {
    return path.replace(/\[(\d+)\]/g, ".$1").split(".").reduce(function (o, k) { return o == null ? undefined : o[k]; }, obj);
  }
  // [path, resolved value, dark value] for every colour of the layout the script manages.
  // Text in the figure's own font colour becomes the dark text colour; other text colours
  // (a red warning, a coloured label) their readable variants.
  function textColor(lightFont) {
    return function (v) { return v === lightFont ? DARK.font_color : readable(v, 4.5); };
  }
  function layoutColors(fl, lightFont) {
    var out = [];
    function add(path, dark) {
      var v = get(fl, path);
      if (typeof v === "string") { out.push([path, v, typeof dark === "function" ? dark(v) : dark]); }
    }
    add("paper_bgcolor", DARK.paper_bgcolor);
    add("plot_bgcolor", DARK.plot_bgcolor);
    add("font.color", DARK.font_color);
    add("title.font.color", DARK.font_color);
    add("modebar.bgcolor", "rgba(20, 24, 30, 0.5)");
    add("modebar.color", DARK.line_color);
    add("modebar.activecolor", DARK.font_color);
    Object.keys(fl).forEach(function (k) {
      if (!/^[xy]axis\d*$/.test(k) || !fl[k] || fl[k].visible === false) { return; }
      add(k + ".gridcolor", DARK.grid_color);
      add(k + ".linecolor", DARK.line_color);
      add(k + ".zerolinecolor", DARK.line_color);
      add(k + ".tickcolor", DARK.line_color);
      add(k + ".tickfont.color", DARK.font_color);
      add(k + ".title.font.color", DARK.font_color);
    });
    var paper = fl.paper_bgcolor;
    add("legend.bgcolor", function (v) { return v === paper ? DARK.paper_bgcolor : surface(v); });
    add("legend.bordercolor", DARK.control_border);
    add("legend.font.color", DARK.font_color);
    (fl.sliders || []).forEach(function (s, i) {
      var p = "sliders[" + i + "].";
      add(p + "bgcolor", DARK.control_bgcolor);
      add(p + "activebgcolor", DARK.control_active);
      add(p + "bordercolor", DARK.control_border);
      add(p + "tickcolor", DARK.line_color);
      add(p + "font.color", DARK.font_color);
      add(p + "currentvalue.font.color", DARK.font_color);
    });
    (fl.updatemenus || []).forEach(function (m, i) {
      var p = "updatemenus[" + i + "].";
      add(p + "bgcolor", DARK.control_bgcolor);
      add(p + "bordercolor", DARK.control_border);
      add(p + "font.color", DARK.font_color);
    });
    (fl.annotations || []).forEach(function (a, i) {
      var p = "annotations[" + i + "].";
      add(p + "font.color", textColor(lightFont));
      add(p + "arrowcolor", readable);
      add(p + "bgcolor", surface);
      add(p + "bordercolor", readable);
    });
    (fl.shapes || []).forEach(function (s, i) {
      var p = "shapes[" + i + "].";
      add(p + "line.color", readable);
      add(p + "fillcolor", surface);
      add(p + "label.font.color", textColor(lightFont));
    });
    return out;
  }
  var TRACE_PATHS = ["line.color", "marker.color", "marker.line.color", "fillcolor", "textfont.color"];
  function traceColors(fd, lightFont) {
    var out = [];
    fd.forEach(function (t) {
      TRACE_PATHS.forEach(function (path) {
        var v = get(t, path);
        if (typeof v !== "string") { return; }
        var dark = path === "marker.line.color" && luminance(parse(v) || [0, 0, 0]) > 0.6 ?
          DARK.paper_bgcolor :  // white rims around markers become background rims
          path === "textfont.color" ? textColor(lightFont)(v) : readable(v);  // text: WCAG AA
        out.push([t.index, path, v, dark]);
      });
    });
    return out;
  }

  // ---- applying them -----------------------------------------------------------------------
  // gd.__gtt = {set: {key: value the script set}, light: {key: value it replaced}}
  function apply(gd, dark) {
    if (!gd._fullLayout || !gd._fullData) { return Promise.resolve(); }
    var st = gd.__gtt || (gd.__gtt = { set: {}, light: {} });
    var relayout = {}, restyle = {}, nLayout = 0, nTrace = 0;
    function want(key, current, darkValue) {
      if (dark) {
        if (current === darkValue || st.set[key] === current) { return null; }
        st.light[key] = current;
        st.set[key] = darkValue;
        return darkValue;
      }
      if (key in st.set && st.set[key] === current) {
        var v = st.light[key];
        delete st.set[key]; delete st.light[key];
        return v;
      }
      return null;
    }
    var lightFont = st.light["Lfont.color"] || gd._fullLayout.font.color;
    layoutColors(gd._fullLayout, lightFont).forEach(function (e) {
      var v = want("L" + e[0], e[1], e[2]);
      if (v !== null) { relayout[e[0]] = v; nLayout++; }
    });
    var indices = gd._fullData.map(function (t) { return t.index; });
    traceColors(gd._fullData, lightFont).forEach(function (e) {
      var v = want("T" + e[0] + ":" + e[1], e[2], e[3]);
      if (v === null) { return; }
      if (!restyle[e[1]]) { restyle[e[1]] = indices.map(function () { return undefined; }); }
      restyle[e[1]][indices.indexOf(e[0])] = v;
      nTrace++;
    });
    var done = function () { gd.__gttBusy = false; gd.dataset.gttTheme = dark ? "dark" : "light"; };
    if (!nLayout && !nTrace) { done(); return Promise.resolve(); }
    gd.__gttBusy = true;
    return Plotly.update(gd, nTrace ? restyle : {}, relayout, indices).then(done, function (err) {
      done();
      console.error("gtt-theme: figure " + gd.id, err);
    });
  }

  function watch(gd) {
    if (gd.__gttWatched || !gd.on) { return; }
    gd.__gttWatched = true;
    // A slider step or dropdown entry may bring light colours back: re-darken after it.
    var again = function () {
      if (gd.__gttBusy || !isDark()) { return; }
      setTimeout(function () { if (isDark()) { apply(gd, true); } }, 0);
    };
    gd.on("plotly_restyle", again);
    gd.on("plotly_relayout", again);
    gd.on("plotly_update", again);
  }

  function applyAll() {
    var dark = isDark();
    document.querySelectorAll('.gtt-plotly[data-gtt-rendered="1"]').forEach(function (gd) {
      watch(gd);
      if ((gd.dataset.gttTheme || "light") !== (dark ? "dark" : "light")) { apply(gd, dark); }
    });
  }

  function start() {
    // A page with figures: plotly.js itself comes later (gtt-plotly.js runs it before it
    // draws the first figure), and only a drawn figure is recoloured.
    if (!document.querySelector("script.gtt-plotly-data")) { return; }
    // The theme's switch...
    new MutationObserver(applyAll).observe(document.documentElement,
      { attributes: true, attributeFilter: ["data-theme"] });
    // ... and every figure as gtt-plotly.js finishes drawing it (first load in dark mode).
    new MutationObserver(function (records) {
      if (records.some(function (r) { return r.attributeName === "data-gtt-rendered"; })) { applyAll(); }
    }).observe(document.body, { attributes: true, subtree: true, attributeFilter: ["data-gtt-rendered"] });
    applyAll();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
