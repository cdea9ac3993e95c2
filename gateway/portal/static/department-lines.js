// A coordinator's own department's lines (EAP, chaplains, peer-team lead, family support):
// listed with retire / bring back, and added with the API's errors beside their fields.
import { busy, clearErrors, el, enumOptions, fillSelect, gql, label, nationalPhone, problem, say, showErrors, text } from "./lib.js";
import { RESOURCE_AUDIENCES } from "./vocab.js";

const KINDS = ["EMPLOYEE_ASSISTANCE", "CHAPLAIN", "PEER_SUPPORT_TEAM", "FAMILY_SUPPORT", "CRISIS_LINE", "FINANCIAL_HELP", "OTHER"];
const LINE = "id title description category audience phone textNumber url retired";

export function departmentLines(section) {
  const status = section.querySelector(".status");
  const list = section.querySelector("#lines");
  const form = section.querySelector("#line");
  fillSelect(form.elements.category, enumOptions(KINDS));
  fillSelect(form.elements.audience, enumOptions(RESOURCE_AUDIENCES));

  function item(r) {
    const button = el("button", { type: "button", class: "secondary" }, r.retired ? `Bring back “${r.title}”` : `Retire “${r.title}”`);
    const line = el("li", { class: "result" },
      el("h3", {}, r.title, " ", r.retired ? el("span", { class: "badge off", text: "Retired" }) : null),
      el("p", { class: "meta", text: `${label(r.category)} · for ${label(r.audience).toLowerCase()}` }),
      el("p", { text: [r.phone && `Call ${nationalPhone(r.phone)}`, r.textNumber && `Text ${nationalPhone(r.textNumber)}`, r.url].filter(Boolean).join(" · ") }),
      button);
    button.addEventListener("click", () => busy(button, status, async () => {
      const answer = await gql(`mutation RetireLine($id: ID!, $retired: Boolean!) { retireDepartmentResource(id: $id, retired: $retired) {
        resource { ${LINE} } errors { field message } } }`, { id: r.id, retired: !r.retired });
      const payload = answer.data && answer.data.retireDepartmentResource;
      if (!payload) return say(status, problem(answer), "error");
      if (payload.errors.length) return say(status, payload.errors.map((e) => e.message).join(" "), "error");
      const changed = item(payload.resource);
      line.replaceWith(changed);
      say(status, `“${r.title}” is ${payload.resource.retired ? "retired: your officers no longer see it" : "shown to your officers again"}.`);
      changed.querySelector("button").focus();
    }));
    return line;
  }

  async function load() {
    const answer = await gql(`query OwnLines { departmentWellbeingResources { ${LINE} } }`);
    const lines = answer.data && answer.data.departmentWellbeingResources;
    if (!lines) return say(status, problem(answer), "error");
    list.replaceChildren(...lines.map(item));
    if (!lines.length) say(status, "None yet: add your EAP number, a chaplain or the peer-team lead below.");
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form.querySelector("button[type=submit]"), status, async () => {
      const answer = await gql(`mutation AddLine($input: WellbeingResourceInput!) { createDepartmentResource(input: $input) {
        resource { ${LINE} } errors { field message } } }`,
      { input: { title: text(form, "title") || "", description: text(form, "description") || "",
        category: form.elements.category.value, audience: form.elements.audience.value,
        phone: text(form, "phone"), textNumber: text(form, "textNumber"), url: text(form, "url") } });
      const payload = answer.data && answer.data.createDepartmentResource;
      if (!payload) return say(status, problem(answer), "error");
      if (payload.errors.length) { say(status, ""); showErrors(form, payload.errors); return; }
      clearErrors(form);
      form.reset();
      await load();
      say(status, `Added “${payload.resource.title}”: your officers see it on Resources.`);
    });
  });
  return load();
}
