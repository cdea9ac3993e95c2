// Coordinators: their department's supporters (deactivate / reactivate), aggregate figures,
// on-call coverage from published schedules, and the department's own lines.
import { coverageSection } from "./coverage.js";
import { departmentLines } from "./department-lines.js";
import { busy, dollars, el, formatDate, gql, hasRole, label, problem, say, signedIn } from "./lib.js";

const status = document.getElementById("status");
const body = document.querySelector("#supporters tbody");
const more = document.getElementById("more");
const SUPPORTER = "id displayName county state availableNow active";
let departmentId = null;
let after = null;
const counts = { total: 0, active: 0, now: 0 };

function figure(term, value) {
  return el("div", {}, el("dt", { text: term }), el("dd", { text: String(value) }));
}

function row(s) {
  const action = el("button", { type: "button", class: s.active ? "secondary" : "",
    onclick: () => toggle(s, action, line) }, s.active ? `Deactivate ${s.displayName}` : `Reactivate ${s.displayName}`);
  const line = el("tr", { "data-id": s.id },
    el("td", { text: s.displayName }), el("td", { text: `${s.county}, ${s.state}` }),
    el("td", {}, el("span", { class: s.availableNow ? "badge now" : "badge", text: s.availableNow ? "Available" : "Not on call" })),
    el("td", {}, el("span", { class: s.active ? "badge" : "badge off", text: s.active ? "Shown" : "Hidden" }), " ", action));
  return line;
}

// each document written whole, so the portal's documents can all be checked against the schema
const TOGGLES = {
  deactivatePeerSupporter: `mutation Toggle($id: ID!) { deactivatePeerSupporter(id: $id) { supporter { ${SUPPORTER} } errors { field message } } }`,
  reactivatePeerSupporter: `mutation Toggle($id: ID!) { reactivatePeerSupporter(id: $id) { supporter { ${SUPPORTER} } errors { field message } } }`,
};

async function toggle(s, button, line) {
  const name = s.active ? "deactivatePeerSupporter" : "reactivatePeerSupporter";
  await busy(button, status, async () => {
    const answer = await gql(TOGGLES[name], { id: s.id });
    const payload = answer.data && answer.data[name];
    if (!payload) return say(status, problem(answer), "error");
    if (payload.errors.length) return say(status, payload.errors.map((e) => e.message).join(" "), "error");
    const updated = payload.supporter;
    counts.active += updated.active ? 1 : -1;
    showCounts();
    line.replaceWith(row(updated));
    say(status, `${updated.displayName} is ${updated.active ? "shown in search again" : "hidden from search"}.`);
    body.querySelector(`tr[data-id="${CSS.escape(updated.id)}"] button`).focus();
  });
}

function showCounts() {
  const list = document.getElementById("figures");
  list.querySelectorAll("[data-count]").forEach((n) => n.remove());
  list.prepend(...[["Peer supporters", counts.total], ["Shown in search", counts.active], ["Available now", counts.now]]
    .map(([t, v]) => { const f = figure(t, v); f.setAttribute("data-count", ""); return f; }));
}

async function loadSupporters() {
  const answer = await gql(`query Mine($id: ID, $after: String) { departmentPeerSupporters(departmentId: $id, first: 100, after: $after) {
    nodes { ${SUPPORTER} } pageInfo { endCursor hasNextPage } } }`, { id: departmentId, after });
  if (!answer.data || !answer.data.departmentPeerSupporters) return say(status, problem(answer), "error");
  const page = answer.data.departmentPeerSupporters;
  body.append(...page.nodes.map(row));
  counts.total += page.nodes.length;
  counts.active += page.nodes.filter((s) => s.active).length;
  counts.now += page.nodes.filter((s) => s.active && s.availableNow).length;
  showCounts();
  after = page.pageInfo.endCursor;
  more.hidden = !page.pageInfo.hasNextPage;
  if (!body.children.length) say(status, "No peer supporter has made a profile yet.");
}

/** "2026-10" → "October 2026". */
function monthName(month) {
  const [year, number] = month.split("-").map(Number);
  return new Date(year, number - 1, 1).toLocaleString("en-US", { month: "long", year: "numeric" });
}

/** The coordinator's switch for civilian staff (dispatchers, records staff) signing in. */
function civilianSwitch(enrolled) {
  const region = el("p", { class: "status", role: "status" });
  const button = el("button", { type: "button", class: "secondary", id: "civilian-access" },
    enrolled ? "Stop civilian staff signing in" : "Let civilian staff sign in");
  button.addEventListener("click", () => busy(button, region, async () => {
    const answer = await gql(`mutation Civilians($id: ID!, $enrolled: Boolean!) {
      setCivilianAccess(departmentId: $id, enrolled: $enrolled) { department { id } errors { field message } } }`,
    { id: departmentId, enrolled: !enrolled });
    const payload = answer.data && answer.data.setCivilianAccess;
    if (!payload) return say(region, problem(answer), "error");
    if (payload.errors.length) return say(region, payload.errors.map((e) => e.message).join(" "), "error");
    await loadDepartment();
    const note = document.querySelector("#membership .status");
    say(note, !enrolled ? "Civilian staff can now sign in." : "Civilian staff can no longer sign in; those signed in lose access within minutes.");
    document.getElementById("civilian-access").focus();
  }));
  return el("div", {}, button, region);
}

async function loadDepartment() {
  // the latest month whose reports have closed (on the 10th of the next month): figures of a
  // month still taking reports are not shown, so no single report can be read from them
  const last = new Date();
  const closedMonthsBack = last.getDate() > 10 ? 1 : 2;
  last.setDate(1);
  last.setMonth(last.getMonth() - closedMonthsBack);
  const month = `${last.getFullYear()}-${String(last.getMonth() + 1).padStart(2, "0")}`;
  const answer = await gql(`query Department($id: ID!, $month: String!) {
    department(id: $id) { name county state record { status swornOfficers civiliansEnrolled joinedOn renewalDue annualFeeQuoteCents
      currentTerm { kind startsOn endsOn annualFeeCents } } }
    supportReciprocity(month: $month, departmentId: $id) { month reports officersSupported minimumReports department { reports officersSupported }
      twelveMonths { firstMonth lastMonth minimumReports reportsMargin officersMargin expectedReportsPerMonth appearsAround
        department { reports officersSupported } } } }`,
  { id: departmentId, month });
  const d = answer.data && answer.data.department;
  if (!d) return say(status, problem(answer), "error");
  document.getElementById("department-name").textContent = `${d.name} · ${d.county} County, ${d.state}`;
  const r = d.record;
  const membership = document.getElementById("membership");
  if (r) {
    membership.replaceChildren(el("dl", { class: "facts" }, [
      ["Status", label(r.status)], ["Sworn officers", r.swornOfficers], ["Civilian staff may sign in", r.civiliansEnrolled ? "Yes" : "No"],
      ["Member since", r.joinedOn ? formatDate(r.joinedOn) : "—"],
      ["Current term", r.currentTerm ? `${label(r.currentTerm.kind)}, ${formatDate(r.currentTerm.startsOn)} to ${formatDate(r.currentTerm.endsOn)}` : "None"],
      ["Renewal due", r.renewalDue ? "Yes" : "No"], ["Annual fee quoted", dollars(r.annualFeeQuoteCents)],
    ].flatMap(([t, v]) => [el("dt", { text: t }), el("dd", { text: String(v) })])), civilianSwitch(r.civiliansEnrolled));
  } else membership.textContent = problem(answer) || "Not available.";
  const reciprocity = answer.data.supportReciprocity;
  const note = document.getElementById("reciprocity-note");
  const list = document.getElementById("figures");
  if (reciprocity) {
    const own = reciprocity.department;
    const month = monthName(reciprocity.month);
    list.querySelectorAll(":scope > :not([data-count])").forEach((n) => n.remove());
    list.append(figure(`Officers supported by your supporters (${month})`, own ? own.officersSupported : "—"),
      figure(`Officers supported network-wide (${month})`, reciprocity.officersSupported));
    const year = reciprocity.twelveMonths;
    const span = `${monthName(year.firstMonth)} to ${monthName(year.lastMonth)}`;
    if (year.department) {
      list.append(figure(`Reports by your supporters (${span})`, `${year.department.reports}, give or take ${year.reportsMargin}`),
        figure(`Officers they supported (${span})`, `${year.department.officersSupported}, give or take ${year.officersMargin}`));
    }
    note.textContent = [own ? "" : `A month's own figure shows once at least ${reciprocity.minimumReports} of your supporters report in it.`,
      yearNote(year)].filter(Boolean).join(" ");
  }
}

/** When the department's twelve-month figure appears, from the network's pace only. */
function yearNote(year) {
  if (year.department) return "Every figure carries deliberate noise, so that no one supporter's report can be read from it.";
  const needed = `Your department's own figure over twelve months appears once its count of your supporters' reports in those months, which carries deliberate noise, reaches ${year.minimumReports}.`;
  const perYear = Math.round(year.expectedReportsPerMonth * 12);
  if (year.appearsAround) {
    return `${needed} If your supporters report as often as supporters across the network do (about ${perYear} reports a year between them), ` +
      `that would be around ${monthName(year.appearsAround)}; reports already made this past year count too, so it may come sooner.`;
  }
  if (year.expectedReportsPerMonth > 0) {
    return `${needed} As often as supporters across the network report, yours would file about ${perYear} in a year, so it appears only if ` +
      "they report more often than that, or once more of your officers become peer supporters.";
  }
  return `${needed} It appears once your peer supporters start reporting.`;
}

more.addEventListener("click", () => loadSupporters());
try {
  const me = await signedIn();
  if (!hasRole(me, "COORDINATOR") || !me.department) {
    say(status, "This page is for your department's peer-support coordinators.", "error");
    document.getElementById("department-name").textContent = "";
  } else {
    departmentId = me.department.id;
    await loadSupporters();
    await loadDepartment();
    await Promise.all([
      departmentLines(document.getElementById("lines-section")),
      coverageSection(document.getElementById("coverage-section"), { departmentId, state: me.department.state }),
    ]);
  }
} catch (error) {
  say(status, error.message, "error");
}
