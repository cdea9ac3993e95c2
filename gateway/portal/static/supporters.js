// Find a peer supporter: everyone by default, those on call first, with one-tap Call and
// Text. When none matching is on call: who is on call now elsewhere (the filters left out
// named), else who is on call soonest by this phone's clock, everyone in one tap, and the
// crisis lines and professionals that pick up at any hour. The search lives only in this
// page's memory: never in the address, history or storage.
import { aboutMiles, checked, checkedValues, clearErrors, el, enumOptions, fillChecks, fillSelect, filterPanel, gql, label, nationalPhone, problem, say, signedIn, text } from "./lib.js";
import { anyHourProfessionals, whenNext, whoToCall } from "./next-steps.js";
import { AREAS, GENDERS } from "./vocab.js";
import { startTalking } from "./talk.js";

const form = document.getElementById("search");
const results = document.getElementById("results");
const status = document.getElementById("status");
const more = document.getElementById("more");
const panel = filterPanel(document.getElementById("filters"));
const who = document.getElementById("who-to-call");
const everyone = document.getElementById("see-everyone");
let professionalsAsked = false;
let languages = new Map();
let filter = null;
let after = null;
// supporters whose device takes messages: id → public key (asked per page of results)
const keys = new Map();

const SEARCH = `query FindSupporters($filter: PeerSupporterFilter, $after: String) {
  searchPeerSupporters(filter: $filter, first: 20, after: $after) {
    matches { distanceMiles supporter { id displayName telLink smsLink availableNow nextOnCall languages areasOfSupport
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

/** Filters beyond the defaults (everyone, other departments, on call or not)? */
function narrowed(f) {
  return ["near", "language", "gender", "areasOfSupport"].some((key) => key in f);
}

function card(match) {
  const s = match.supporter;
  const where = `${s.department.name} · ${s.county} County, ${s.state}` +
    (match.distanceMiles !== null ? ` · ${aboutMiles(match.distanceMiles)}` : "");
  const spoken = s.languages.map((code) => languages.get(code) || code).join(", ");
  return el("li", { class: "result" },
    el("h3", {}, s.displayName, " ",
      el("span", { class: s.availableNow ? "badge now" : "badge", text: s.availableNow ? "Available now" : "Not on call now" })),
    el("p", { class: "meta", text: where }),
    !s.availableNow && s.nextOnCall ? el("p", { class: "meta" }, `On call ${whenNext(s.nextOnCall)}`) : null,
    // Call and Text first, so the first one is in view on a phone
    el("p", {},
      el("a", { class: "button call", href: s.telLink, "aria-label": `Call ${s.displayName}` }, "Call"),
      s.smsLink ? el("a", { class: "button secondary", href: s.smsLink, "aria-label": `Text ${s.displayName}` }, "Text") : null,
      // a desk phone has no dialler: the number itself, written the way it is read
      el("span", { class: "phone" }, nationalPhone(s.telLink))),
    el("p", { class: "talk-slot", "data-supporter": s.id }),
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
    await messageButtons(found.matches.map((m) => m.supporter));
    after = found.pageInfo.endCursor;
    more.hidden = !found.pageInfo.hasNextPage;
    const count = results.children.length;
    const onCall = results.querySelectorAll(".badge.now").length;
    if (!append) await nextSteps(found.matches);
    const elsewhere = who.hidden ? "" : "; whom you can call now is above";
    if (!count) say(status, filter.availableNow ? `None of those matching is on call at this hour${elsewhere}.`
      : `Nothing matches all of that${elsewhere}.`);
    else say(status, onCall ? `${count} shown, ${onCall} on call now.` : `${count} shown, off call at this hour${elsewhere}.`);
  } catch (error) {
    say(status, error.message, "error");
    if (!append) unreachable();
  } finally {
    button.disabled = false;
  }
}

const KEYS = `query SupporterKeys($ids: [ID!]!) { messagingKeys(supporterIds: $ids) { supporterId publicKey } }`;

/** "Message without sharing my number" on the cards of those whose device takes messages. */
async function messageButtons(supporters) {
  if (!supporters.length) return;
  try {
    const answer = await gql(KEYS, { ids: supporters.map((s) => s.id) });
    for (const key of (answer.data && answer.data.messagingKeys) || []) keys.set(key.supporterId, key.publicKey);
  } catch {
    return; // without an answer the cards keep Call and Text
  }
  for (const s of supporters) {
    const slot = results.querySelector(`.talk-slot[data-supporter="${CSS.escape(s.id)}"]`);
    const publicKey = keys.get(s.id);
    if (!slot || !publicKey) continue;
    slot.append(el("button", { type: "button", class: "secondary talk-button",
      "aria-label": `Message without sharing my number: ${s.displayName}`,
      onclick: () => startTalking({ ...s, publicKey }, [who, document.getElementById("filters"), status, results, more]) },
    "Message without sharing my number"));
  }
}

/** No answer from the network: the lines that need no connection, in view. */
function unreachable() {
  who.hidden = false;
  document.getElementById("who-title").textContent = "Help that answers now";
  document.getElementById("who-why").textContent = "We could not reach the directory just now. These lines need no connection.";
  document.getElementById("who-list").replaceChildren();
  document.getElementById("who-list").before(document.getElementById("who-now"));
  everyone.hidden = true;
}

/**
 * None matching on call (or none matching at all): whom to call instead — on call now
 * elsewhere, else soonest — everyone in one tap, and those who pick up at any hour.
 */
async function nextSteps(matches) {
  const onCall = matches.length > 0 && matches[0].supporter.availableNow; // on call come first
  who.hidden = onCall;
  if (onCall) return;
  document.getElementById("who-title").textContent = "Finding who is on call…";
  // with filters, seeing everyone clears them; without, it goes to the list
  everyone.hidden = !narrowed(filter) && !filter.availableNow && !matches.length;
  if (!professionalsAsked) { professionalsAsked = true; anyHourProfessionals(document.getElementById("any-hour")); }
  await whoToCall(who, { ...filter, availableNow: false });
}

everyone.addEventListener("click", () => {
  if (!narrowed(filter) && !filter.availableNow) {
    // everyone is listed already: go to them
    const first = results.querySelector("a.call");
    if (first) first.focus();
    return;
  }
  form.reset();
  filter = readFilter();
  after = null;
  run(false).then(() => {
    const first = results.querySelector("a.call");
    (first || document.getElementById("who-title")).focus();
  });
});

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
