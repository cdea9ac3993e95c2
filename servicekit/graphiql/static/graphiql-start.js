// Starts GraphiQL against this origin's endpoint. Editor state lives in memory only:
// nothing typed here is written to the browser's storage.
(function () {
  "use strict";
  var container = document.getElementById("graphiql");
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
  var root = ReactDOM.createRoot(container);
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    storage: storage,
    defaultEditorToolsVisibility: true,
    shouldPersistHeaders: false
  }));
})();
