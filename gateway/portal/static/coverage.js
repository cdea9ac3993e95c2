// On-call coverage for coordinators and network admins: for each hour of this week, how many
// supporters' published schedules put them on call — network-wide, within reach, and of the
// department — and which hours have nobody. Nothing about any officer is counted.
import { clearErrors, el, fillSelect, formatDate, gql, label, problem, say, showErrors, text } from "./lib.js";

const RANGE = "day start endDay end hours";
const QUERY = `query Coverage($timeZone: String!, $departmentId: ID, $state: String, $near: NearZipCode) {
  onCallCoverage(timeZone: $timeZone, departmentId: $departmentId, state: $state, near: $near) {
    timeZone weekOf hours { day hour network region department }
    networkGaps { ${RANGE} } regionGaps { ${RANGE} } departmentFills { ${RANGE} } errors { field message } } }`;

const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "America/Chicago";

function span(r) {
  const days = r.endDay === r.day ? label(r.day) : `${label(r.day)} ${r.start} to ${label(r.endDay)}`;
  return r.endDay === r.day
    ? `${days} ${r.start}–${r.end} (${r.hours} hour${r.hours === 1 ? "" : "s"})`
    : `${days} ${r.end} (${r.hours} hours)`;
}

function spans(id, title, ranges, none) {
  return [el("h3", { id, text: title }),
    ranges.length ? el("ul", { "aria-labelledby": id }, ranges.map((r) => el("li", { text: span(r) }))) : el("p", { class: "meta", text: none })];
}

function grid(coverage, reach) {
  const days = [...new Set(coverage.hours.map((h) => h.day))];
  const key = reach === "region" ? "region" : "network";
  return el("details", {},
    el("summary", {}, "Hour by hour"),
    el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Supporters on call, hour by hour" },
      el("table", { class: "hours" },
        el("caption", {}, `Supporters scheduled on call ${reach === "region" ? "within reach" : "network-wide"}, ${coverage.timeZone} time; empty hours marked`),
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Day" }),
          Array.from({ length: 24 }, (_, hour) => el("th", { scope: "col", text: String(hour).padStart(2, "0") })))),
        el("tbody", {}, days.map((day) => el("tr", {}, el("th", { scope: "row", text: label(day) }),
          coverage.hours.filter((h) => h.day === day).map((h) => el("td", { class: h[key] ? "" : "gap", text: String(h[key]) }))))))));
}

/**
 * Wire the coverage form in `section`: `departmentId` fixes the department (coordinators);
 * with `pickDepartment`, a select offers any department or the whole network (admins).
 */
export async function coverageSection(section, { departmentId = null, state = null, pickDepartment = false } = {}) {
  const form = section.querySelector("form");
  const status = section.querySelector(".status");
  const shown = section.querySelector(".coverage");
  const pick = form.elements.departmentId || null;
  if (state) form.elements.state.value = state;
  if (pickDepartment && pick) {
    const answer = await gql("query CoverageDepartments { departments(first: 100) { nodes { id name } } }");
    const nodes = (answer.data && answer.data.departments && answer.data.departments.nodes) || [];
    fillSelect(pick, nodes.map((d) => ({ value: d.id, text: d.name })), "The whole network");
  }
  async function show() {
    const zip = text(form, "zip");
    const variables = { timeZone: zone, departmentId: pick ? text(form, "departmentId") : departmentId,
      state: zip ? null : text(form, "state"), near: zip ? { zipCode: zip, withinMiles: Number(form.elements.miles.value) } : null };
    say(status, "Counting…");
    const answer = await gql(QUERY, variables);
    const coverage = answer.data && answer.data.onCallCoverage;
    if (!coverage) return say(status, problem(answer), "error");
    if (coverage.errors.length) { say(status, ""); showErrors(form, coverage.errors); return; }
    clearErrors(form);
    const reach = variables.near ? `within ${variables.near.withinMiles} miles of ${variables.near.zipCode}` : variables.state ? `in ${variables.state.toUpperCase()}` : null;
    const own = coverage.hours.some((h) => h.department !== null);
    shown.replaceChildren(
      el("p", { class: "meta", text: `The week of ${formatDate(coverage.weekOf)}, hours in ${coverage.timeZone} time.` }),
      ...spans("gaps-network", "Nobody on call anywhere in the network", coverage.networkGaps, "None: every hour has someone on call."),
      ...(reach ? spans("gaps-region", `Nobody on call ${reach}`, coverage.regionGaps, "None: every hour has someone on call.") : []),
      ...(own ? spans("fills", `Hours only ${departmentId ? "your" : "this department's"} supporters cover${reach ? ` ${reach}` : ""}`,
        coverage.departmentFills, "None: others are on call whenever they are.") : []),
      grid(coverage, reach ? "region" : "network"));
    say(status, `${coverage.regionGaps.length || coverage.networkGaps.length ? "Gaps found" : "No gaps"} this week.`);
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); show().catch((error) => say(status, error.message, "error")); });
  await show();
}
