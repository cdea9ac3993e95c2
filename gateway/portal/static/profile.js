// A peer supporter's own profile, weekly schedule and "available now" switch.
import { busy, checked, checkedValues, el, enumOptions, fillChecks, fillSelect, formatDate, gql, hasRole, problem, say, showErrors, signedIn, text, clearErrors } from "./lib.js";
import { AREAS, GENDERS, WEEKDAYS } from "./vocab.js";

const FIELDS = `id displayName phone acceptsTexts languages areasOfSupport yearsOfService certifications bio gender
  zipCode timeZone weeklySchedule { day start end } availableNow availableUntil unavailableUntil active`;
// each document written whole, so the portal's documents can all be checked against the schema
const SAVE = {
  createMyPeerSupporterProfile: `mutation Save($input: PeerSupporterProfileInput!) { createMyPeerSupporterProfile(input: $input) {
    supporter { ${FIELDS} } errors { field message } } }`,
  updateMyPeerSupporterProfile: `mutation Save($input: PeerSupporterProfileChanges!) { updateMyPeerSupporterProfile(input: $input) {
    supporter { ${FIELDS} } errors { field message } } }`,
};
const form = document.getElementById("profile");
const slots = document.getElementById("slots");
const status = document.getElementById("status");
const panel = document.getElementById("availability");
const nowButton = document.getElementById("available-now");
const availabilityStatus = document.getElementById("availability-status");
let profile = null;
let slotCount = 0;

function slotRow(slot = { day: "MONDAY", start: "09:00", end: "17:00" }) {
  const n = slotCount++;
  const index = slots.querySelectorAll(".slot").length;
  const day = el("select", { id: `slot-day-${n}`, name: "slot-day" });
  fillSelect(day, enumOptions(WEEKDAYS));
  day.value = slot.day;
  const row = el("div", { class: "slot row", "data-field": `input.weeklySchedule.${index}` },
    el("div", {}, el("label", { for: day.id, text: "Day" }), day),
    el("div", {}, el("label", { for: `slot-start-${n}`, text: "From" }),
      el("input", { type: "time", id: `slot-start-${n}`, name: "slot-start", value: slot.start })),
    el("div", {}, el("label", { for: `slot-end-${n}`, text: "To" }),
      el("input", { type: "time", id: `slot-end-${n}`, name: "slot-end", value: slot.end === "24:00" ? "23:59" : slot.end })),
    el("div", {}, el("button", { type: "button", class: "secondary", onclick: () => { row.remove(); renumber(); } }, "Remove")));
  slots.append(row);
}

function renumber() {
  slots.querySelectorAll(".slot").forEach((row, index) => row.setAttribute("data-field", `input.weeklySchedule.${index}`));
}

function schedule() {
  // only the rows: an error note shown beside a row is not a time
  return [...slots.querySelectorAll(".slot")].map((row) => {
    const [day, start, end] = row.querySelectorAll("select, input");
    return { day: day.value, start: start.value, end: end.value === "23:59" ? "24:00" : end.value };
  });
}

function fill(p) {
  form.elements.displayName.value = p ? p.displayName : "";
  form.elements.phone.value = p ? p.phone : "";
  form.elements.zipCode.value = p ? p.zipCode : "";
  form.elements.acceptsTexts.checked = p ? p.acceptsTexts : false;
  form.elements.yearsOfService.value = p && p.yearsOfService !== null ? p.yearsOfService : "";
  form.elements.gender.value = p && p.gender ? p.gender : "";
  form.elements.timeZone.value = p ? p.timeZone : "";
  form.elements.certifications.value = p ? p.certifications.join("\n") : "";
  form.elements.bio.value = p ? p.bio : "";
  form.querySelectorAll("input[name=language]").forEach((box) => { box.checked = p ? p.languages.includes(box.value) : box.value === "en"; });
  form.querySelectorAll("input[name=area]").forEach((box) => { box.checked = p ? p.areasOfSupport.includes(box.value) : false; });
  slots.replaceChildren();
  (p ? p.weeklySchedule : []).forEach((slot) => slotRow(slot));
}

function showAvailability(p) {
  panel.hidden = !p;
  if (!p) return;
  const state = document.getElementById("availability-state");
  nowButton.setAttribute("aria-pressed", p.availableUntil ? "true" : "false");
  nowButton.textContent = p.availableUntil ? "Available now: on" : "Available now for 4 hours";
  if (!p.active) state.textContent = "Your coordinator has hidden your profile from search.";
  else if (p.unavailableUntil) state.textContent = `You are unavailable until ${formatDate(p.unavailableUntil)}.`;
  else if (p.availableUntil) state.textContent = `You show as available now, until ${formatDate(p.availableUntil)}.`;
  else state.textContent = p.availableNow ? "You are available now, by your weekly schedule." : "You are not on call now, by your weekly schedule.";
}

async function switchTo(button, input) {
  await busy(button, availabilityStatus, async () => {
    const answer = await gql(`mutation Switch($input: AvailabilityInput!) { setMyAvailability(input: $input) {
      supporter { ${FIELDS} } errors { field message } } }`, { input });
    const payload = answer.data && answer.data.setMyAvailability;
    if (!payload) return say(availabilityStatus, problem(answer), "error");
    if (payload.errors.length) return say(availabilityStatus, payload.errors.map((e) => e.message).join(" "), "error");
    profile = payload.supporter;
    showAvailability(profile);
    say(availabilityStatus, "Saved.");
  });
}

nowButton.addEventListener("click", () => switchTo(nowButton,
  nowButton.getAttribute("aria-pressed") === "true" ? { switch: "FOLLOW_SCHEDULE" } : { switch: "AVAILABLE_NOW" }));
document.getElementById("unavailable").addEventListener("click", (event) => {
  const days = Number(document.getElementById("off-for").value);
  const until = new Date(Date.now() + days * 86400000);
  switchTo(event.currentTarget, { switch: "UNAVAILABLE", until: until.toISOString() });
});
document.getElementById("follow").addEventListener("click", (event) => switchTo(event.currentTarget, { switch: "FOLLOW_SCHEDULE" }));
document.getElementById("add-slot").addEventListener("click", () => {
  slotRow();
  [...slots.querySelectorAll(".slot")].pop().querySelector("select").focus();
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = form.querySelector("button[type=submit]");
  const region = document.getElementById("profile-status");
  const years = text(form, "yearsOfService");
  const input = {
    displayName: text(form, "displayName") || "", phone: text(form, "phone") || "", zipCode: text(form, "zipCode") || "",
    acceptsTexts: checked(form, "acceptsTexts"), languages: checkedValues(form, "language"),
    areasOfSupport: checkedValues(form, "area"), yearsOfService: years === null ? null : Number(years),
    gender: text(form, "gender"), certifications: (form.elements.certifications.value || "").split("\n").map((l) => l.trim()).filter(Boolean),
    bio: form.elements.bio.value.trim(), weeklySchedule: schedule(),
  };
  const zone = text(form, "timeZone");
  if (zone) input.timeZone = zone;
  await busy(button, region, async () => {
    const mutation = profile ? "updateMyPeerSupporterProfile" : "createMyPeerSupporterProfile";
    const answer = await gql(SAVE[mutation], { input });
    const payload = answer.data && answer.data[mutation];
    if (!payload) return say(region, problem(answer), "error");
    if (payload.errors.length) { say(region, ""); return showErrors(form, payload.errors); }
    clearErrors(form);
    profile = payload.supporter;
    fill(profile);
    showAvailability(profile);
    say(region, "Your profile is saved and shows in search at once.");
  });
});

fillSelect(form.elements.gender, enumOptions(GENDERS), "Prefer not to say");
fillChecks(document.getElementById("areas"), "area", enumOptions(AREAS));
try {
  const me = await signedIn();
  if (!hasRole(me, "PEER_SUPPORTER")) {
    say(status, "This page is for peer supporters. Your department's coordinator can add the role.", "error");
  } else {
    const answer = await gql(`query Mine { supportLanguages { code name } myPeerSupporterProfile { ${FIELDS} } }`);
    if (!answer.data || !answer.data.supportLanguages) throw new Error(problem(answer));
    fillChecks(document.getElementById("languages"), "language", answer.data.supportLanguages.map((l) => ({ value: l.code, text: l.name })));
    profile = answer.data.myPeerSupporterProfile;
    document.getElementById("profile-title").textContent = profile ? "Your profile" : "Create your profile";
    fill(profile);
    showAvailability(profile);
    form.hidden = false;
  }
} catch (error) {
  say(status, error.message, "error");
}

// The anonymous monthly report: last month until the 10th, and this month.
const report = document.getElementById("report");
function monthValue(date) {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}`;
}
function monthName(date) {
  return date.toLocaleString(undefined, { month: "long", year: "numeric" });
}
const today = new Date();
const months = [new Date(today.getFullYear(), today.getMonth(), 1)];
if (today.getDate() <= 10) months.unshift(new Date(today.getFullYear(), today.getMonth() - 1, 1));
fillSelect(report.elements.month, months.map((d) => ({ value: monthValue(d), text: monthName(d) })));
report.hidden = form.hidden;
report.addEventListener("submit", async (event) => {
  event.preventDefault();
  const region = document.getElementById("report-status");
  const count = text(report, "officersSupported");
  if (count === null) return showErrors(report, [{ field: "officersSupported", message: "Enter a number (0 if none)." }]);
  await busy(report.querySelector("button"), region, async () => {
    const answer = await gql(`mutation Report($month: String!, $count: Int!) { submitSupportReport(month: $month, officersSupported: $count) {
      accepted errors { field message } } }`, { month: report.elements.month.value, count: Number(count) });
    const payload = answer.data && answer.data.submitSupportReport;
    if (!payload) return say(region, problem(answer), "error");
    if (payload.errors.length) { say(region, ""); return showErrors(report, payload.errors); }
    clearErrors(report);
    report.elements.officersSupported.value = "";
    say(region, "Thank you. Your report is counted.");
  });
});

// The quarterly supporter survey: fixed answers, counted without anything that ties them to you.
const survey = document.getElementById("survey");
const FIELDS_OF = { LOAD: "load", SUPPORTED: "supported", RECOMMEND: "recommend" };
if (!form.hidden) {
  const answer = await gql("query Survey { supporterSurvey { quarters questions { question text answers { answer text } } } }");
  const found = answer.data && answer.data.supporterSurvey;
  if (found) {
    fillSelect(survey.elements.quarter, found.quarters.map((q) => ({ value: q, text: q.replace("-Q", ", quarter ") })));
    document.getElementById("survey-questions").replaceChildren(...found.questions.map((q) =>
      el("fieldset", { "data-field": `answers.${FIELDS_OF[q.question]}` }, el("legend", { text: q.text }),
        ...q.answers.map((a) => el("label", { class: "check" },
          el("input", { type: "radio", name: FIELDS_OF[q.question], value: a.answer, required: "" }), ` ${a.text}`)))));
    survey.hidden = false;
  }
}
survey.addEventListener("submit", async (event) => {
  event.preventDefault();
  const region = document.getElementById("survey-status");
  const answers = Object.fromEntries(Object.values(FIELDS_OF).map((name) => [name, survey.elements[name].value]));
  const missing = Object.entries(answers).filter(([, value]) => !value)
    .map(([name]) => ({ field: `answers.${name}`, message: "Choose one answer." }));
  if (missing.length) return showErrors(survey, missing);
  await busy(survey.querySelector("button[type=submit]"), region, async () => {
    const answer = await gql(`mutation AnswerSurvey($quarter: String!, $answers: SupporterSurveyAnswers!) {
      submitSupporterSurvey(quarter: $quarter, answers: $answers) { accepted errors { field message } } }`,
    { quarter: survey.elements.quarter.value, answers });
    const payload = answer.data && answer.data.submitSupporterSurvey;
    if (!payload) return say(region, problem(answer), "error");
    if (payload.errors.length) { say(region, ""); return showErrors(survey, payload.errors); }
    clearErrors(survey);
    survey.reset();
    say(region, "Thank you. Your answers are counted.");
  });
});
