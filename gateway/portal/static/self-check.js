// The self-checks: questions drawn from self-check-scoring.js, scored on this device. Nothing
// is sent, stored or counted: no request carries an answer, no storage is written, and the
// page view is not counted. Asking for professionals of a specialty is a separate act the
// officer chooses, and sends only that specialty (as the Professionals page would).
import { el, label, nationalPhone } from "./lib.js";
import { crisisLines } from "./next-steps.js";
import { INSTRUMENTS, choices, score, urgent } from "./self-check-scoring.js";

const checks = document.getElementById("checks");
const ORDER = ["phq9", "gad7", "pcl5", "auditc"];

function radio(name, value, text, id) {
  return el("label", { class: "check", for: id }, el("input", { type: "radio", name, value: String(value), id }), text);
}

function answers(form, id) {
  return INSTRUMENTS[id].items.map((_, item) => {
    const chosen = form.querySelector(`input[name="${id}-${item}"]:checked`);
    return chosen ? Number(chosen.value) : null;
  });
}

function cutPoint(form) {
  const chosen = form.querySelector('input[name="auditc-cut"]:checked');
  return chosen ? chosen.value : null;
}

function instrument(id) {
  const it = INSTRUMENTS[id];
  const urgentNote = el("div", { class: "form-errors urgent", role: "alert", hidden: true },
    el("p", {}, el("strong", {}, "Please talk to someone now."),
      " You said you have had thoughts that you would be better off dead or of hurting yourself. These lines answer at any hour, in confidence:"),
    crisisLines());
  const result = el("div", { class: "outcome", tabindex: "-1", "aria-live": "polite" });
  const form = el("form", { novalidate: true, "data-instrument": id },
    urgentNote,
    el("p", { text: it.prompt }),
    it.items.map((text, item) => el("fieldset", { class: "item", "data-item": String(item) },
      el("legend", {}, `${item + 1}. ${text}`),
      el("div", { class: "choices" }, choices(id, item).map(([choice, points]) =>
        radio(`${id}-${item}`, points, choice, `${id}-${item}-${points}`))))),
    id === "auditc" ? el("fieldset", { class: "item", "data-item": "cut" },
      el("legend", {}, "The cut-point to compare with (it differs by sex)"),
      el("div", { class: "choices" },
        radio("auditc-cut", "men", "Men: 4 or more", "auditc-cut-men"),
        radio("auditc-cut", "women", "Women: 3 or more", "auditc-cut-women"))) : null,
    el("p", {},
      el("button", { type: "submit" }, "See my result"),
      el("button", { type: "reset", class: "secondary" }, "Clear my answers")),
    result);
  form.addEventListener("change", () => { urgentNote.hidden = !urgent(id, answers(form, id)); });
  form.addEventListener("reset", () => { urgentNote.hidden = true; result.replaceChildren(); clearMarks(form); });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    show(id, form, result, score(id, answers(form, id), { cutPoint: cutPoint(form) }));
  });
  return el("details", { class: "card instrument", id: `check-${id}` },
    el("summary", {}, el("span", { class: "h3" }, `${it.topic}: ${it.name}`), " ",
      el("span", { class: "meta" }, `${it.items.length} questions`)),
    form,
    el("p", { class: "hint", text: `Source: ${it.source}` }));
}

function clearMarks(form) {
  form.querySelectorAll(".field-error").forEach((node) => node.remove());
  form.querySelectorAll("fieldset[aria-invalid]").forEach((node) => { node.removeAttribute("aria-invalid"); node.removeAttribute("aria-describedby"); });
}

function show(id, form, result, scored) {
  clearMarks(form);
  if (!scored.complete) {
    const unanswered = [...scored.missing.map(String), ...(scored.needsCutPoint ? ["cut"] : [])];
    let first = null;
    for (const item of unanswered) {
      const set = form.querySelector(`fieldset[data-item="${item}"]`);
      const note = el("p", { class: "field-error", id: `${id}-${item}-missing`, text: item === "cut" ? "Choose the cut-point that fits you." : "Choose an answer." });
      set.append(note);
      set.setAttribute("aria-invalid", "true");
      set.setAttribute("aria-describedby", note.id);
      first = first || set.querySelector("input");
    }
    result.replaceChildren(el("p", { class: "form-errors", text: `${unanswered.length} question${unanswered.length === 1 ? "" : "s"} still to answer.` }));
    if (first) first.focus();
    return;
  }
  const it = INSTRUMENTS[id];
  const most = it.items.reduce((sum, _, item) => sum + choices(id, item).length - 1, 0);
  result.replaceChildren(
    el("h2", { class: "h3" }, `${it.name}: ${scored.total} of ${most}`),
    el("p", {}, el("strong", { text: scored.band.label }), ". A screening result, not a diagnosis."),
    ...scored.band.steps.map((step) => nextStep(step, it)),
    keep(id, scored));
  result.focus();
}

function nextStep(step, it) {
  if (step === "crisis") {
    return el("div", { class: "step" }, el("h3", { class: "h4", text: "Talk to someone now, any hour" }), crisisLines());
  }
  if (step === "peer") {
    return el("div", { class: "step" }, el("h3", { class: "h4", text: "Talk to a peer supporter" }),
      el("p", {}, "An officer from another department who has been there, and keeps it between you. ",
        el("a", { class: "button", href: "/supporters" }, "Find a peer supporter")));
  }
  const list = el("ul", { class: "compact", "aria-label": `Professionals for ${it.topic.toLowerCase()}` });
  const region = el("p", { class: "meta", role: "status" });
  const button = el("button", { type: "button", class: "secondary" }, `Show professionals for ${it.topic.toLowerCase()}`);
  button.addEventListener("click", () => professionals(it.specialty, list, region, button));
  return el("div", { class: "step" }, el("h3", { class: "h4", text: `A professional for ${it.topic.toLowerCase()}` }),
    el("p", {}, `Vetted counselors who know police work, with the specialty “${label(it.specialty)}”. `,
      "Showing them asks the directory for that specialty only, as the Professionals page does; your answers and score are not sent."),
    button, region, list);
}

const FIND = `query FindProfessionals($search: ProfessionalSearch) { professionals(search: $search, first: 5) {
  nodes { id fullName credentials phone telehealth availability { answersCallsAnyHour } locations { city state } } errors { field message } } }`;

async function ask(variables) {
  const response = await fetch("/graphql", { method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify({ query: FIND, variables }) });
  return response.json();
}

const signedOut = (answer) => (answer.errors || []).some((e) => e.extensions && e.extensions.code === "UNAUTHENTICATED");

async function professionals(specialty, list, region, button) {
  button.disabled = true;
  region.textContent = "Looking…";
  try {
    const variables = { search: { specialty } };
    let answer = await ask(variables);
    if (signedOut(answer)) {
      const renewed = await fetch("/auth/refresh", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: "{}",  // identity takes JSON only
      }).catch(() => null);
      if (renewed && renewed.ok) answer = await ask(variables);
    }
    if (signedOut(answer)) {
      region.replaceChildren("Professionals are listed for signed-in officers. ",
        el("a", { href: "/sign-in?next=/professionals" }, "Sign in"), " (your answers here are not kept).");
      return;
    }
    const found = answer.data && answer.data.professionals;
    const nodes = found && !found.errors.length ? found.nodes : [];
    list.replaceChildren(...nodes.map((p) => el("li", {},
      el("span", { class: "who" }, `${p.fullName}, ${p.credentials}`),
      el("span", { class: "meta" }, [p.locations[0] && `${p.locations[0].city}, ${p.locations[0].state}`, p.telehealth && "telehealth",
        p.availability.answersCallsAnyHour && "picks up any hour"].filter(Boolean).join(" · ")),
      el("a", { class: "button call", href: `tel:${p.phone}`, "aria-label": `Call ${p.fullName}, ${nationalPhone(p.phone)}` }, "Call"))));
    region.replaceChildren(nodes.length ? `${nodes.length} shown. ` : "None listed with that specialty yet. ",
      el("a", { href: "/professionals" }, "All professionals"), ".");
  } catch {
    region.textContent = "We could not reach the network. The crisis lines above need no connection.";
  } finally {
    button.disabled = false;
  }
}

/** Save the result as a file on this device, only when asked: nothing else keeps it. */
function keep(id, scored) {
  const it = INSTRUMENTS[id];
  const button = el("button", { type: "button", class: "secondary" }, "Save this result as a file on this device");
  button.addEventListener("click", () => {
    const day = new Date().toISOString().slice(0, 10);
    const lines = [`${it.name} (${it.topic}), ${day}`, `Score: ${scored.total}`, `Band: ${scored.band.label}`,
      "A screening result, not a diagnosis.", `Source: ${it.source}`];
    const url = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/plain" }));
    const link = el("a", { href: url, download: `self-check-${day}.txt`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  return el("p", {}, button, el("span", { class: "hint" }, " The file, and your browser's list of downloads, stay on this device."));
}

checks.append(...ORDER.map(instrument));
document.getElementById("sources").append(...ORDER.map((id) => el("li", {}, el("strong", { text: `${INSTRUMENTS[id].name}: ` }), INSTRUMENTS[id].source)));
