// Resources: crisis lines first, each with Call / Text / Visit.
import { el, gql, label, nationalPhone, problem, say } from "./lib.js";

const status = document.getElementById("status");
const list = document.getElementById("resources");
try {
  const answer = await gql(`query Resources { wellbeingResources {
    id title description url phone textNumber telLink smsLink category audience } }`);
  const resources = answer.data ? answer.data.wellbeingResources : null;
  if (!resources) say(status, problem(answer), "error");
  else list.append(...resources.map((r) => el("li", { class: "result" },
    el("h2", { class: "h3", text: r.title }),
    el("p", { class: "meta" }, `${label(r.category)} · for ${label(r.audience).toLowerCase()}`),
    el("p", { text: r.description }),
    el("p", {},
      r.telLink ? el("a", { class: "button call", href: r.telLink }, `Call ${nationalPhone(r.phone)}`) : null,
      r.smsLink ? el("a", { class: "button secondary", href: r.smsLink }, `Text ${nationalPhone(r.textNumber)}`) : null,
      r.url ? el("a", { class: "button secondary", href: r.url, rel: "noopener noreferrer", target: "_blank" }, "Visit website") : null))));
} catch (error) {
  say(status, error.message, "error");
}
