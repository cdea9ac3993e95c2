// Questions and answers: the current fee tiers, read from the public API.
import { dollars, el, gql } from "./lib.js";

const body = document.querySelector("#fee-tiers tbody");
try {
  const answer = await gql("query Fees { feeTiers { minSwornOfficers maxSwornOfficers annualFeeCents } }", {},
    { publicOperation: true });
  const tiers = answer.data ? answer.data.feeTiers : [];
  if (tiers.length) {
    body.replaceChildren(...tiers.map((t) => el("tr", {},
      el("td", { text: t.maxSwornOfficers === null ? `${t.minSwornOfficers.toLocaleString("en-US")} or more`
        : `${t.minSwornOfficers.toLocaleString("en-US")} to ${t.maxSwornOfficers.toLocaleString("en-US")}` }),
      el("td", { text: `${dollars(t.annualFeeCents)} a year` }))));
  } else {
    body.replaceChildren(el("tr", {}, el("td", { colspan: "2" }, "Fees are agreed with each department: ",
      el("a", { href: "/join", text: "ask us" }), ".")));
  }
} catch {
  // the table keeps its sentence pointing to the contact form
}
