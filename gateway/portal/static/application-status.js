// An applicant checks their application with the reference and the secret from the receipt.
// Both stay in this page's memory: never in the address, history or storage.
import { clearErrors, el, formatDate, gql, say, showErrors, text } from "./lib.js";

const form = document.getElementById("status-form");
const result = document.getElementById("result");
const NEXT = {
  SUBMITTED: "It is waiting for a vetter to pick it up.",
  UNDER_REVIEW: "A vetter is reviewing it and will contact you to arrange the assessment.",
  ASSESSMENT_SCHEDULED: "Your assessment (an office visit or a video call) is arranged.",
  DELIBERATION: "The vetters are deciding after your assessment.",
  APPROVED: "You are listed: officers can find you in the network's directory.",
  DEFERRED: "Not approved this time. You may apply to be reconsidered after the date above.",
};
const WORDS = { SUBMITTED: "Received", UNDER_REVIEW: "Under review", ASSESSMENT_SCHEDULED: "Assessment arranged",
  DELIBERATION: "Being decided", APPROVED: "Approved", DEFERRED: "Deferred" };

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const reference = text(form, "reference");
  const secret = text(form, "secret");
  const missing = [];
  if (!reference) missing.push({ field: "reference", message: "Enter the reference from your receipt." });
  if (!secret) missing.push({ field: "secret", message: "Enter the secret from your receipt." });
  if (missing.length) { result.hidden = true; return showErrors(form, missing); }
  clearErrors(form);
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const answer = await gql(`query Status($reference: String!, $secret: String!) { applicationStatus(reference: $reference, secret: $secret) {
      reference status submittedOn changedOn reconsiderAfter } }`, { reference, secret }, { publicOperation: true });
    const found = answer.data && answer.data.applicationStatus;
    if (!found) {
      result.hidden = true;
      return showErrors(form, [{ field: "secret", message: "That reference and secret do not match an application. Check both against your receipt." }]);
    }
    document.getElementById("result-facts").replaceChildren(...[
      ["Reference", found.reference], ["Status", WORDS[found.status] || found.status],
      ["Received", formatDate(found.submittedOn)], ["Last change", formatDate(found.changedOn)],
      ...(found.reconsiderAfter ? [["Reconsidered after", formatDate(found.reconsiderAfter)]] : []),
    ].flatMap(([t, v]) => [el("dt", { text: t }), el("dd", { text: v })]));
    document.getElementById("result-next").textContent = NEXT[found.status] || "";
    result.hidden = false;
    result.focus();
  } catch (error) {
    say(form.querySelector(".form-errors"), error.message, "error");
  } finally {
    button.disabled = false;
  }
});
