// The public application: validated by the API, errors shown beside each field, documents
// uploaded with the GraphQL multipart request spec and a progress bar.
import { checked, checkedValues, el, enumOptions, fillChecks, fillSelect, gql, say, showErrors, text, clearErrors } from "./lib.js";
import { FormProof, refusedForProof } from "./proof.js";
import { GENDERS, LICENSE_TYPES, MODALITIES, PLAN_TYPES, SPECIALTIES } from "./vocab.js";

const form = document.getElementById("application");
const status = document.getElementById("status");
// one key per filled-in form, so sending again after a lost answer never makes a second application
const clientKey = `portal-${crypto.randomUUID()}`;
let counter = 0;

const SUBMIT = `mutation Apply($input: ProfessionalApplicationInput!, $documents: [DocumentUpload!]!, $proof: String) {
  submitProfessionalApplication(input: $input, documents: $documents, proofOfWork: $proof) { reference statusSecret errors { field message } } }`;
const CHALLENGE = "query Challenge { applicationChallenge { challenge maxNumber expiresAt } }";

// the form's puzzle, solved while the form is filled in
const proof = new FormProof(async () => {
  const answer = await gql(CHALLENGE, {}, { publicOperation: true });
  const found = answer.data && answer.data.applicationChallenge;
  if (!found) throw new Error((answer.errors || [{}])[0].message || "Something went wrong. Please try again.");
  return found;
}).watch(form);

function group(container, fields) {
  const n = counter++;
  const box = el("div", { class: "slot" });
  const row = el("div", { class: "row" });
  for (const [name, title, kind] of fields) {
    const id = `${name}-${n}`;
    let control;
    if (kind === "license-type") { control = el("select", { id, name }); fillSelect(control, enumOptions(LICENSE_TYPES), "Choose"); }
    else if (kind === "plans") {
      const checks = el("div", { class: "checks" });
      fillChecks(checks, `${name}-${n}`, enumOptions(PLAN_TYPES));
      control = el("fieldset", { "data-name": name }, el("legend", { text: title }), checks);
      row.append(el("div", {}, control));
      continue;
    } else if (kind === "carrier") control = el("input", { id, name, type: "text", autocomplete: "off", list: "carrier-names" });
    else control = el("input", { id, name, type: kind || "text", autocomplete: "off" });
    row.append(el("div", {}, el("label", { for: id, text: title }), control));
  }
  box.append(row);
  if (container.children.length) box.append(el("button", { type: "button", class: "secondary", onclick: () => box.remove() }, "Remove"));
  container.append(box);
}

const addLicense = () => group(document.getElementById("licenses"), [
  ["licenseType", "Type", "license-type"], ["number", "Number"], ["state", "State"], ["expiresOn", "Expires", "date"]]);
const addLocation = () => group(document.getElementById("locations"), [
  ["street", "Street"], ["city", "City"], ["state", "State"], ["zipCode", "ZIP code"]]);
const addInsurance = () => group(document.getElementById("insurance"), [["carrier", "Carrier, e.g. Aetna", "carrier"], ["planTypes", "Plan types", "plans"]]);

// the network's list of carriers, offered as suggestions (the API checks the name either way)
async function loadCarriers() {
  const names = el("datalist", { id: "carrier-names" });
  form.append(names);
  try {
    const answer = await gql("query Carriers { insuranceCarriers { name } }", {}, { publicOperation: true });
    const carriers = (answer.data && answer.data.insuranceCarriers) || [];
    names.replaceChildren(...carriers.map((carrier) => el("option", { value: carrier.name })));
  } catch {
    // suggestions are a convenience: typing the carrier's name still works
  }
}
loadCarriers();

// what the network asks (the minimum years with officers, the codes of ethics) and its
// languages, from the API: one list, the one the vetters and the search use
async function loadRequirements() {
  const codes = new Map();
  try {
    const answer = await gql(`query Requirements { professionalLanguages { code name }
      applicationRequirements { minimumYearsWithOfficers codesOfEthics { association name title } } }`, {}, { publicOperation: true });
    const data = answer.data || {};
    fillChecks(document.getElementById("languages"), "language",
      (data.professionalLanguages || []).map((l) => ({ value: l.code, text: l.name })), ["en"]);
    const asked = data.applicationRequirements;
    if (asked) {
      const years = asked.minimumYearsWithOfficers;
      form.elements.leYears.min = String(years);
      document.getElementById("years-hint").textContent = years > 0
        ? `The network lists professionals with at least ${years} year${years === 1 ? "" : "s"} of experience treating officers.`
        : "Tell us about any experience you have treating officers.";
      for (const code of asked.codesOfEthics) codes.set(code.association, code.title);
      const other = form.elements.association.querySelector("option[value=OTHER]");
      for (const code of asked.codesOfEthics) other.before(el("option", { value: code.association }, code.name));
    }
  } catch {
    say(status, "The form could not load the network's lists; reload the page to apply.", "error");
  }
  const association = form.elements.association;
  association.addEventListener("change", () => {
    document.getElementById("association-other-box").hidden = association.value !== "OTHER";
    document.getElementById("code-title").textContent = codes.has(association.value)
      ? `Vetters check your application against the ${codes.get(association.value)}.` : "";
  });
}
loadRequirements();
form.querySelectorAll("input[name=disciplinary]").forEach((choice) => choice.addEventListener("change", () => {
  document.getElementById("disciplinary-box").hidden = text(form, "disciplinary") !== "yes";
}));

function rows(id) {
  return [...document.getElementById(id).children];
}

function value(box, name) {
  const control = box.querySelector(`[name="${name}"]`);
  const v = control ? control.value.trim() : "";
  return v === "" ? null : v;
}

function collect() {
  const licenses = rows("licenses").map((box, i) => {
    box.querySelectorAll("[name]").forEach((c) => c.setAttribute("data-field", `input.licenses.${i}.${c.name}`));
    const item = { licenseType: value(box, "licenseType"), number: value(box, "number"), state: value(box, "state"), expiresOn: value(box, "expiresOn") };
    return Object.values(item).some((v) => v !== null) ? item : null;
  }).filter(Boolean);
  const locations = rows("locations").map((box, i) => {
    box.querySelectorAll("[name]").forEach((c) => c.setAttribute("data-field", `input.locations.${i}.${c.name}`));
    const item = { street: value(box, "street"), city: value(box, "city"), state: value(box, "state"), zipCode: value(box, "zipCode") };
    return Object.values(item).some((v) => v !== null) ? item : null;
  }).filter(Boolean);
  const insurance = rows("insurance").map((box, i) => {
    box.querySelector("[name=carrier]").setAttribute("data-field", `input.insurance.${i}.carrier`);
    box.querySelector("fieldset").setAttribute("data-field", `input.insurance.${i}.planTypes`);
    const plans = [...box.querySelectorAll("fieldset input:checked")].map((c) => c.value);
    const carrier = value(box, "carrier");
    return carrier || plans.length ? { carrier, planTypes: plans } : null;
  }).filter(Boolean);
  const list = (name) => (text(form, name) || "").split(",").map((s) => s.trim()).filter(Boolean);
  const years = text(form, "leYears");
  const disciplinary = text(form, "disciplinary");
  const association = text(form, "association");
  return {
    clientKey, fullName: text(form, "fullName"), credentials: text(form, "credentials"), email: text(form, "email"),
    phone: text(form, "phone"), practiceName: text(form, "practiceName"), website: text(form, "website"),
    licenses, locations, insurance, telehealth: checked(form, "telehealth"), telehealthStates: list("telehealthStates").map((s) => s.toUpperCase()),
    languages: checkedValues(form, "language"), specialties: checkedValues(form, "specialty"),
    modalities: checkedValues(form, "modality"), gender: text(form, "gender"), acceptingNewClients: checked(form, "accepting"),
    lawEnforcementExperienceYears: years === null ? null : Number(years), lawEnforcementExperience: text(form, "leExperience"),
    professionalAssociation: association, professionalAssociationOther: association === "OTHER" ? text(form, "associationOther") : null,
    disciplinaryAction: disciplinary === null ? null : disciplinary === "yes",
    disciplinaryExplanation: disciplinary === "yes" ? text(form, "disciplinaryExplanation") : null,
    selfPay: checked(form, "selfPay"), answersCallsAnyHour: checked(form, "anyHour"), schedulesWithin24Hours: checked(form, "within24"),
  };
}

function send(input, files, progress, solution) {
  const documents = files.map((f) => ({ kind: f.kind, file: null }));
  const body = new FormData();
  body.append("operations", JSON.stringify({ query: SUBMIT, variables: { input, documents, proof: solution } }));
  body.append("map", JSON.stringify(Object.fromEntries(files.map((_, i) => [String(i), [`variables.documents.${i}.file`]]))));
  files.forEach((f, i) => body.append(String(i), f.file, f.file.name));
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", "/graphql");
    request.setRequestHeader("X-WNWA-Request", "portal");
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", (event) => { if (event.lengthComputable) progress(event.loaded / event.total); });
    request.addEventListener("load", () => {
      if (request.status === 413) return reject(new Error("The documents are too large together. Send each under 10 MB."));
      try { resolve(JSON.parse(request.responseText)); } catch { reject(new Error("The network answered in a way we did not expect. Please try again.")); }
    });
    request.addEventListener("error", () => reject(new Error("The upload stopped. Check your connection and send again: nothing is sent twice.")));
    request.send(body);
  });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = form.querySelector("button[type=submit]");
  const box = document.getElementById("progress-box");
  const bar = document.getElementById("progress");
  const input = collect();
  const files = [...form.querySelectorAll("input[type=file]")].filter((i) => i.files.length)
    .map((i) => ({ kind: i.dataset.kind, file: i.files[0], control: i }));
  form.querySelectorAll("input[type=file]").forEach((i) => i.removeAttribute("data-field"));
  files.forEach((f, i) => f.control.setAttribute("data-field", `documents.${i}.file`));
  const tooBig = files.find((f) => f.file.size > 10 * 1024 * 1024);
  if (tooBig) return showErrors(form, [{ field: tooBig.control.dataset.field, message: "This file is over 10 MB. Send a smaller copy." }]);
  button.disabled = true;
  box.hidden = false;
  bar.value = 0;
  say(status, "Sending…");
  try {
    const sent = async () => send(input, files, (share) => { bar.value = Math.round(share * 100); }, await proof.take());
    let answer = await sent();
    if (refusedForProof(answer)) { proof.spent(); answer = await sent(); }
    const receipt = answer.data && answer.data.submitProfessionalApplication;
    // a form with mistakes spent nothing: its solution goes with the corrections
    if (!receipt || !receipt.errors.length) proof.spent();
    if (!receipt) { say(status, (answer.errors || [{}])[0].message || "Something went wrong. Please try again.", "error"); return; }
    if (receipt.errors.length) {
      say(status, `Please correct ${receipt.errors.length === 1 ? "one thing" : `${receipt.errors.length} things`} marked below.`, "error");
      showErrors(form, receipt.errors);
      return;
    }
    clearErrors(form);
    form.hidden = true;
    document.getElementById("reference").textContent = receipt.reference;
    document.getElementById("status-secret").textContent = receipt.statusSecret || "";
    const done = document.getElementById("done");
    done.hidden = false;
    done.focus();
  } catch (error) {
    say(status, error.message, "error");
  } finally {
    button.disabled = false;
    box.hidden = true;
  }
});

document.getElementById("add-license").addEventListener("click", addLicense);
document.getElementById("add-location").addEventListener("click", addLocation);
document.getElementById("add-insurance").addEventListener("click", addInsurance);
fillChecks(document.getElementById("specialties"), "specialty", enumOptions(SPECIALTIES));
fillChecks(document.getElementById("modalities"), "modality", enumOptions(MODALITIES), ["INDIVIDUAL"]);
fillSelect(form.elements.gender, enumOptions(GENDERS), "Not stated");
addLicense();
addLocation();
addInsurance();
