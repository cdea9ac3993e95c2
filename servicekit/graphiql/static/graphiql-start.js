// Starts GraphiQL against this origin's endpoint, opening on the page's example operations.
// Editor state lives in memory only: nothing typed here is written to the browser's storage.
(function () {
  "use strict";
  var container = document.getElementById("graphiql");
  var opening = JSON.parse(document.getElementById("graphiql-opening").textContent);
  var memory = {};
  var storage = {
    getItem: function (key) { return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : null; },
    setItem: function (key, value) { memory[key] = String(value); },
    removeItem: function (key) { delete memory[key]; },
    clear: function () { memory = {}; },
    get length() { return Object.keys(memory).length; }
  };
  var fetcher = GraphiQL.createFetcher({
    url: container.getAttribute("data-endpoint"),
    headers: { "X-WNWA-Request": "graphiql" }
  });

  // GraphiQL's editors (CodeMirror 5) take keys through a hidden textarea that has no label,
  // and scroll in a region of their own that the keyboard cannot reach; GraphiQL offers no
  // prop for either, so the page names each textarea and makes each scroller focusable.
  var EDITORS = [
    [".graphiql-query-editor", "Operation (GraphQL)"],
    [".graphiql-editor-tool .graphiql-editor:nth-child(1)", "Variables (JSON)"],
    [".graphiql-editor-tool .graphiql-editor:nth-child(2)", "Headers (JSON)"],
    [".graphiql-response", "Response (read only)"]
  ];
  function labelEditors() {
    EDITORS.forEach(function (editor) {
      container.querySelectorAll(editor[0]).forEach(function (box) {
        var input = box.querySelector(".CodeMirror textarea");
        if (input && input.getAttribute("aria-label") !== editor[1]) input.setAttribute("aria-label", editor[1]);
        var scroller = box.querySelector(".CodeMirror-scroll");
        if (scroller && scroller.getAttribute("tabindex") !== "0") {
          scroller.setAttribute("tabindex", "0");
          scroller.setAttribute("role", "region");
          scroller.setAttribute("aria-label", editor[1] + ", scrolled");
        }
      });
    });
  }
  new MutationObserver(labelEditors).observe(container, { childList: true, subtree: true });

  var root = ReactDOM.createRoot(container);
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    storage: storage,
    defaultQuery: opening.query,
    // read once: the page never changes it, so it only fills the editor at the start
    variables: opening.variables || undefined,
    defaultEditorToolsVisibility: true,
    shouldPersistHeaders: false
  }, React.createElement(GraphiQL.Logo, null,
    React.createElement("h1", { className: "graphiql-page-title" }, container.getAttribute("data-title")))));
})();
