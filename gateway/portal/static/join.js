// Public: ask about joining, request a demo. No sign-in; the answer is a reference only.
import { busy, clearErrors, gql, say, showErrors, text } from "./lib.js";

function wire(form, mutation, type, extra) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const region = form.querySelector(".status");
    const input = {};
    for (const name of ["agency", "contactName", "contactRole", "email"]) input[name] = text(form, name) || "";
    input.phone = text(form, "phone");
    Object.assign(input, extra(form));
    await busy(form.querySelector("button[type=submit]"), region, async () => {
      const answer = await gql(`mutation Contact($input: ${type}!) { ${mutation}(input: $input) { reference errors { field message } } }`,
        { input }, { publicOperation: true });
      const receipt = answer.data && answer.data[mutation];
      if (!receipt) return say(region, (answer.errors || [{}])[0].message || "Something went wrong.", "error");
      if (receipt.errors.length) { say(region, ""); return showErrors(form, receipt.errors); }
      clearErrors(form);
      form.reset();
      say(region, `Thank you. We will be in touch. Your reference: ${receipt.reference}.`);
    });
  });
}

wire(document.getElementById("inquiry"), "submitJoinInquiry", "JoinInquiryInput", (form) => ({ message: text(form, "message") || "" }));
wire(document.getElementById("demo"), "requestDemo", "DemoRequestInput", (form) => ({
  format: form.querySelector("input[name=format]:checked").value, preferredTimes: text(form, "preferredTimes") || "" }));

try {
  const answer = await gql("query Figures { membershipFigures { memberDepartments counties states } }", {}, { publicOperation: true });
  const f = answer.data && answer.data.membershipFigures;
  if (f) document.getElementById("figures").textContent =
    `${f.memberDepartments} departments in ${f.counties} counties across ${f.states} state${f.states === 1 ? "" : "s"} are members today.`;
} catch {
  // the figures are a courtesy; the forms work without them
}
