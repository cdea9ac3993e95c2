// Enrollment codes and passkeys of a department: issue (shown once; print or CSV), withdraw, revoke.
import { busy, el, gql, hasRole, label, problem, say, showErrors, signedIn } from "./lib.js";

const status = document.getElementById("status");
const picker = document.getElementById("department-picker");
const department = document.getElementById("department");
const form = document.getElementById("issue-form");
const issued = document.getElementById("issued");
const ROLE_TEXT = { OFFICER: "Sworn officer", CIVILIAN: "Civilian staff", PEER_SUPPORTER: "Peer supporter",
  COORDINATOR: "Coordinator", VETTER: "Vetter", NETWORK_ADMIN: "Network admin" };
let me = null;

function chosenDepartment() {
  return picker.hidden ? null : department.value;
}

function isNetwork() {
  return chosenDepartment() === "network";
}

function roleInputs() {
  const kind = document.getElementById("kind");
  const extra = document.getElementById("extra");
  if (isNetwork()) {
    kind.replaceChildren(...["VETTER", "NETWORK_ADMIN"].map((role) => check("checkbox", "role", role)));
    extra.replaceChildren();
  } else {
    kind.replaceChildren(check("radio", "kind", "OFFICER", true), check("radio", "kind", "CIVILIAN"));
    extra.replaceChildren(check("checkbox", "role", "PEER_SUPPORTER"), check("checkbox", "role", "COORDINATOR"));
  }
}

function check(type, name, value, on = false) {
  const id = `${name}-${value}`;
  return el("label", { class: "check", for: id }, el("input", { type, id, name, value, checked: on }), ROLE_TEXT[value]);
}

function roles() {
  return [...form.querySelectorAll('input[name="kind"]:checked, input[name="role"]:checked')].map((box) => box.value);
}

function day(iso) {
  return iso ? new Date(`${iso}T12:00:00Z`).toLocaleDateString(undefined, { year: "numeric", month: "long", day: "numeric" }) : "Until revoked";
}

function roleList(values) {
  return values.map((role) => ROLE_TEXT[role] || label(role)).join(", ");
}

async function refresh() {
  const answer = await gql(
    "query EnrollmentCodes($d: ID) { enrollmentCodes(departmentId: $d) { id handle roles expiresOn }"
    + " passkeys(departmentId: $d) { id handle roles validUntil } passkeyPeriodDays(departmentId: $d) }",
    { d: chosenDepartment() },
  );
  if (!answer.data) { say(status, problem(answer), "error"); return; }
  const { enrollmentCodes, passkeys, passkeyPeriodDays } = answer.data;
  document.querySelector("#open-codes tbody").replaceChildren(...enrollmentCodes.map((code) => el("tr", {},
    el("td", { class: "handle" }, code.handle), el("td", {}, roleList(code.roles)), el("td", {}, day(code.expiresOn)),
    el("td", {}, el("button", { type: "button", class: "secondary",
      "aria-label": `Withdraw the code ${code.handle}`,
      onclick: (event) => withdraw(event.target, code.id) }, "Withdraw")))));
  document.querySelector("#passkeys tbody").replaceChildren(...passkeys.map((passkey) => el("tr", {},
    el("td", { class: "handle" }, passkey.handle), el("td", {}, roleList(passkey.roles)), el("td", {}, day(passkey.validUntil)),
    el("td", {}, el("button", { type: "button", class: "secondary",
      "aria-label": `Revoke the passkey ${passkey.handle}`,
      onclick: (event) => revoke(event.target, { passkeyId: passkey.id }) }, "Revoke")))));
  const section = document.getElementById("period-section");
  section.hidden = passkeyPeriodDays === null;
  document.getElementById("period").value = passkeyPeriodDays || "";
  const roleSelect = document.getElementById("revoke-role");
  roleSelect.replaceChildren(...(isNetwork() ? ["VETTER", "NETWORK_ADMIN"] : ["OFFICER", "CIVILIAN", "PEER_SUPPORTER", "COORDINATOR"])
    .map((role) => el("option", { value: role, text: ROLE_TEXT[role] })));
}

async function withdraw(button, id) {
  await busy(button, status, async () => {
    const answer = await gql("mutation WithdrawCodes($d: ID, $ids: [ID!]) { withdrawEnrollmentCodes(departmentId: $d, ids: $ids) { revoked } }",
      { d: chosenDepartment(), ids: [id] });
    if (!answer.data) throw new Error(problem(answer));
    say(status, "The code is withdrawn.");
    await refresh();
  });
}

async function revoke(button, what) {
  await busy(button, status, async () => {
    const answer = await gql("mutation RevokePasskeys($input: PasskeyRevocationInput!) { revokePasskeys(input: $input) { revoked errors { field message } } }",
      { input: { departmentId: chosenDepartment(), ...what } });
    if (!answer.data) throw new Error(problem(answer));
    const payload = answer.data.revokePasskeys;
    if (payload.errors.length) throw new Error(payload.errors[0].message);
    say(status, `${payload.revoked} passkey${payload.revoked === 1 ? "" : "s"} revoked.`);
    await refresh();
  });
}

async function revokeLabel(button, text) {
  await busy(button, status, async () => {
    const d = chosenDepartment();
    const revoked = await gql("mutation RevokePasskeys($input: PasskeyRevocationInput!) { revokePasskeys(input: $input) { revoked errors { field message } } }",
      { input: { departmentId: d, label: text } });
    if (!revoked.data) throw new Error(problem(revoked));
    if (revoked.data.revokePasskeys.errors.length) throw new Error(revoked.data.revokePasskeys.errors[0].message);
    const withdrawn = await gql("mutation WithdrawCodes($d: ID, $label: String) { withdrawEnrollmentCodes(departmentId: $d, label: $label) { revoked errors { field message } } }",
      { d, label: text });
    if (!withdrawn.data) throw new Error(problem(withdrawn));
    const keys = revoked.data.revokePasskeys.revoked;
    const codes = withdrawn.data.withdrawEnrollmentCodes.revoked;
    say(status, `${keys} passkey${keys === 1 ? "" : "s"} revoked, ${codes} code${codes === 1 ? "" : "s"} withdrawn.`);
    document.getElementById("revoke-label").value = "";
    await refresh();
  });
}

function csv(codes) {
  const quote = (value) => `"${String(value ?? "").replace(/"/g, '""')}"`;
  const rows = [["code", "label", "roles", "works_until", "handle"],
    ...codes.map((c) => [c.code, c.label || "", c.roles.join(" "), c.expiresOn, c.handle])];
  return rows.map((row) => row.map(quote).join(",")).join("\r\n") + "\r\n";
}

let csvUrl = null;

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const labels = form.elements.namedItem("labels").value.split("\n").map((line) => line.trim()).filter(Boolean);
  const count = Number(form.elements.namedItem("count").value || 0);
  const input = {
    departmentId: chosenDepartment(), roles: roles(), labels, count: labels.length ? 0 : count,
    validDays: Number(form.elements.namedItem("validDays").value || 14),
  };
  await busy(document.getElementById("issue-button"), status, async () => {
    const answer = await gql("mutation IssueCodes($input: EnrollmentCodesInput!) { issueEnrollmentCodes(input: $input) {"
      + " codes { code label handle roles expiresOn } errors { field message } } }", { input });
    if (!answer.data) throw new Error(problem(answer));
    const payload = answer.data.issueEnrollmentCodes;
    if (payload.errors.length) { showErrors(form, payload.errors); return; }
    showErrors(form, []);
    document.querySelector("#issued-table tbody").replaceChildren(...payload.codes.map((code) => el("tr", {},
      el("td", { class: "code" }, code.code), el("td", {}, code.label || ""), el("td", {}, roleList(code.roles)),
      el("td", {}, day(code.expiresOn)), el("td", { class: "handle" }, code.handle))));
    if (csvUrl) URL.revokeObjectURL(csvUrl);
    csvUrl = URL.createObjectURL(new Blob([csv(payload.codes)], { type: "text/csv" }));
    document.getElementById("csv-link").href = csvUrl;
    document.getElementById("enroll-address").textContent = `${window.location.origin}/enroll`;
    issued.hidden = false;
    form.reset();
    roleInputs();
    say(status, `${payload.codes.length} code${payload.codes.length === 1 ? "" : "s"} issued. Print or download them now.`);
    document.getElementById("issued-title").scrollIntoView();
    await refresh();
  });
});

document.getElementById("print-button").addEventListener("click", () => window.print());
document.getElementById("revoke-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const role = document.getElementById("revoke-role").value;
  if (!window.confirm(`Revoke every passkey with the role ${ROLE_TEXT[role]}?`)) return;
  await revoke(document.getElementById("revoke-role-button"), { role });
});
document.getElementById("label-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = document.getElementById("revoke-label").value.trim();
  if (!text) { say(status, "Type the label the code carried.", "error"); return; }
  await revokeLabel(document.getElementById("revoke-label-button"), text);
});
document.getElementById("revoke-all-button").addEventListener("click", async (event) => {
  if (!window.confirm("Revoke every passkey of the department? Everyone will need a new code.")) return;
  await revoke(event.target, { everything: true });
});
document.getElementById("period-button").addEventListener("click", async (event) => {
  await busy(event.target, status, async () => {
    const answer = await gql("mutation SetPasskeyPeriod($d: ID, $days: Int!) { setPasskeyPeriod(departmentId: $d, days: $days) { days errors { message } } }",
      { d: chosenDepartment(), days: Number(document.getElementById("period").value || 0) });
    if (!answer.data) throw new Error(problem(answer));
    const payload = answer.data.setPasskeyPeriod;
    if (payload.errors.length) throw new Error(payload.errors[0].message);
    say(status, `Passkeys added after a department sign-in now last ${payload.days} days.`);
  });
});
department.addEventListener("change", () => { roleInputs(); issued.hidden = true; refresh(); });

async function start() {
  try {
    me = await signedIn();
  } catch (error) {
    say(status, error.message, "error");
    return;
  }
  if (!hasRole(me, "COORDINATOR", "NETWORK_ADMIN")) {
    say(status, "This page is for coordinators and network admins.", "error");
    form.hidden = true;
    return;
  }
  if (hasRole(me, "NETWORK_ADMIN")) {
    const answer = await gql("query DepartmentNames { departments(first: 100, status: ACTIVE) { nodes { id name } } }");
    const nodes = answer.data ? answer.data.departments.nodes : [];
    department.replaceChildren(el("option", { value: "network", text: "The network's own staff" }),
      ...nodes.map((d) => el("option", { value: d.id, text: d.name })));
    picker.hidden = false;
  }
  roleInputs();
  await refresh();
  await startFederation();
}


// self-service federation: a coordinator proposes the department's own provider ------------

const federation = document.getElementById("federation");
const proposalForm = document.getElementById("proposal-form");
const proposalStatus = document.getElementById("proposal-status");

async function loadProposal() {
  const answer = await gql("query MyProposal { myIdentityProviderProposal { displayName issuer } mySignInSetByOperators }");
  if (!answer.data) return;
  // a sign-in the operators declare cannot be replaced by a proposal: no form to fill in vain
  const byOperators = answer.data.mySignInSetByOperators;
  proposalForm.hidden = byOperators;
  document.getElementById("federation-how").hidden = byOperators;
  document.getElementById("federation-set").hidden = !byOperators;
  const mine = answer.data.myIdentityProviderProposal;
  say(proposalStatus, mine ? `Waiting for approval: ${mine.displayName} (${mine.issuer}).` : "");
}

proposalForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = (name) => (proposalForm.elements.namedItem(name).value || "").trim();
  const rules = value("claimRules").split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    const [claim, ruleValue, role] = line.split(",").map((part) => part.trim());
    return { claim: claim || "", value: ruleValue || null, role: (role || "").toUpperCase() };
  });
  const allowed = ["OFFICER", "CIVILIAN", "PEER_SUPPORTER", "COORDINATOR"];
  if (rules.some((rule) => !allowed.includes(rule.role))) {
    showErrors(proposalForm, [{ field: "input.claimRules", message: `Each line ends with a role: ${allowed.join(", ")}.` }]);
    return;
  }
  await busy(document.getElementById("propose-button"), proposalStatus, async () => {
    const answer = await gql("mutation ProposeProvider($input: IdentityProviderInput!) { proposeIdentityProvider(input: $input) {"
      + " proposal { displayName issuer } errors { field message } } }", { input: {
      organisationId: me.department.id, displayName: value("displayName"), issuer: value("issuer"),
      clientId: value("clientId"), clientSecret: value("clientSecret") || null, clientAuthMethod: value("clientAuthMethod"),
      emailDomains: value("emailDomains").split(",").map((d) => d.trim()).filter(Boolean), claimRules: rules } });
    if (!answer.data) throw new Error(problem(answer));
    const payload = answer.data.proposeIdentityProvider;
    if (payload.errors.length) { showErrors(proposalForm, payload.errors); return; }
    showErrors(proposalForm, []);
    proposalForm.reset();
    say(proposalStatus, `Proposed: ${payload.proposal.displayName}. The network's staff will check and approve it.`);
  });
});

async function startFederation() {
  if (!me || !hasRole(me, "COORDINATOR") || !me.department) return;
  document.getElementById("redirect-uri").textContent = `${window.location.origin}/auth/callback`;
  federation.hidden = false;
  await loadProposal();
}

start();
