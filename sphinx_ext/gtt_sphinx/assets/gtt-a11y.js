// Keyboard access to the kernel-free sliders and dropdowns of the book's plotly figures.
//
// plotly.js draws its controls as SVG that only a mouse or a finger can use. After every draw
// this script makes each slider a focusable role="slider" (Arrow keys step it, PageUp/PageDown
// take bigger steps, Home/End go to the ends; aria-valuenow/-valuetext follow) and each dropdown
// header a focusable role="button" (Enter/Space or ArrowDown choose the next entry, ArrowUp the
// previous one, Home/End the first and last). A key does what plotly does on a click: it runs
// the step's or button's method with its args (Plotly.restyle/relayout/update/animate), records
// the new active index, and emits plotly_sliderchange / plotly_buttonclicked. A focused control
// gets a visible ring (a rectangle, as SVG groups take no CSS outline everywhere).
//
// On every page it also gives four of the theme's controls an accessible name: three a name
// that contains their visible text (WCAG 2.5.3 "label in name"; axe's
// label-content-name-mismatch, serious):
// the code cells' "Show code cell source" toggles (named "Toggle hidden content"), the search
// field buttons (visible "Search Ctrl+K", named "Search") and the colour-mode button (shows a
// sun, moon or half circle titled Light/Dark/System Settings, named "Color mode"); and the
// sidebar's toggle of a page's sections (a chevron, no name; axe: summary-name, serious) the
// name "Sections of" and the page's title.
(function () {
  "use strict";
  function names() {
    document.querySelectorAll("details > summary[aria-label]").forEach(function (el) {
      if (el.textContent.trim()) { el.removeAttribute("aria-label"); }
    });
    document.querySelectorAll("li.has-children > details > summary").forEach(function (el) {
      if (el.textContent.trim() || el.getAttribute("aria-label")) { return; }
      var link = el.parentNode.parentNode.querySelector(":scope > a");
      el.setAttribute("aria-label", "Sections of " + (link ? link.textContent.trim() : "this page"));
    });
    document.querySelectorAll(".search-button-field[aria-label]").forEach(function (el) {
      if (el.textContent.trim()) { el.removeAttribute("aria-label"); }
    });
    // sphinxcontrib-bibtex gives each entry of a role="list" the deprecated DPUB role
    // doc-biblioentry, which is not a list item (axe: aria-required-children, critical).
    document.querySelectorAll('[role="list"] > [role="doc-biblioentry"]').forEach(function (el) {
      el.setAttribute("role", "listitem");
    });
    var titles = { light: "Light", dark: "Dark", auto: "System Settings" };
    function mode() {
      var m = document.documentElement.dataset.mode || "auto";
      document.querySelectorAll(".theme-switch-button").forEach(function (el) {
        el.setAttribute("aria-label", "Color mode: " + (titles[m] || m));
      });
    }
    mode();
    new MutationObserver(mode).observe(document.documentElement,
      { attributes: true, attributeFilter: ["data-mode"] });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", names);
  } else {
    names();
  }
  // Display math wider than the column scrolls sideways (the theme gives it overflow: auto); a
  // keyboard user must be able to reach and scroll it (axe: scrollable-region-focusable,
  // serious). Checked once the page has loaded (the math is typeset at build time; in a book
  // built without Node.js, once MathJax has typeset it) and again when the width changes.
  // All widths are read before any attribute changes: a write between two reads would make the
  // browser lay the page out again for every equation (measured: ~1 s on a page with 300).
  function scrollableMath() {
    var all = Array.prototype.slice.call(document.querySelectorAll('mjx-container[display="true"]'));
    var wide = all.map(function (el) { return el.scrollWidth > el.clientWidth + 1; });
    all.forEach(function (el, i) {
      var has = el.getAttribute("tabindex") === "0";
      if (wide[i] && !has) {
        el.setAttribute("tabindex", "0");
      } else if (!wide[i] && el.hasAttribute("tabindex")) {
        el.removeAttribute("tabindex");
      }
    });
  }
  window.addEventListener("load", function () {
    var mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) {
      mj.startup.promise.then(scrollableMath);
    } else {
      scrollableMath();
    }
    window.addEventListener("resize", scrollableMath);
  });
})();

(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";

  function run(gd, method, args) {
    if (!method || method === "skip" || typeof Plotly[method] !== "function") {
      return Promise.resolve();
    }
    return Promise.resolve(Plotly[method].apply(null, [gd].concat(args || [])));
  }

  function plain(text) {
    var el = document.createElement("span");
    el.innerHTML = String(text || "").replace(/<sub>/g, "_").replace(/<sup>/g, "^");
    return el.textContent.replace(/\s+/g, " ").trim();
  }

  // ---- sliders -----------------------------------------------------------------------------
  function setSlider(gd, i, k) {
    var opts = gd._fullLayout.sliders[i];
    var n = opts.steps.length;
    k = Math.max(0, Math.min(n - 1, k));
    var prev = opts.active;
    if (k === prev) { return Promise.resolve(); }
    var step = opts.steps[k];
    var go = step.execute === false ? Promise.resolve() : run(gd, step.method, step.args);
    return go.then(function () {
      var update = {};
      update["sliders[" + i + "].active"] = k;
      return Plotly.relayout(gd, update);
    }).then(function () {
      gd.emit("plotly_sliderchange", { slider: opts, step: step, interaction: true, previousActive: prev });
    });
  }

  function sliderKey(gd, i, ev) {
    var opts = gd._fullLayout.sliders[i];
    var n = opts.steps.length, k = opts.active, big = Math.max(1, Math.round(n / 10));
    var to = {
      ArrowRight: k + 1, ArrowUp: k + 1, ArrowLeft: k - 1, ArrowDown: k - 1,
      PageUp: k + big, PageDown: k - big, Home: 0, End: n - 1
    }[ev.key];
    if (to === undefined) { return; }
    ev.preventDefault();
    setSlider(gd, i, to).then(function () { refocus(gd, "slider", i); });
  }

  // ---- dropdowns ---------------------------------------------------------------------------
  function setMenu(gd, i, k) {
    var menu = gd._fullLayout.updatemenus[i];
    var buttons = menu.buttons.filter(function (b) { return b.visible !== false; });
    var n = buttons.length;
    k = ((k % n) + n) % n;
    if (k === menu.active) { return Promise.resolve(); }
    var button = buttons[k];
    var go = button.execute === false ? Promise.resolve() : run(gd, button.method, button.args);
    return go.then(function () {
      var update = {};
      update["updatemenus[" + i + "].active"] = k;
      return Plotly.relayout(gd, update);
    }).then(function () {
      gd.emit("plotly_buttonclicked", { menu: menu, button: button, active: k });
    });
  }

  function menuKey(gd, i, ev) {
    var menu = gd._fullLayout.updatemenus[i];
    var n = menu.buttons.filter(function (b) { return b.visible !== false; }).length;
    var k = menu.active;
    var to = {
      Enter: k + 1, " ": k + 1, ArrowDown: k + 1, ArrowRight: k + 1,
      ArrowUp: k - 1, ArrowLeft: k - 1, Home: 0, End: n - 1
    }[ev.key];
    if (to === undefined) { return; }
    ev.preventDefault();
    setMenu(gd, i, to).then(function () { refocus(gd, "menu", i); });
  }

  function menuLabel(gd, i) {
    // The book's builders label a dropdown with an annotation beside it (gtt_sphinx.describe
    // uses the same rule for the figure's text alternative).
    var notes = gd._fullLayout.annotations || [];
    var text = notes[i] ? plain(notes[i].text) : "";
    return text && text.length < 40 ? text : "choice";
  }

  // ---- decorating the drawn controls ---------------------------------------------------------
  function ring(el, on) {
    var old = el.querySelector(":scope > .gtt-focus-ring");
    if (old) { old.remove(); }
    if (!on) { return; }
    var box = el.getBBox();
    var r = document.createElementNS(SVGNS, "rect");
    r.setAttribute("class", "gtt-focus-ring");
    r.setAttribute("x", box.x - 4); r.setAttribute("y", box.y - 4);
    r.setAttribute("width", box.width + 8); r.setAttribute("height", box.height + 8);
    r.setAttribute("rx", 4);
    el.appendChild(r);
  }

  function focusable(el, gd, kind, i, onKey) {
    el.setAttribute("tabindex", "0");
    el.setAttribute("focusable", "true");
    el.dataset.gttKey = kind + i;
    if (el.__gttBound) { return; }
    el.__gttBound = true;
    el.addEventListener("keydown", function (ev) { onKey(gd, i, ev); });
    el.addEventListener("focus", function () { ring(el, true); });
    el.addEventListener("blur", function () { ring(el, false); });
  }

  function refocus(gd, kind, i) {
    // plotly may have redrawn the control: put the focus (and its ring) back on it.
    decorate(gd);
    var el = gd.querySelector('[data-gtt-key="' + kind + i + '"]');
    if (el && document.activeElement !== el) { el.focus(); } else if (el) { ring(el, true); }
  }

  function decorate(gd) {
    var fl = gd._fullLayout;
    if (!fl) { return; }
    var groups = gd.querySelectorAll(".slider-container .slider-group");
    (fl.sliders || []).forEach(function (opts, i) {
      var el = groups[i];
      if (!el || !opts.steps || !opts.steps.length) { return; }
      var step = opts.steps[opts.active] || {};
      var prefix = plain(opts.currentvalue && opts.currentvalue.prefix).replace(/[\s=:]+$/, "");
      focusable(el, gd, "slider", i, sliderKey);
      el.setAttribute("role", "slider");
      el.setAttribute("aria-label", prefix || "slider");
      el.setAttribute("aria-valuemin", "0");
      el.setAttribute("aria-valuemax", String(opts.steps.length - 1));
      el.setAttribute("aria-valuenow", String(opts.active));
      el.setAttribute("aria-valuetext", (prefix ? prefix + " = " : "") + plain(step.label));
    });
    var headers = gd.querySelectorAll(".updatemenu-container .updatemenu-header-group");
    var h = 0;
    (fl.updatemenus || []).forEach(function (menu, i) {
      if (menu.visible === false || menu.type === "buttons") { return; }
      var el = headers[h++];
      if (!el) { return; }
      var shown = (menu.buttons[menu.active] || {}).label;
      focusable(el, gd, "menu", i, menuKey);
      el.setAttribute("role", "button");
      el.setAttribute("aria-label", menuLabel(gd, i) + ": " + plain(shown) +
        " (Enter for the next entry)");
    });
  }

  function watch(gd) {
    if (gd.__gttA11y || !gd.on) { return; }
    gd.__gttA11y = true;
    gd.on("plotly_afterplot", function () { decorate(gd); });
    decorate(gd);
  }

  function watchAll() {
    document.querySelectorAll('.gtt-plotly[data-gtt-rendered="1"]').forEach(watch);
  }

  function start() {
    // A page with figures: plotly.js itself comes later (gtt-plotly.js runs it before it
    // draws the first figure), and only a drawn figure is decorated.
    if (!document.querySelector("script.gtt-plotly-data")) { return; }
    new MutationObserver(function (records) {
      if (records.some(function (r) { return r.attributeName === "data-gtt-rendered"; })) { watchAll(); }
    }).observe(document.body, { attributes: true, subtree: true, attributeFilter: ["data-gtt-rendered"] });
    watchAll();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
