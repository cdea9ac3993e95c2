// Vetters: the queue, one application's details and documents, checklist, votes, decision.
import { busy, checked, el, enumOptions, fillSelect, formatDate, gql, hasRole, label, nationalPhone, problem, say, showErrors, signedIn, text, clearErrors } from "./lib.js";
import { VETTING_STATUSES } from "./vocab.js";

const APPLICATION = `id reference status submittedAt fullName credentials email phone website practiceName
  licenses { id licenseType number state expiresOn expired dueForReVetting }
  locations { street city state zipCode county } telehealth telehealthStates languages unlistedLanguages specialties
  modalities gender acceptingNewClients lawEnforcementExperienceYears lawEnforcementExperience
  codeOfEthics { name title } disciplinaryAction disciplinaryExplanation
  insurance { carrier { name } planTypes } selfPay
  availability { answersCallsAnyHour schedulesWithin24Hours } assessmentKind assessmentAt round reconsiderAfter
  documents { id kind filename contentType sizeBytes downloadPath }
  assignments { vetter assignedAt }
  assessments { round vetter vote callbackHours licenseVerified insuranceVerified codeOfEthics notes recordedAt }
  decisions { round outcome approvals votes reason reconsiderAfter decidedAt }`;

const queueForm = document.getElementById("queue-filter");
const queue = document.querySelector("#queue tbody");
const section = document.getElementById("application");
const status = document.getElementById("status");
let current = null;
let myPseudonym = null;
// the network's languages by code, to show an application's by name
let languages = new Map();

/** A vetter as the history names them: a short code of their pseudonym, or "you". */
function vetterName(pseudonym) {
  if (pseudonym === myPseudonym) return "you";
  return `vetter ${String(pseudonym).slice(0, 6)}`;
}

async function loadQueue() {
  const region = document.getElementById("queue-status-text");
  const chosen = queueForm.elements.status.value;
  const answer = await gql(`query Queue($status: VettingStatus, $due: Boolean!) { applications(status: $status, dueForReVetting: $due, first: 100) {
    nodes { id reference fullName credentials status submittedAt } } }`,
  { status: chosen && chosen !== "DUE" ? chosen : null, due: chosen === "DUE" });
  if (!answer.data || !answer.data.applications) return say(region, problem(answer), "error");
  const nodes = answer.data.applications.nodes;
  queue.replaceChildren(...nodes.map((a) => el("tr", {},
    el("td", {}, el("a", { href: "#application", "data-id": a.id, onclick: (e) => { e.preventDefault(); open(a.id); } }, a.reference)),
    el("td", { text: `${a.fullName}, ${a.credentials}` }),
    el("td", { text: label(a.status) }),
    el("td", { text: formatDate(a.submittedAt) }))));
  say(region, nodes.length ? "" : "No applications here.");
}

function facts(pairs) {
  return el("dl", { class: "facts" }, pairs.filter(([, v]) => v !== null && v !== "").flatMap(([t, v]) => [el("dt", { text: t }), el("dd", { text: v })]));
}

function show(a) {
  current = a;
  document.getElementById("application-title").textContent = `${a.reference}: ${a.fullName}, ${a.credentials}`;
  document.getElementById("details").replaceChildren(facts([
    ["Status", `${label(a.status)} (round ${a.round})`], ["Submitted", formatDate(a.submittedAt)],
    ["Assessment", `${label(a.assessmentKind)}${a.assessmentAt ? `, ${formatDate(a.assessmentAt)}` : ", not scheduled"}`],
    ["Email", a.email], ["Phone", nationalPhone(a.phone)], ["Website", a.website || ""], ["Practice", a.practiceName || ""],
    ["Licenses", a.licenses.map((l) => `${label(l.licenseType)} ${l.number} (${l.state}), expires ${formatDate(l.expiresOn)}${l.expired ? " — EXPIRED" : l.dueForReVetting ? " — due for re-vetting" : ""}`).join("\n")],
    ["Addresses", a.locations.map((l) => `${l.street}, ${l.city}, ${l.state} ${l.zipCode} (${l.county} County)`).join("\n")],
    ["Telehealth", a.telehealth ? `Yes ${a.telehealthStates.join(", ")}` : "No"],
    ["Languages", [...a.languages.map((code) => languages.get(code) || code), ...a.unlistedLanguages.map((name) => `${name} (as written)`)].join(", ")],
    ["Specialties", a.specialties.map(label).join(", ")],
    ["Sessions", a.modalities.map(label).join(", ") || "Not stated"], ["Gender", a.gender ? label(a.gender) : "Not stated"],
    ["New clients", a.acceptingNewClients ? "Accepting" : "Not accepting now"],
    ["Experience with officers", `${a.lawEnforcementExperienceYears} years${a.lawEnforcementExperience ? `: ${a.lawEnforcementExperience}` : ""}`],
    ["Code of ethics", a.codeOfEthics ? `${a.codeOfEthics.title} (${a.codeOfEthics.name})` : "Not asked (applied before the form asked)"],
    ["Disciplinary action", a.disciplinaryAction === null ? "Not asked (applied before the form asked)"
      : a.disciplinaryAction ? `Disclosed: ${a.disciplinaryExplanation}` : "None, as the applicant attests"],
    ["Insurance", a.insurance.map((i) => `${i.carrier.name} (${i.planTypes.join(", ") || "any plan"})`).join("; ") || "None"],
    ["Self-pay", a.selfPay ? "Yes" : "No"],
    ["Availability", [a.availability.answersCallsAnyHour && "any hour", a.availability.schedulesWithin24Hours && "within 24 hours"].filter(Boolean).join(", ")],
    ["Assigned", a.assignments.length ? a.assignments.map((x) => vetterName(x.vetter)).join(", ") : "Nobody yet"],
  ]));
  document.getElementById("documents").replaceChildren(...a.documents.map((d) => el("li", {},
    el("a", { href: d.downloadPath, download: d.filename }, `${label(d.kind)}: ${d.filename}`),
    ` (${d.contentType}, ${Math.max(1, Math.round(d.sizeBytes / 1024))} KB)`)));
  const round = a.assessments.filter((s) => s.round === a.round);
  document.getElementById("history").replaceChildren(
    el("p", {}, `This round: ${round.length} vote${round.length === 1 ? "" : "s"}, ${round.filter((s) => s.vote === "APPROVE").length} to approve.`),
    el("ul", {}, a.assessments.map((s) => el("li", { text: `Round ${s.round}: ${vetterName(s.vetter)} voted ${label(s.vote).toLowerCase()} (call-back within ${s.callbackHours} h; ${s.codeOfEthics ? "code of ethics checked" : "code of ethics not checked"}${s.notes ? `; ${s.notes}` : ""}), ${formatDate(s.recordedAt)}` })),
      a.decisions.map((d) => el("li", { text: `Round ${d.round} decided: ${label(d.outcome)} (${d.approvals} of ${d.votes} approved)${d.reason ? `; ${d.reason}` : ""}, ${formatDate(d.decidedAt)}` }))));
  const hints = { SUBMITTED: "Assign yourself to start the review.", UNDER_REVIEW: "Schedule the assessment.",
    ASSESSMENT_SCHEDULED: "Record your checklist and vote after the assessment.", DELIBERATION: "More votes may follow; then decide.",
    APPROVED: "Approved and listed while every license is current.", DEFERRED: "Deferred: it may be reopened after its date." };
  document.getElementById("step-hint").textContent = hints[a.status] || "";
  document.getElementById("ethics-code").textContent = a.codeOfEthics ? `This applicant's code: ${a.codeOfEthics.title}.` : "";
  section.hidden = false;
}

async function open(id) {
  say(status, "");
  const answer = await gql(`query One($id: ID!) { application(id: $id) { ${APPLICATION} } }`, { id });
  if (!answer.data || !answer.data.application) return say(status, problem(answer) || "That application is not there.", "error");
  show(answer.data.application);
  section.focus();
}

// each document written whole, so the portal's documents can all be checked against the schema
const ACTS = {
  assignVetter: `mutation Act($applicationId: ID!) { assignVetter(applicationId: $applicationId) {
    application { ${APPLICATION} } errors { field message } } }`,
  scheduleAssessment: `mutation Act($applicationId: ID!, $at: DateTime!) { scheduleAssessment(applicationId: $applicationId, at: $at) {
    application { ${APPLICATION} } errors { field message } } }`,
  recordAssessment: `mutation Act($applicationId: ID!, $input: AssessmentInput!) { recordAssessment(applicationId: $applicationId, input: $input) {
    application { ${APPLICATION} } errors { field message } } }`,
  decideApplication: `mutation Act($applicationId: ID!, $reason: String, $reconsiderAfter: Date) {
    decideApplication(applicationId: $applicationId, reason: $reason, reconsiderAfter: $reconsiderAfter) {
    application { ${APPLICATION} } errors { field message } } }`,
  reopenApplication: `mutation Act($applicationId: ID!) { reopenApplication(applicationId: $applicationId) {
    application { ${APPLICATION} } errors { field message } } }`,
};

async function act(button, form, name, args) {
  await busy(button, status, async () => {
    const answer = await gql(ACTS[name], args);
    const payload = answer.data && answer.data[name];
    if (!payload) return say(status, problem(answer), "error");
    if (payload.errors.length) {
      if (form) showErrors(form, payload.errors);
      else say(status, payload.errors.map((e) => e.message).join(" "), "error");
      return;
    }
    if (form) clearErrors(form);
    show(payload.application);
    say(status, "Saved.");
    loadQueue();
  });
}

document.getElementById("assign").addEventListener("click", (e) =>
  act(e.currentTarget, null, "assignVetter", { applicationId: current.id }));
document.getElementById("schedule").addEventListener("submit", (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const at = text(form, "at");
  if (!at) return showErrors(form, [{ field: "at", message: "Choose the date and time of the assessment." }]);
  act(form.querySelector("button"), form, "scheduleAssessment", { applicationId: current.id, at: new Date(at).toISOString() });
});
document.getElementById("assessment").addEventListener("submit", (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const vote = form.querySelector("input[name=vote]:checked");
  if (!vote) return showErrors(form, [{ field: "input.vote", message: "Choose Approve or Defer." }]);
  const hours = text(form, "callbackHours");
  act(form.querySelector("button[type=submit]"), form, "recordAssessment", {
    applicationId: current.id,
    input: {
      licenseVerified: checked(form, "licenseVerified"), insuranceVerified: checked(form, "insuranceVerified"),
      responsiveToUrgentRequests: checked(form, "responsive"), confidentialityPractices: checked(form, "confidentiality"),
      hipaaVideoPlatform: checked(form, "hipaa"), lawEnforcementExperience: checked(form, "leExperience"),
      codeOfEthics: checked(form, "codeOfEthics"),
      callbackHours: hours === null ? -1 : Number(hours), notes: text(form, "notes"), vote: vote.value,
    },
  });
});
document.getElementById("decision").addEventListener("submit", (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  act(form.querySelector("button[type=submit]"), form, "decideApplication",
    { applicationId: current.id, reason: text(form, "reason"), reconsiderAfter: text(form, "reconsiderAfter") });
});
document.getElementById("reopen").addEventListener("click", (e) =>
  act(e.currentTarget, null, "reopenApplication", { applicationId: current.id }));
queueForm.addEventListener("submit", (e) => { e.preventDefault(); loadQueue(); });

fillSelect(queueForm.elements.status, [{ value: "", text: "All applications" }, ...enumOptions(VETTING_STATUSES),
  { value: "DUE", text: "Approved, license expiring" }]);
try {
  const me = await signedIn();
  myPseudonym = me.pseudonymousId;
  if (!hasRole(me, "VETTER")) say(document.getElementById("queue-status-text"), "This page is for the network's vetters.", "error");
  else {
    const known = await gql("query Languages { professionalLanguages { code name } }");
    languages = new Map(((known.data && known.data.professionalLanguages) || []).map((l) => [l.code, l.name]));
    await loadQueue();
  }
} catch (error) {
  say(status, error.message, "error");
}
