// Resources: crisis lines first, then your department's own lines (marked as its own: its
// EAP, chaplain, peer-team lead, family support), then the network's; each with Call / Text
// / Visit. Never an empty page: the crisis lines are there whatever the network does.
import { el, gql, label, nationalPhone, problem, say } from "./lib.js";
import { crisisLines } from "./next-steps.js";

const status = document.getElementById("status");
const groups = document.getElementById("groups");
const nothing = document.getElementById("nothing");
document.getElementById("nothing-lines").append(crisisLines());

function item(r) {
  const own = r.department !== null;
  return el("li", { class: "result" },
    el("h3", {}, r.title, own ? " " : null, own ? el("span", { class: "mark" }, "Your department") : null),
    el("p", { class: "meta" }, [label(r.category), `for ${label(r.audience).toLowerCase()}`,
      own && r.department.name ? `from ${r.department.name}` : null].filter(Boolean).join(" · ")),
    el("p", { text: r.description }),
    el("p", {},
      // a line that needs a key pressed after the number (the Veterans Crisis Line: 988, then 1) says so
      r.telLink ? el("a", { class: "button call", href: r.telLink },
        `Call ${nationalPhone(r.phone)}${r.thenDial ? `, then ${r.thenDial}` : ""}`) : null,
      r.smsLink ? el("a", { class: "button secondary", href: r.smsLink }, `Text ${nationalPhone(r.textNumber)}`) : null,
      r.url ? el("a", { class: "button secondary", href: r.url, rel: "noopener noreferrer", target: "_blank" }, "Visit website") : null));
}

function group(id, title, resources, hint) {
  if (!resources.length) return null;
  return el("section", { "aria-labelledby": id },
    el("h2", { id, text: title }),
    hint ? el("p", { class: "hint", text: hint }) : null,
    el("ul", { class: "results", "aria-label": title }, resources.map(item)));
}

try {
  const answer = await gql(`query Resources { wellbeingResources {
    id title description url phone thenDial textNumber telLink smsLink category audience department { id name } } }`);
  const resources = answer.data ? answer.data.wellbeingResources : null;
  if (!resources) {
    say(status, problem(answer), "error");
    nothing.hidden = false;
  } else {
    const crisis = resources.filter((r) => r.category === "CRISIS_LINE");
    const own = resources.filter((r) => r.category !== "CRISIS_LINE" && r.department);
    const network = resources.filter((r) => r.category !== "CRISIS_LINE" && !r.department);
    groups.append(...[
      group("crisis-title", "Crisis lines, any hour", crisis),
      group("own-title", "Your department's own", own, "Added by your department's coordinators for its people only."),
      group("network-title", "From the network", network),
    ].filter(Boolean));
    nothing.hidden = resources.length > 0;
  }
} catch (error) {
  say(status, error.message, "error");
  nothing.hidden = false;
}
