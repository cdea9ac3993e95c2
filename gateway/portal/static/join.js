// Public: ask about joining, request a demo. No sign-in; the answer is a reference only.
import { busy, clearErrors, el, gql, problem, say, showErrors, text } from "./lib.js";
import { FormProof, refusedForProof } from "./proof.js";

const CHALLENGE = "query Challenge($form: ContactKind!) { contactFormChallenge(form: $form) { challenge maxNumber expiresAt } }";

async function challenge(kind) {
  const answer = await gql(CHALLENGE, { form: kind }, { publicOperation: true });
  const found = answer.data && answer.data.contactFormChallenge;
  if (!found) throw new Error((answer.errors || [{}])[0].message || "Something went wrong. Please try again.");
  return found;
}

function wire(form, mutation, sent, kind, extra) {
  const proof = new FormProof(() => challenge(kind)).watch(form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const region = form.querySelector(".status");
    const input = {};
    for (const name of ["agency", "contactName", "contactRole", "email"]) input[name] = text(form, name) || "";
    input.phone = text(form, "phone");
    Object.assign(input, extra(form));
    await busy(form.querySelector("button[type=submit]"), region, async () => {
      say(region, "Sending… (at busy times your browser first works a few seconds more)");
      const send = async () => gql(sent, { input, proof: await proof.take() }, { publicOperation: true });
      let answer = await send();
      if (refusedForProof(answer)) { proof.spent(); answer = await send(); }
      const receipt = answer.data && answer.data[mutation];
      // a form with mistakes spent nothing: its solution goes with the corrections
      if (!receipt || !receipt.errors.length) proof.spent();
      if (!receipt) return say(region, (answer.errors || [{}])[0].message || "Something went wrong.", "error");
      if (receipt.errors.length) { say(region, ""); return showErrors(form, receipt.errors); }
      clearErrors(form);
      form.reset();
      say(region, `Thank you. We will be in touch. Your reference: ${receipt.reference}.`);
    });
  });
}

wire(document.getElementById("inquiry"), "submitJoinInquiry",
  "mutation Contact($input: JoinInquiryInput!, $proof: String) { submitJoinInquiry(input: $input, proofOfWork: $proof) { reference errors { field message } } }",
  "JOIN_INQUIRY", (form) => ({ message: text(form, "message") || "" }));
wire(document.getElementById("demo"), "requestDemo",
  "mutation Contact($input: DemoRequestInput!, $proof: String) { requestDemo(input: $input, proofOfWork: $proof) { reference errors { field message } } }",
  "DEMO_REQUEST", (form) => ({
  format: form.querySelector("input[name=format]:checked").value, preferredTimes: text(form, "preferredTimes") || "" }));

// demo slots: book one, or move or cancel it from the link in the confirmation (its token
// sits in the address's fragment, which the browser never sends to the server)
const SLOTS = "query OpenDemoSlots { openDemoSlots { id startsAt endsAt format place } }";
const when = (s) => `${new Date(s.startsAt).toLocaleString([], { dateStyle: "full", timeStyle: "short" })} – ${new Date(s.endsAt).toLocaleTimeString([], { timeStyle: "short" })}`;
const where = (s) => (s.format === "IN_PERSON" ? `In person: ${s.place}` : "Video call (link sent by staff)");

async function fillSlots(fieldset, name) {
  const answer = await gql(SLOTS, {}, { publicOperation: true });
  const slots = (answer.data && answer.data.openDemoSlots) || [];
  const legend = fieldset.querySelector("legend");
  fieldset.replaceChildren(legend, ...(slots.length ? slots.map((s) => el("label", { class: "check" },
    el("input", { type: "radio", name, value: s.id }), ` ${when(s)} · ${where(s)}`)) :
    [el("p", { class: "meta", text: "No times are on offer just now; request a demo above and we will find one." })]));
}

const booking = document.getElementById("booking");
const bookingProof = new FormProof(() => challenge("DEMO_REQUEST")).watch(booking);
booking.addEventListener("submit", async (event) => {
  event.preventDefault();
  const region = booking.querySelector(".status");
  const chosen = booking.querySelector("input[name=slotId]:checked");
  const input = { slotId: chosen ? chosen.value : "" };
  for (const name of ["agency", "contactName", "contactRole", "email"]) input[name] = text(booking, name) || "";
  input.phone = text(booking, "phone");
  await busy(booking.querySelector("button[type=submit]"), region, async () => {
    say(region, "Booking… (at busy times your browser first works a few seconds more)");
    const send = async () => gql("mutation BookDemo($input: DemoBookingInput!, $proof: String) { bookDemo(input: $input, proofOfWork: $proof) { reference errors { field message } } }",
      { input, proof: await bookingProof.take() }, { publicOperation: true });
    let answer = await send();
    if (refusedForProof(answer)) { bookingProof.spent(); answer = await send(); }
    const receipt = answer.data && answer.data.bookDemo;
    if (!receipt || !receipt.errors.length || receipt.errors.some((e) => e.field === "input.slotId" && chosen)) bookingProof.spent();
    if (!receipt) return say(region, (answer.errors || [{}])[0].message || "Something went wrong.", "error");
    if (receipt.errors.length) { say(region, ""); await fillSlots(document.getElementById("b-slots"), "slotId"); return showErrors(booking, receipt.errors); }
    clearErrors(booking);
    booking.reset();
    await fillSlots(document.getElementById("b-slots"), "slotId");
    say(region, `Booked. Your reference: ${receipt.reference}. A confirmation with a calendar invitation is on its way to you.`);
  });
});
fillSlots(document.getElementById("b-slots"), "slotId").catch(() => {});

const token = new URLSearchParams(location.hash.slice(1)).get("booking");
if (token) {
  const manage = document.getElementById("manage");
  const region = document.getElementById("manage-status");
  const show = (b) => {
    document.getElementById("manage-when").textContent = b.cancelled ? `Demo ${b.reference} is canceled.` :
      `Demo ${b.reference}: ${b.slot ? `${when(b.slot)} · ${where(b.slot)}` : "no time"}`;
    for (const id of ["manage-move", "manage-cancel", "manage-slots"]) document.getElementById(id).hidden = b.cancelled;
  };
  const BOOKING = "booking { reference cancelled slot { id startsAt endsAt format place } } errors { field message }";
  const answer = await gql(`query DemoBooking($token: String!) { demoBooking(token: $token) { reference cancelled slot { id startsAt endsAt format place } } }`, { token }, { publicOperation: true });
  const found = answer.data && answer.data.demoBooking;
  manage.hidden = false;
  if (!found) say(region, "This link names no booking; use the link in your latest email.", "error");
  else {
    show(found);
    await fillSlots(document.getElementById("manage-slots"), "moveTo");
    // a move mails the department and the staff, so it pays the demo form's price as a booking does
    const moveProof = new FormProof(() => challenge("DEMO_REQUEST"));
    const act = async (button, mutation, document_, variables, proof) => busy(button, region, async () => {
      const send = async () => gql(document_, proof ? { ...variables, proof: await proof.take() } : variables, { publicOperation: true });
      let reply = await send();
      if (proof && refusedForProof(reply)) { proof.spent(); reply = await send(); }
      const payload = reply.data && reply.data[mutation];
      if (proof && payload && !payload.errors.length) proof.spent();
      if (!payload) return say(region, problem(reply), "error");
      if (payload.errors.length) return say(region, payload.errors.map((e) => e.message).join(" "), "error");
      show(payload.booking);
      await fillSlots(document.getElementById("manage-slots"), "moveTo");
      say(region, "Done. A new calendar invitation is on its way.");
    });
    manage.addEventListener("change", () => moveProof.start(), { once: true });
    document.getElementById("manage-move").addEventListener("click", (e) => {
      const to = document.querySelector("input[name=moveTo]:checked");
      act(e.currentTarget, "moveDemoBooking", `mutation MoveDemo($token: String!, $slot: ID!, $proof: String) { moveDemoBooking(token: $token, slotId: $slot, proofOfWork: $proof) { ${BOOKING} } }`, { token, slot: to ? to.value : "" }, moveProof);
    });
    document.getElementById("manage-cancel").addEventListener("click", (e) =>
      act(e.currentTarget, "cancelDemoBooking", `mutation CancelDemo($token: String!) { cancelDemoBooking(token: $token) { ${BOOKING} } }`, { token }));
  }
}

try {
  const answer = await gql("query Figures { membershipFigures { memberDepartments counties states } }", {}, { publicOperation: true });
  const f = answer.data && answer.data.membershipFigures;
  if (f) document.getElementById("figures").textContent =
    `${f.memberDepartments} departments in ${f.counties} counties across ${f.states} state${f.states === 1 ? "" : "s"} are members today.`;
} catch {
  // the figures are a courtesy; the forms work without them
}
