// Typesets TeX with MathJax 3 in Node.js, at build time (gtt_sphinx/mathtex.py runs it once
// per page, so each page gets the glyphs it uses and nothing else).
//
// stdin:  {"mathjax": <the MathJax es5 tree>, "items": [{"tex": "...", "display": true|false}, ...]}
// stdout: {"html": [<mjx-container> markup for each item], "css": <MathJax's SVG stylesheet>,
//          "defs": <a <defs> element: the glyph paths the items use, which they reference>,
//          "errors": [[index, message], ...]}
//
// The MathJax the pages used to load in the browser (the same version and TeX input; SVG output
// where the browser used HTML output), with assistive MathML for screen readers.
"use strict";
const path = require("path");

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
        .then((node) => { html.push(adaptor.outerHTML(node)); })
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
