// Public: ask about joining, request a demo. No sign-in; the answer is a reference only.
import { busy, clearErrors, gql, say, showErrors, text } from "./lib.js";
import { FormProof, refusedForProof } from "./proof.js";

const CHALLENGE = "query Challenge($form: ContactKind!) { contactFormChallenge(form: $form) { challenge maxNumber expiresAt } }";

async function challenge(kind) {
  const answer = await gql(CHALLENGE, { form: kind }, { publicOperation: true });
  const found = answer.data && answer.data.contactFormChallenge;
  if (!found) throw new Error((answer.errors || [{}])[0].message || "Something went wrong. Please try again.");
  return found;
}

function wire(form, mutation, type, kind, extra) {
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
      const send = async () => gql(`mutation Contact($input: ${type}!, $proof: String) { ${mutation}(input: $input, proofOfWork: $proof) { reference errors { field message } } }`,
        { input, proof: await proof.take() }, { publicOperation: true });
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

wire(document.getElementById("inquiry"), "submitJoinInquiry", "JoinInquiryInput", "JOIN_INQUIRY", (form) => ({ message: text(form, "message") || "" }));
wire(document.getElementById("demo"), "requestDemo", "DemoRequestInput", "DEMO_REQUEST", (form) => ({
  format: form.querySelector("input[name=format]:checked").value, preferredTimes: text(form, "preferredTimes") || "" }));

try {
  const answer = await gql("query Figures { membershipFigures { memberDepartments counties states } }", {}, { publicOperation: true });
  const f = answer.data && answer.data.membershipFigures;
  if (f) document.getElementById("figures").textContent =
    `${f.memberDepartments} departments in ${f.counties} counties across ${f.states} state${f.states === 1 ? "" : "s"} are members today.`;
} catch {
  // the figures are a courtesy; the forms work without them
}
