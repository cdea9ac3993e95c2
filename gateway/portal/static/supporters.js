// Find a peer supporter: the directory's filters, results with one-tap Call and Text.
// The search lives only in this page's memory: never in the address, history or storage.
import { checked, checkedValues, el, enumOptions, fillChecks, fillSelect, filterPanel, gql, label, nationalPhone, problem, say, signedIn, text, clearErrors } from "./lib.js";
import { AREAS, GENDERS } from "./vocab.js";

const form = document.getElementById("search");
const results = document.getElementById("results");
const status = document.getElementById("status");
const more = document.getElementById("more");
const panel = filterPanel(document.getElementById("filters"));
let languages = new Map();
let filter = null;
let after = null;

const SEARCH = `query FindSupporters($filter: PeerSupporterFilter, $after: String) {
  searchPeerSupporters(filter: $filter, first: 20, after: $after) {
    matches { distanceMiles supporter { id displayName telLink smsLink availableNow languages areasOfSupport
      yearsOfService bio certifications county state department { name } } }
    pageInfo { endCursor hasNextPage }
    errors { field message }
  } }`;

function readFilter() {
  const zip = text(form, "zip");
  const language = text(form, "language");
  const gender = text(form, "gender");
  const areas = checkedValues(form, "area");
  return {
    availableNow: checked(form, "availableNow"),
    includeOwnDepartment: checked(form, "includeOwn"),
    ...(zip ? { near: { zipCode: zip, withinMiles: Number(form.elements.miles.value) } } : {}),
    ...(language ? { language } : {}),
    ...(gender ? { gender } : {}),
    ...(areas.length ? { areasOfSupport: areas } : {}),
  };
}

function card(match) {
  const s = match.supporter;
  const where = `${s.department.name} · ${s.county} County, ${s.state}` +
    (match.distanceMiles !== null ? ` · about ${Math.round(match.distanceMiles)} miles` : "");
  const spoken = s.languages.map((code) => languages.get(code) || code).join(", ");
  return el("li", { class: "result" },
    el("h3", {}, s.displayName, " ",
      el("span", { class: s.availableNow ? "badge now" : "badge", text: s.availableNow ? "Available now" : "Not on call now" })),
    el("p", { class: "meta", text: where }),
    // Call and Text first, so the first one is in view on a phone
    el("p", {},
      el("a", { class: "button call", href: s.telLink, "aria-label": `Call ${s.displayName}` }, "Call"),
      s.smsLink ? el("a", { class: "button secondary", href: s.smsLink, "aria-label": `Text ${s.displayName}` }, "Text") : null,
      // a desk phone has no dialler: the number itself, written the way it is read
      el("span", { class: "phone" }, nationalPhone(s.telLink))),
    s.areasOfSupport.length ? el("p", {}, "Talks about: ", s.areasOfSupport.map(label).join(", ")) : null,
    spoken ? el("p", { class: "meta" }, "Speaks ", spoken) : null,
    s.yearsOfService !== null ? el("p", { class: "meta" }, `${s.yearsOfService} years of service`) : null,
    s.bio ? el("p", { text: s.bio }) : null,
  );
}

async function run(append) {
  const button = append ? more : form.querySelector("button[type=submit]");
  button.disabled = true;
  say(status, "Searching…");
  try {
    const answer = await gql(SEARCH, { filter, after });
    const found = answer.data && answer.data.searchPeerSupporters;
    if (!found) { say(status, problem(answer), "error"); return; }
    if (found.errors.length) { panel.showErrors(form, found.errors); say(status, ""); return; }
    clearErrors(form);
    if (!append) results.replaceChildren();
    results.append(...found.matches.map(card));
    after = found.pageInfo.endCursor;
    more.hidden = !found.pageInfo.hasNextPage;
    const count = results.children.length;
    say(status, count ? `${count} peer supporter${count === 1 ? "" : "s"} shown.` :
      "No peer supporter matches all of that. Try fewer filters, or untick “Available now”.");
  } catch (error) {
    say(status, error.message, "error");
  } finally {
    button.disabled = false;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  filter = readFilter();
  after = null;
  panel.searched();
  run(false);
});
more.addEventListener("click", () => run(true));

fillChecks(document.getElementById("areas"), "area", enumOptions(AREAS));
fillSelect(form.elements.gender, enumOptions(GENDERS), "Any");
try {
  await signedIn();
  const answer = await gql("query Languages { supportLanguages { code name } }");
  const list = (answer.data && answer.data.supportLanguages) || [];
  languages = new Map(list.map((l) => [l.code, l.name]));
  fillSelect(form.elements.language, list.map((l) => ({ value: l.code, text: l.name })), "Any language");
  filter = readFilter();
  run(false);
} catch (error) {
  say(status, error.message, "error");
}
