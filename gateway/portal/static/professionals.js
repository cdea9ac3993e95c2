// Find a professional. Listings open in place (no address per professional), so nothing
// about who was looked at lands in the browser's history.
import { aboutMiles, checked, clearErrors, el, enumOptions, fillSelect, filterPanel, gql, label, nationalPhone, problem, say, signedIn, text } from "./lib.js";
import { crisisLines } from "./next-steps.js";
import { GENDERS, MODALITIES, PLAN_TYPES, SPECIALTIES } from "./vocab.js";

const form = document.getElementById("search");
const results = document.getElementById("results");
const status = document.getElementById("status");
const more = document.getElementById("more");
const panel = filterPanel(document.getElementById("filters"));
const nothing = document.getElementById("nothing");
document.getElementById("nothing-lines").append(crisisLines());
let search = null;
let after = null;
// the network's languages by code, to show each listing's by name
let languages = new Map();

const FIND = `query FindProfessionals($search: ProfessionalSearch, $after: String) {
  professionals(search: $search, first: 20, after: $after) {
    nodes { id fullName credentials practiceName distanceMiles telehealth acceptingNewClients
      locations { city state } availability { answersCallsAnyHour schedulesWithin24Hours } }
    pageInfo { endCursor hasNextPage } errors { field message } } }`;

const LISTING = `query Listing($id: ID!) { professional(id: $id) {
  id fullName credentials licenseTypes practiceName phone website telehealth telehealthStates languages specialties
  modalities gender acceptingNewClients selfPay lawEnforcementExperienceYears lawEnforcementExperience serviceStates
  locations { street city state zipCode }
  insurance { carrier { name } planTypes }
  availability { answersCallsAnyHour schedulesWithin24Hours } } }`;

function readSearch() {
  const zip = text(form, "zip");
  const values = {
    selfPay: checked(form, "selfPay"), telehealth: checked(form, "telehealth"),
    answersCallsAnyHour: checked(form, "anyHour"), schedulesWithin24Hours: checked(form, "within24"),
    acceptingNewClients: checked(form, "accepting"),
  };
  if (zip) { values.nearZipCode = zip; values.withinMiles = Number(form.elements.miles.value); }
  for (const [name, key] of [["state", "state"], ["carrier", "insuranceCarrier"], ["plan", "planType"], ["specialty", "specialty"],
    ["language", "language"], ["gender", "gender"], ["modality", "modality"]]) {
    const value = text(form, name);
    if (value) values[key] = name === "state" ? value.toUpperCase() : value;
  }
  return values;
}

function commitments(a) {
  return [a.answersCallsAnyHour && "Picks up any hour", a.schedulesWithin24Hours && "Schedules within 24 hours"].filter(Boolean).join(" · ");
}

function card(p) {
  const places = p.locations.map((l) => `${l.city}, ${l.state}`).join("; ");
  const details = el("div", { id: `listing-${p.id}`, hidden: true });
  const toggle = el("button", { type: "button", class: "secondary", "aria-expanded": "false", "aria-controls": details.id,
    onclick: () => open(p.id, toggle, details) }, `Show listing`);
  return el("li", { class: "result" },
    el("h3", {}, `${p.fullName}, ${p.credentials}`),
    el("p", { class: "meta" }, [p.practiceName, places, p.distanceMiles !== null ? aboutMiles(p.distanceMiles) : null,
      p.telehealth ? "telehealth" : null].filter(Boolean).join(" · ")),
    el("p", { text: [commitments(p.availability), p.acceptingNewClients ? null : "Not taking new clients now"].filter(Boolean).join(" · ") }),
    toggle, details);
}

async function open(id, toggle, details) {
  const expanded = toggle.getAttribute("aria-expanded") === "true";
  if (expanded) { details.hidden = true; toggle.setAttribute("aria-expanded", "false"); toggle.textContent = "Show listing"; return; }
  if (!details.childElementCount) {
    toggle.disabled = true;
    try {
      const answer = await gql(LISTING, { id });
      const p = answer.data && answer.data.professional;
      details.append(p ? listing(p) : el("p", { class: "form-errors", text: problem(answer) || "This listing is no longer available." }));
    } catch (error) {
      details.append(el("p", { class: "form-errors", text: error.message }));
    } finally {
      toggle.disabled = false;
    }
  }
  details.hidden = false;
  toggle.setAttribute("aria-expanded", "true");
  toggle.textContent = "Hide listing";
}

function listing(p) {
  const facts = [
    ["Licenses", p.licenseTypes.map(label).join(", ")],
    ["Offices", p.locations.map((l) => `${l.street}, ${l.city}, ${l.state} ${l.zipCode}`).join("\n")],
    ["Telehealth", p.telehealth ? `Yes${p.telehealthStates.length ? ` (${p.telehealthStates.join(", ")})` : ""}` : "No"],
    ["Availability", commitments(p.availability)],
    ["Insurance", p.insurance.map((i) => `${i.carrier.name}${i.planTypes.length ? ` (${i.planTypes.join(", ")})` : ""}`).join("; ") || "None listed"],
    ["Self-pay", p.selfPay ? "Accepted" : "No"],
    ["Specialties", p.specialties.map(label).join(", ")],
    ["Sessions", p.modalities.map(label).join(", ") || "Not stated"],
    ["New clients", p.acceptingNewClients ? "Accepting" : "Not accepting now"],
    ["Languages", p.languages.map((code) => languages.get(code) || code).join(", ")],
    ...(p.gender ? [["Gender", label(p.gender)]] : []),
    ["Experience with officers", `${p.lawEnforcementExperienceYears} years${p.lawEnforcementExperience ? `: ${p.lawEnforcementExperience}` : ""}`],
  ];
  return el("div", { class: "listing" },
    el("dl", { class: "facts" }, facts.flatMap(([term, value]) => [el("dt", { text: term }), el("dd", { text: value })])),
    el("p", {},
      el("a", { class: "button call", href: `tel:${p.phone}`, "aria-label": `Call ${p.fullName}` }, "Call"),
      el("span", { class: "phone" }, nationalPhone(p.phone)),
      p.website ? el("a", { class: "button secondary", href: p.website, rel: "noopener noreferrer", target: "_blank" }, "Website") : null));
}

async function run(append) {
  const button = append ? more : form.querySelector("button[type=submit]");
  button.disabled = true;
  say(status, "Searching…");
  try {
    const answer = await gql(FIND, { search, after });
    const found = answer.data && answer.data.professionals;
    if (!found) { say(status, problem(answer), "error"); return; }
    // search problems come back as field errors: `search.nearZipCode` → data-field="nearZipCode"
    if (found.errors.length) {
      panel.showErrors(form, found.errors.map((e) => ({ field: e.field.replace(/^search\./, ""), message: e.message })));
      say(status, "");
      return;
    }
    clearErrors(form);
    if (!append) results.replaceChildren();
    results.append(...found.nodes.map(card));
    after = found.pageInfo.endCursor;
    more.hidden = !found.pageInfo.hasNextPage;
    const count = results.children.length;
    say(status, count ? `${count} professional${count === 1 ? "" : "s"} shown.` : "No professional matches all of that.");
    // never a dead end: fewer filters, those who pick up at any hour, peers, crisis lines
    nothing.hidden = count > 0;
    document.getElementById("clear").hidden = Object.values(search).every((value) => value === false);
    document.getElementById("any-hour").hidden = search.answersCallsAnyHour;
  } catch (error) {
    say(status, error.message, "error");
  } finally {
    button.disabled = false;
  }
}

form.addEventListener("submit", (event) => { event.preventDefault(); search = readSearch(); after = null; panel.searched(); run(false); });
/** Search again with the form set by `set` (after clearing it), then go to the results. */
function again(set) {
  form.reset();
  set();
  search = readSearch();
  after = null;
  run(false).then(() => (results.querySelector("button") || document.getElementById("nothing-title")).focus());
}
document.getElementById("clear").addEventListener("click", () => again(() => {}));
document.getElementById("any-hour").addEventListener("click", () => again(() => { form.elements.anyHour.checked = true; }));
more.addEventListener("click", () => run(true));
fillSelect(form.elements.plan, enumOptions(PLAN_TYPES), "Any plan");
fillSelect(form.elements.specialty, enumOptions(SPECIALTIES), "Any specialty");
fillSelect(form.elements.gender, enumOptions(GENDERS), "Any gender");
fillSelect(form.elements.modality, enumOptions(MODALITIES), "Any kind");
try {
  await signedIn();
  const answer = await gql("query Carriers { insuranceCarriers { code name } professionalLanguages { code name } }");
  const data = answer.data || {};
  fillSelect(form.elements.carrier, (data.insuranceCarriers || []).map((c) => ({ value: c.code, text: c.name })), "Any insurance");
  languages = new Map((data.professionalLanguages || []).map((l) => [l.code, l.name]));
  fillSelect(form.elements.language, [...languages].map(([value, name]) => ({ value, text: name })), "Any language");
  search = readSearch();
  run(false);
} catch (error) {
  say(status, error.message, "error");
}
