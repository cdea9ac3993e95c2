// What to offer when a search comes back empty or nobody is on call: never a dead end.
// The crisis lines need no connection (tel: and sms: links); the rest asks the API only
// what any signed-in search would.
import { el, gql, nationalPhone } from "./lib.js";

const ANY_HOUR = `query FindProfessionals { professionals(search: { answersCallsAnyHour: true }, first: 3) {
  nodes { id fullName credentials phone telehealth locations { city state } } errors { field message } } }`;

/** The lines that pick up at any hour, as one row of buttons, and a link to all of them. */
export function crisisLines() {
  return el("div", { class: "crisis-lines" },
    el("p", { class: "lines" },
      el("a", { class: "button call", href: "tel:988" }, "Call 988"),
      el("a", { class: "button secondary", href: "sms:988" }, "Text 988"),
      el("a", { class: "button call", href: "tel:+18002675463", "aria-label": "Call COPLINE, 1-800-267-5463, for officers" }, "COPLINE"),
      el("a", { class: "button call", href: "tel:+12064593020", "aria-label": "Call Safe Call Now, 1-206-459-3020, for public safety" }, "Safe Call Now")),
    el("p", { class: "meta" }, "988 for anyone; COPLINE and Safe Call Now are run by and for officers. ",
      el("a", { href: "/crisis" }, "All crisis lines"), "."));
}

/** Up to three professionals who pick up at any hour, each with a Call button, into `list`. */
export async function anyHourProfessionals(list) {
  list.replaceChildren();
  try {
    const answer = await gql(ANY_HOUR);
    const found = answer.data && answer.data.professionals;
    if (!found || found.errors.length || !found.nodes.length) return;
    for (const p of found.nodes) {
      const where = p.locations.length ? `${p.locations[0].city}, ${p.locations[0].state}` : "";
      list.append(el("li", {},
        el("span", { class: "who" }, `${p.fullName}, ${p.credentials}`),
        el("span", { class: "meta" }, [where, p.telehealth ? "telehealth" : null].filter(Boolean).join(" · ")),
        el("a", { class: "button call", href: `tel:${p.phone}`, "aria-label": `Call ${p.fullName}, ${nationalPhone(p.phone)}` }, "Call")));
    }
  } catch {
    // the crisis lines and the link to the professionals page stay, whatever the network does
  }
}

/** "Monday 06:00 (in 7 h 40 min)", in this device's time zone. */
export function whenNext(iso, now = new Date()) {
  const at = new Date(iso);
  const minutes = Math.max(0, Math.round((at - now) / 60000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  const wait = days ? `in ${days} d ${hours} h` : hours ? `in ${hours} h ${rest} min` : `in ${rest} min`;
  const day = at.toDateString() === now.toDateString() ? "today"
    : at.toLocaleDateString(undefined, { weekday: "long" });
  return `${day} ${at.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" })} (${wait})`;
}
