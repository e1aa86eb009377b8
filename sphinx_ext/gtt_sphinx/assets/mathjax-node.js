// Typesets TeX with MathJax 3 in Node.js, at build time (gtt_sphinx/mathtex.py runs it once
// per page, so each page gets the glyphs it uses and nothing else).
//
// stdin:  {"mathjax": <the MathJax es5 tree>, "items": [{"tex": "...", "display": true|false}, ...],
//          "flatten": true|false (default true)}
// stdout: {"html": [<mjx-container> markup for each item], "css": <MathJax's SVG stylesheet>,
//          "defs": <a <defs> element: the glyph paths the items use, which they reference>,
//          "errors": [[index, message], ...]}
//
// The MathJax the pages used to load in the browser (the same version and TeX input; SVG output
// where the browser used HTML output), with assistive MathML for screen readers.
//
// Flattened: MathJax wraps every MathML node in an SVG <g> (data-mml-node="mi" and so on), most
// of them holding one glyph and a translate. A <g> that carries nothing but its data-mml-node /
// data-mjx-texclass and a transform is replaced by its children, its transform put in front of
// each child's own (the same drawing). Kept: the <g> of an mtable, merror or maction and their
// direct children (MathJax's stylesheet selects those), and a <g> with a nested <svg> child
// (which takes no transform). On bptt this is 5220 <g> -> 339: 20.0k -> 15.2k elements.
"use strict";
const path = require("path");

const STYLED = new Set(["mtable", "merror", "maction"]);  // selected by MathJax's stylesheet
const PLAIN = new Set(["data-mml-node", "data-mjx-texclass", "transform"]);

// The transform "outer inner" as one list; a translate directly followed by a translate is
// summed (MathJax writes its numbers to 0.1 units of 1/1000 em, so the sum is exact there).
const TRANSLATE = /^translate\((-?[\d.]+),\s*(-?[\d.]+)\)$/;
function compose(outer, inner) {
  if (!inner) { return outer; }
  const a = outer.match(TRANSLATE), head = inner.split(/ (?=[a-z])/), b = head[0].match(TRANSLATE);
  if (!a || !b) { return outer + " " + inner; }
  const sum = (x, y) => String(Math.round((Number(x) + Number(y)) * 10) / 10);
  return ["translate(" + sum(a[1], b[1]) + "," + sum(a[2], b[2]) + ")"].concat(head.slice(1)).join(" ");
}

function flatten(adaptor, node) {
  adaptor.childNodes(node).slice().forEach((child) => {
    if (!["#text", "#comment"].includes(adaptor.kind(child))) { flatten(adaptor, child); }
  });
  if (adaptor.kind(node) !== "g") { return; }
  const parent = adaptor.parent(node);
  const role = adaptor.getAttribute(node, "data-mml-node");
  if (STYLED.has(role) || !parent || adaptor.kind(parent) !== "g" ||
      STYLED.has(adaptor.getAttribute(parent, "data-mml-node"))) { return; }
  if (adaptor.allAttributes(node).some((a) => !PLAIN.has(a.name))) { return; }
  const kids = adaptor.childNodes(node).slice();
  const move = adaptor.getAttribute(node, "transform");
  if (kids.some((k) => ["#text", "#comment", "svg"].includes(adaptor.kind(k)))) { return; }
  kids.forEach((k) => {
    if (move) { adaptor.setAttribute(k, "transform", compose(move, adaptor.getAttribute(k, "transform"))); }
    adaptor.insert(k, node);
  });
  adaptor.remove(node);
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const job = JSON.parse(input);
  const errors = [];
  let current = -1;
  require(path.join(job.mathjax, "node-main.js")).init({
    loader: {
      paths: { mathjax: job.mathjax },
      load: ["input/tex", "output/svg", "adaptors/liteDOM", "a11y/assistive-mml"],
    },
    // A TeX error (an undefined macro too: no "noundefined" red text) is the build's error, not
    // red text in a page.
    tex: {
      packages: { "[-]": ["noundefined"] },
      formatError: (jax, err) => {
        if (!err.retry) { errors.push([current, err.message]); }  // retry: an extension loads
        throw err;
      },
    },
    // One <defs> for the page: a glyph's path is written once however often it is used. The
    // SVG is sized in ex of the text around it, so its x-height is the text's.
    svg: { fontCache: "global" },
    startup: { typeset: false },
  }).then((MathJax) => {
    const adaptor = MathJax.startup.adaptor;
    // One after the other, each with the promise form: a macro such as \boldsymbol loads its
    // extension on first use.
    const html = [];
    return job.items.reduce((done, item, i) => done.then(() => {
      current = i;
      return MathJax.tex2svgPromise(item.tex, { display: item.display })
        .then((node) => {
          if (job.flatten !== false) {
            adaptor.childNodes(node).forEach((svg) => {
              if (adaptor.kind(svg) === "svg") { flatten(adaptor, svg); }
            });
          }
          html.push(adaptor.outerHTML(node));
        })
        .catch((err) => {
          if (!errors.some((e) => e[0] === i)) { errors.push([i, String(err && err.message || err)]); }
          html.push("");
        });
    }), Promise.resolve()).then(() => {
      const css = adaptor.textContent(MathJax.svgStylesheet());
      const defs = adaptor.outerHTML(MathJax.startup.output.fontCache.getCache());
      process.stdout.write(JSON.stringify({ html, css, defs, errors }));
    });
  }).catch((err) => {
    process.stderr.write("mathjax-node.js: " + (err && err.stack || err) + "\n");
    process.exit(1);
  });
});
