// Network admins: departments and terms, identity providers, resources, on-call coverage,
// news, demo times, inquiries.
import { coverageSection } from "./coverage.js";
import { busy, clearErrors, checked, el, enumOptions, fillSelect, formatDate, gql, hasRole, label, nationalPhone, problem, say, showErrors, signedIn, text } from "./lib.js";
import { DEPARTMENT_STATUSES, RESOURCE_AUDIENCES, RESOURCE_CATEGORIES } from "./vocab.js";

const status = document.getElementById("status");

/** Run a mutation returning a payload with `errors`; show them in `form` or the status line. */
async function mutate(button, form, document, variables, field, done) {
  await busy(button, status, async () => {
    const answer = await gql(document, variables);
    const payload = answer.data && answer.data[field];
    if (!payload) return say(status, problem(answer), "error");
    if (payload.errors.length) {
      if (form) { say(status, ""); showErrors(form, payload.errors); }
      else say(status, payload.errors.map((e) => e.message).join(" "), "error");
      return;
    }
    if (form) clearErrors(form);
    say(status, "Saved.");
    await done(payload);
  });
}

// departments and terms
const DEPARTMENT = "id name county state record { ori status swornOfficers consortium { name } currentTerm { kind years startsOn endsOn } renewalDue terms { id } }";

/** A first term's length (three years, or one or two with a reason) and the button that records the next term. */
function termControls(d, r, done) {
  if (r.consortium) return [el("p", { class: "hint", text: `Terms: ${r.consortium.name}` })];
  const years = el("select", { "aria-label": `First term of ${d.name}` });
  fillSelect(years, [{ value: "3", text: "3 years" }, { value: "2", text: "2 years" }, { value: "1", text: "1 year" }]);
  const reason = el("input", { type: "text", "aria-label": `Why a shorter first term for ${d.name}`, placeholder: "Why shorter" });
  const first = !r.terms.length;
  const button = el("button", { type: "button", class: "secondary", onclick: (e) => mutate(e.currentTarget, null,
    "mutation Term($id: ID!, $years: Int, $reason: String) { recordSubscriptionTerm(departmentId: $id, firstTermYears: $years, shorterTermReason: $reason) { department { " + DEPARTMENT + " } errors { field message } } }",
    { id: d.id, years: first ? Number(years.value) : null, reason: first && years.value !== "3" ? reason.value : null },
    "recordSubscriptionTerm", done) }, first ? "Record first term" : "Record renewal");
  return first ? [years, reason, button] : [button];
}
const departmentsBody = document.querySelector("#departments tbody");
const departmentsMore = document.getElementById("departments-more");
let departmentsAfter = null;

function departmentRow(d) {
  const r = d.record;
  const select = el("select", { id: `status-${d.id}`, "aria-label": `Status of ${d.name}` });
  fillSelect(select, enumOptions(DEPARTMENT_STATUSES));
  select.value = r.status;
  const line = el("tr", {},
    el("td", {}, el("strong", { text: d.name }), el("br"), `${r.ori} · ${d.county}, ${d.state} · ${r.swornOfficers} sworn`),
    el("td", { text: label(r.status) }),
    el("td", { text: r.currentTerm ? `${label(r.currentTerm.kind)} to ${formatDate(r.currentTerm.endsOn)}${r.renewalDue ? " (renewal due)" : ""}` : "No term recorded yet" }),
    el("td", {}, select,
      el("button", { type: "button", class: "secondary", onclick: (e) => mutate(e.currentTarget, null,
        `mutation Status($id: ID!, $input: DepartmentChanges!) { updateDepartment(id: $id, input: $input) { department { ${DEPARTMENT} } errors { field message } } }`,
        { id: d.id, input: { status: select.value } }, "updateDepartment", (p) => line.replaceWith(departmentRow(p.department))) }, "Set status"),
      ...termControls(d, r, (p) => line.replaceWith(departmentRow(p.department)))));
  return line;
}

async function loadDepartments() {
  const answer = await gql(`query Departments($after: String) { departments(first: 100, after: $after) { nodes { ${DEPARTMENT} } pageInfo { endCursor hasNextPage } } }`, { after: departmentsAfter });
  if (!answer.data || !answer.data.departments) return say(status, problem(answer), "error");
  departmentsBody.append(...answer.data.departments.nodes.map(departmentRow));
  departmentsAfter = answer.data.departments.pageInfo.endCursor;
  departmentsMore.hidden = !answer.data.departments.pageInfo.hasNextPage;
}
departmentsMore.addEventListener("click", loadDepartments);

// consortia: one agreement for several small departments
const CONSORTIUM = "id name members { name } currentTerm { kind years endsOn } renewalDue terms { id }";
const consortia = document.getElementById("consortia");

function consortiumItem(c) {
  const years = el("select", { "aria-label": `First term of ${c.name}` });
  fillSelect(years, [{ value: "3", text: "3 years" }, { value: "2", text: "2 years" }, { value: "1", text: "1 year" }]);
  const reason = el("input", { type: "text", "aria-label": `Why a shorter first term for ${c.name}`, placeholder: "Why shorter" });
  const first = !c.terms.length;
  const item = el("li", { class: "result" },
    el("h4", { text: c.name }),
    el("p", { class: "meta", text: c.members.map((m) => m.name).join(", ") }),
    el("p", { text: c.currentTerm ? `${label(c.currentTerm.kind)} (${c.currentTerm.years} year${c.currentTerm.years === 1 ? "" : "s"}) to ${formatDate(c.currentTerm.endsOn)}${c.renewalDue ? " (renewal due)" : ""}` : "No term" }),
    ...(first ? [years, reason] : []),
    el("button", { type: "button", class: "secondary", onclick: (e) => mutate(e.currentTarget, null,
      `mutation ConsortiumTerm($id: ID!, $years: Int, $reason: String) { recordConsortiumTerm(consortiumId: $id, firstTermYears: $years, shorterTermReason: $reason) { consortium { ${CONSORTIUM} } errors { field message } } }`,
      { id: c.id, years: first ? Number(years.value) : null, reason: first && years.value !== "3" ? reason.value : null },
      "recordConsortiumTerm", (p) => item.replaceWith(consortiumItem(p.consortium))) }, first ? "Record first term" : "Record renewal"));
  return item;
}

async function loadConsortia() {
  const answer = await gql(`query Consortia { consortia { ${CONSORTIUM} } }`);
  if (!answer.data || !answer.data.consortia) return say(status, problem(answer), "error");
  consortia.replaceChildren(...(answer.data.consortia.length ? answer.data.consortia.map(consortiumItem) : [el("li", { text: "None yet." })]));
}

const newConsortium = document.getElementById("new-consortium");
newConsortium.addEventListener("submit", (event) => {
  event.preventDefault();
  const ids = [...newConsortium.querySelector("select[name=departmentIds]").selectedOptions].map((o) => o.value);
  mutate(newConsortium.querySelector("button"), newConsortium,
    `mutation AddConsortium($input: ConsortiumInput!) { createConsortium(input: $input) { consortium { ${CONSORTIUM} } errors { field message } } }`,
    { input: { name: text(newConsortium, "name") || "", departmentIds: ids } }, "createConsortium",
    async () => { newConsortium.reset(); await loadConsortia(); });
});

const newDepartment = document.getElementById("new-department");
newDepartment.addEventListener("submit", (event) => {
  event.preventDefault();
  const sworn = text(newDepartment, "swornOfficers");
  mutate(newDepartment.querySelector("button"), newDepartment,
    `mutation Add($input: DepartmentInput!) { createDepartment(input: $input) { department { ${DEPARTMENT} } errors { field message } } }`,
    { input: { name: text(newDepartment, "name") || "", ori: (text(newDepartment, "ori") || "").toUpperCase(), county: text(newDepartment, "county") || "",
      state: (text(newDepartment, "state") || "").toUpperCase(), swornOfficers: sworn === null ? 0 : Number(sworn),
      civiliansEnrolled: checked(newDepartment, "civiliansEnrolled") } },
    "createDepartment", (p) => { departmentsBody.prepend(departmentRow(p.department)); newDepartment.reset(); });
});

// identity providers
const PROVIDER = "organisationId displayName issuer clientId emailDomains enabled declaredInFile claimRules { claim value role } department { name }";
const providers = document.getElementById("providers");

function providerItem(p) {
  const item = el("li", { class: "result" },
    el("h3", {}, p.displayName, " ", el("span", { class: p.enabled ? "badge now" : "badge off", text: p.enabled ? "On" : "Off" })),
    el("p", { class: "meta", text: `${p.issuer} · client ${p.clientId}${p.emailDomains.length ? ` · ${p.emailDomains.join(", ")}` : ""}` }),
    el("p", { class: "meta", text: p.claimRules.map((r) => `${r.claim}${r.value ? `=${r.value}` : ""} → ${label(r.role)}`).join("; ") }),
    p.declaredInFile ? el("p", { class: "hint", text: "Declared in the providers file: change it there." }) :
      el("button", { type: "button", class: "secondary", onclick: (e) => mutate(e.currentTarget, null,
        `mutation Enable($id: ID!, $on: Boolean!) { setIdentityProviderEnabled(organisationId: $id, enabled: $on) { provider { ${PROVIDER} } errors { field message } } }`,
        { id: p.organisationId, on: !p.enabled }, "setIdentityProviderEnabled", (r) => item.replaceWith(providerItem(r.provider))) },
      p.enabled ? "Switch sign-in off" : "Switch sign-in on"));
  return item;
}

const proposals = document.getElementById("proposals");

function proposalItem(p) {
  const item = el("li", { class: "result" },
    el("h4", { text: p.displayName }),
    el("p", { class: "meta", text: `${p.issuer} · client ${p.clientId} · ${p.emailDomains.join(", ") || "no email domains"}` }),
    el("p", { text: `Rules: ${p.claimRules.map((r) => `${r.claim}${r.value ? `=${r.value}` : ""} → ${label(r.role)}`).join("; ")}` }),
    el("button", { type: "button", onclick: (e) => mutate(e.currentTarget, null,
      `mutation ApproveProposal($id: ID!) { approveIdentityProviderProposal(organisationId: $id) { provider { ${PROVIDER} } errors { field message } } }`,
      { id: p.organisationId }, "approveIdentityProviderProposal", async () => { item.remove(); await loadProviders(); }) }, "Approve"),
    " ",
    el("button", { type: "button", class: "secondary", onclick: async (e) => {
      await busy(e.currentTarget, status, async () => {
        const answer = await gql("mutation RejectProposal($id: ID!) { rejectIdentityProviderProposal(organisationId: $id) }", { id: p.organisationId });
        if (!answer.data) throw new Error(problem(answer));
        item.remove();
        say(status, "The proposal is turned down.");
      });
    } }, "Turn down"));
  return item;
}

async function loadProposals() {
  const answer = await gql("query ProviderProposals { identityProviderProposals { organisationId displayName issuer clientId emailDomains claimRules { claim value role } } }");
  if (!answer.data) return say(status, problem(answer), "error");
  const items = answer.data.identityProviderProposals.map(proposalItem);
  proposals.replaceChildren(...(items.length ? items : [el("li", { text: "None waiting." })]));
}

async function loadOrganisations() {
  // departments are chosen by name, never by typing an id
  const select = document.getElementById("p-org");
  const options = [{ value: "network", text: "The network's own staff" }];
  let after = null;
  for (let page = 0; page < 50; page += 1) {
    const answer = await gql("query DepartmentNames($after: String) { departments(first: 100, after: $after) { nodes { id name } pageInfo { endCursor hasNextPage } } }", { after });
    if (!answer.data) break;
    options.push(...answer.data.departments.nodes.map((d) => ({ value: d.id, text: d.name })));
    if (!answer.data.departments.pageInfo.hasNextPage) break;
    after = answer.data.departments.pageInfo.endCursor;
  }
  fillSelect(select, options, "Choose the department");
  fillSelect(document.getElementById("nc-members"), options.slice(1));
}

async function loadProviders() {
  const answer = await gql(`query Providers { identityProviders { ${PROVIDER} } }`);
  if (!answer.data) return say(status, problem(answer), "error");
  providers.replaceChildren(...answer.data.identityProviders.map(providerItem));
}

const providerForm = document.getElementById("provider");
providerForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const rules = (providerForm.elements.claimRules.value || "").split("\n").map((l) => l.trim()).filter(Boolean).map((line) => {
    const [claim, value, role] = line.split(",").map((s) => s.trim());
    return { claim: claim || "", value: value || null, role: (role || "").toUpperCase() };
  });
  const invalid = rules.find((r) => !["OFFICER", "CIVILIAN", "PEER_SUPPORTER", "COORDINATOR", "VETTER", "NETWORK_ADMIN"].includes(r.role));
  if (invalid) return showErrors(providerForm, [{ field: "input.claimRules", message: "Each line needs a role: OFFICER, CIVILIAN, PEER_SUPPORTER, COORDINATOR, VETTER or NETWORK_ADMIN." }]);
  mutate(providerForm.querySelector("button"), providerForm,
    `mutation Save($input: IdentityProviderInput!) { saveIdentityProvider(input: $input) { provider { ${PROVIDER} } errors { field message } } }`,
    { input: { organisationId: providerForm.elements.organisationId.value || "", displayName: text(providerForm, "displayName") || "",
      issuer: text(providerForm, "issuer") || "", clientId: text(providerForm, "clientId") || "", clientSecret: text(providerForm, "clientSecret"),
      emailDomains: (text(providerForm, "emailDomains") || "").split(",").map((s) => s.trim()).filter(Boolean), claimRules: rules } },
    "saveIdentityProvider", async () => { providerForm.reset(); await loadProviders(); });
});

// resources
const RESOURCE = "id title description category audience phone textNumber url position retired";
const resources = document.getElementById("resources");

function resourceItem(r) {
  const item = el("li", { class: "result" },
    el("h3", {}, r.title, " ", r.retired ? el("span", { class: "badge off", text: "Retired" }) : null),
    el("p", { class: "meta", text: `${label(r.category)} · ${label(r.audience)} · position ${r.position}` }),
    el("p", { text: [r.phone && `Call ${nationalPhone(r.phone)}`, r.textNumber && `Text ${nationalPhone(r.textNumber)}`, r.url].filter(Boolean).join(" · ") }),
    el("button", { type: "button", class: "secondary", onclick: (e) => mutate(e.currentTarget, null,
      `mutation Retire($id: ID!, $retired: Boolean!) { retireWellbeingResource(id: $id, retired: $retired) { resource { ${RESOURCE} } errors { field message } } }`,
      { id: r.id, retired: !r.retired }, "retireWellbeingResource", (p) => item.replaceWith(resourceItem(p.resource))) },
    r.retired ? `Bring back “${r.title}”` : `Retire “${r.title}”`));
  return item;
}

async function loadResources() {
  const answer = await gql(`query AllResources { wellbeingResources(includeRetired: true) { ${RESOURCE} } }`);
  if (!answer.data || !answer.data.wellbeingResources) return say(status, problem(answer), "error");
  resources.replaceChildren(...answer.data.wellbeingResources.map(resourceItem));
}

const resourceForm = document.getElementById("resource");
fillSelect(resourceForm.elements.category, enumOptions(RESOURCE_CATEGORIES));
fillSelect(resourceForm.elements.audience, enumOptions(RESOURCE_AUDIENCES));
resourceForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const position = text(resourceForm, "position");
  mutate(resourceForm.querySelector("button"), resourceForm,
    `mutation AddResource($input: WellbeingResourceInput!) { createWellbeingResource(input: $input) { resource { ${RESOURCE} } errors { field message } } }`,
    { input: { title: text(resourceForm, "title") || "", description: text(resourceForm, "description") || "",
      category: resourceForm.elements.category.value, audience: resourceForm.elements.audience.value,
      position: position === null ? 100 : Number(position), phone: text(resourceForm, "phone"),
      textNumber: text(resourceForm, "textNumber"), url: text(resourceForm, "url"),
      thenDial: text(resourceForm, "thenDial"), textKeyword: text(resourceForm, "textKeyword") } },
    "createWellbeingResource", async () => { resourceForm.reset(); await loadResources(); });
});

// inquiries
const inquiries = document.getElementById("inquiries");
const showHandled = document.getElementById("show-handled");
const CONTACT = "id reference kind agency contactName contactRole email phone message demoFormat receivedAt handledAt";

function inquiryItem(c) {
  const item = el("li", { class: "result" },
    el("h3", {}, `${label(c.kind)}: ${c.agency}`, " ", c.handledAt ? el("span", { class: "badge", text: "Handled" }) : null),
    el("p", { class: "meta", text: `${c.contactName}, ${c.contactRole} · ${c.email}${c.phone ? ` · ${nationalPhone(c.phone)}` : ""} · ${formatDate(c.receivedAt)} · ${c.reference}` }),
    c.demoFormat ? el("p", { class: "meta", text: `Demo: ${label(c.demoFormat)}` }) : null,
    el("p", { text: c.message }),
    el("button", { type: "button", class: "secondary", onclick: (e) => mutate(e.currentTarget, null,
      `mutation Handled($id: ID!, $handled: Boolean!) { markDepartmentContactHandled(id: $id, handled: $handled) { contact { ${CONTACT} } errors { field message } } }`,
      { id: c.id, handled: !c.handledAt }, "markDepartmentContactHandled",
      (p) => (showHandled.checked || !p.contact.handledAt ? item.replaceWith(inquiryItem(p.contact)) : item.remove())) },
    c.handledAt ? "Open again" : "Mark handled"));
  return item;
}

async function loadInquiries() {
  const answer = await gql(`query Contacts($handled: Boolean) { departmentContacts(handled: $handled, first: 100) { nodes { ${CONTACT} } } }`,
    { handled: showHandled.checked ? null : false });
  if (!answer.data || !answer.data.departmentContacts) return say(status, problem(answer), "error");
  const nodes = answer.data.departmentContacts.nodes;
  inquiries.replaceChildren(...(nodes.length ? nodes.map(inquiryItem) : [el("li", { class: "meta", text: "Nothing waiting." })]));
}
showHandled.addEventListener("change", loadInquiries);

// news and updates
const NEWS = "id slug title body publishedOn withdrawn";
const newsList = document.getElementById("news");
const newsForm = document.getElementById("news-post");

function newsItem(n) {
  const out = n.withdrawn ? "Withdrawn" : n.publishedOn > new Date().toISOString().slice(0, 10) ? "Scheduled" : null;
  const item = el("li", { class: "result" },
    el("h3", {}, n.withdrawn ? n.title : el("a", { href: `/news/${n.slug}` }, n.title), " ",
      out ? el("span", { class: "badge off", text: out }) : null),
    el("p", { class: "meta", text: formatDate(n.publishedOn) }),
    el("button", { type: "button", class: "secondary", onclick: () => editNews(n) }, `Edit “${n.title}”`),
    el("button", { type: "button", class: "secondary", onclick: (e) => mutate(e.currentTarget, null,
      `mutation Withdraw($id: ID!, $input: NewsInput!) { updateNews(id: $id, input: $input) { post { ${NEWS} } errors { field message } } }`,
      { id: n.id, input: { title: n.title, body: n.body, publishedOn: n.publishedOn, withdrawn: !n.withdrawn } },
      "updateNews", (p) => item.replaceWith(newsItem(p.post))) },
    n.withdrawn ? `Publish “${n.title}” again` : `Withdraw “${n.title}”`));
  return item;
}

function editNews(n) {
  newsForm.elements.id.value = n.id;
  newsForm.elements.title.value = n.title;
  newsForm.elements.body.value = n.body;
  newsForm.elements.publishedOn.value = n.publishedOn;
  document.getElementById("news-form-title").textContent = `Edit “${n.title}”`;
  newsForm.querySelector("button[type=submit]").textContent = "Save changes";
  newsForm.elements.title.focus();
}

async function loadNews() {
  const answer = await gql(`query AllNews { news(first: 100, includeUnpublished: true) { ${NEWS} } }`);
  if (!answer.data) return say(status, problem(answer), "error");
  const posts = answer.data.news;
  newsList.replaceChildren(...(posts.length ? posts.map(newsItem) : [el("li", { class: "meta", text: "No news yet." })]));
}

newsForm.addEventListener("reset", () => {
  newsForm.elements.id.value = "";
  document.getElementById("news-form-title").textContent = "Publish news";
  newsForm.querySelector("button[type=submit]").textContent = "Publish";
});
newsForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const id = newsForm.elements.id.value;
  const input = { title: text(newsForm, "title") || "", body: newsForm.elements.body.value,
    publishedOn: text(newsForm, "publishedOn") };
  const region = newsForm.querySelector(".status");
  const done = async (p) => {
    newsForm.reset();
    newsForm.elements.id.value = "";
    await loadNews();
    say(region, `Saved: “${p.post.title}” at /news/${p.post.slug}.`);
  };
  if (id) mutate(newsForm.querySelector("button[type=submit]"), newsForm,
    `mutation EditNews($id: ID!, $input: NewsInput!) { updateNews(id: $id, input: $input) { post { ${NEWS} } errors { field message } } }`,
    { id, input }, "updateNews", done);
  else mutate(newsForm.querySelector("button[type=submit]"), newsForm,
    `mutation PublishNews($input: NewsInput!) { publishNews(input: $input) { post { ${NEWS} } errors { field message } } }`,
    { input }, "publishNews", done);
});

// demo times: offer one, withdraw a free one (a booked one is its holder's to move or cancel)
const SLOT = "slot { id startsAt endsAt format place } bookingReference bookingAgency";
const slotList = document.getElementById("demo-slots");
const slotForm = document.getElementById("demo-slot");
const slotWhen = (s) => `${new Date(s.startsAt).toLocaleString([], { dateStyle: "full", timeStyle: "short" })} – ${new Date(s.endsAt).toLocaleTimeString([], { timeStyle: "short" })}`;

function slotItem(s) {
  const booked = s.bookingReference !== null;
  return el("li", { class: "result" },
    el("h3", {}, slotWhen(s.slot), " ", el("span", { class: booked ? "badge" : "badge now", text: booked ? "Booked" : "Free" })),
    el("p", { class: "meta", text: [s.slot.format === "IN_PERSON" ? `In person: ${s.slot.place}` : "Video call",
      booked ? `${s.bookingAgency}, ${s.bookingReference}` : null].filter(Boolean).join(" · ") }),
    booked ? null : el("button", { type: "button", class: "secondary", "aria-label": `Withdraw this time: ${slotWhen(s.slot)}`,
      onclick: (e) => mutate(e.currentTarget, null,
        "mutation WithdrawDemoSlot($id: ID!) { withdrawDemoSlot(id: $id) { slot { id } errors { field message } } }",
        { id: s.slot.id }, "withdrawDemoSlot", loadSlots) }, "Withdraw this time"));
}

async function loadSlots() {
  const answer = await gql(`query DemoSlots { scheduledDemoSlots { ${SLOT} } }`);
  if (!answer.data || !answer.data.scheduledDemoSlots) return say(status, problem(answer), "error");
  const slots = answer.data.scheduledDemoSlots;
  slotList.replaceChildren(...(slots.length ? slots.map(slotItem) : [el("li", { class: "meta", text: "No times on offer." })]));
}

slotForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const local = text(slotForm, "startsAt");
  if (local === null) return showErrors(slotForm, [{ field: "input.startsAt", message: "Choose the day and time it starts." }]);
  const minutes = text(slotForm, "durationMinutes");
  const format = slotForm.querySelector("input[name=format]:checked").value;
  const region = slotForm.querySelector(".status");
  mutate(slotForm.querySelector("button[type=submit]"), slotForm,
    `mutation PublishDemoSlot($input: DemoSlotInput!) { publishDemoSlot(input: $input) { slot { id startsAt endsAt } errors { field message } } }`,
    // the browser reads the local time in this device's zone; the API takes it with its offset
    { input: { startsAt: new Date(local).toISOString(), durationMinutes: minutes === null ? 45 : Number(minutes), format,
      place: format === "IN_PERSON" ? text(slotForm, "place") : null } },
    "publishDemoSlot", async (p) => {
      slotForm.reset();
      await loadSlots();
      say(region, `Offered: ${slotWhen(p.slot)}.`);
    });
});

try {
  const me = await signedIn();
  if (!hasRole(me, "NETWORK_ADMIN")) say(status, "This page is for the network's administrators.", "error");
  else await Promise.all([loadDepartments(), loadConsortia(), loadProviders(), loadProposals(), loadOrganisations(), loadResources(), loadNews(), loadSlots(), loadInquiries(),
    coverageSection(document.getElementById("coverage-section"), { pickDepartment: true })]);
} catch (error) {
  say(status, error.message, "error");
}
