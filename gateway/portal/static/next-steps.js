// What to offer when a search comes back empty or nobody is on call: never a dead end.
// The crisis lines need no connection (tel: and sms: links); the rest asks the API only
// what any signed-in search would. Whom to call (on call now, else soonest) is asked with
// this phone's time zone, so the times come back by its clock; nothing keeps the zone.
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

const WHO = `query OnCallNowOrSoonest($filter: PeerSupporterFilter, $timeZone: String!, $first: Int!) {
  onCallNowOrSoonest(filter: $filter, timeZone: $timeZone, first: $first) {
    onCallNow relaxed
    matches { onCallFrom minutesUntilOnCall
      supporter { id displayName telLink smsLink county state department { name } } }
    errors { field message } } }`;

const LEFT_OUT = {
  NEAR: "the distance", COUNTY: "the county", STATE: "the state",
  AREAS_OF_SUPPORT: "the areas of support", GENDER: "the gender", LANGUAGE: "the language",
};

/** This phone's IANA time zone ("UTC" where the browser names none). */
export function phoneTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** "in 1 h 50 min", "in 2 d 5 h", "in 20 min". */
export function waitOf(minutes) {
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  return days ? `in ${days} d ${hours} h` : hours ? `in ${hours} h ${rest} min` : `in ${rest} min`;
}

function listed(names) {
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

async function ask(filter, timeZone, first) {
  const answer = await gql(WHO, { filter, timeZone, first });
  return answer.data && answer.data.onCallNowOrSoonest;
}

/**
 * Whom to call, into a panel holding #who-title, #who-why, #who-list, #who-zone and #who-now
 * (the lines that answer now): those on call now (with what was left out to find them),
 * else the lines that answer now and then those on call soonest by this phone's clock.
 * Never "nobody" on its own.
 */
export async function whoToCall(panel, filter, first = 3) {
  const title = panel.querySelector("#who-title");
  const why = panel.querySelector("#who-why");
  const list = panel.querySelector("#who-list");
  const zoneNote = panel.querySelector("#who-zone");
  const now = panel.querySelector("#who-now"); // the lines that answer now
  let timeZone = phoneTimeZone();
  let found;
  try {
    found = await ask(filter, timeZone, first);
    if (found && found.errors.some((e) => e.field === "timeZone")) {
      timeZone = "UTC"; // a zone the network does not know: times in UTC, said so
      found = await ask(filter, timeZone, first);
    }
  } catch {
    found = null;
  }
  list.replaceChildren();
  zoneNote.hidden = true;
  // someone on call now comes first; else the lines that answer now do, then the soonest
  if (found && !found.errors.length && found.onCallNow) zoneNote.after(now);
  else list.before(now);
  if (!found || found.errors.length) {
    title.textContent = "Help that answers now";
    why.textContent = "We could not reach the directory just now. These lines need no connection.";
    return;
  }
  const relaxed = found.relaxed.length
    ? ` Found by leaving out ${listed(found.relaxed.map((r) => LEFT_OUT[r] || r.toLowerCase()))} you chose.` : "";
  if (found.onCallNow) {
    title.textContent = "On call now";
    why.textContent = `Peer supporters you can call at this moment; they take calls from anywhere.${relaxed}`;
  } else if (found.matches.length) {
    title.textContent = "On call soonest";
    why.textContent = `Until the first peer supporters are back (below), these answer now.${relaxed}`;
    zoneNote.textContent = timeZone === "UTC" ? "Times in UTC." : `Times by this phone's clock (${timeZone.replace(/_/g, " ")}).`;
    zoneNote.hidden = false;
  } else {
    title.textContent = "Help that answers now";
    why.textContent = "Peer supporters take calls at set hours, and none has published hours yet. These lines answer at any hour.";
  }
  list.append(...found.matches.map(({ supporter: s, onCallFrom, minutesUntilOnCall }) => el("li", { class: "next" },
    el("span", { class: "who" }, s.displayName),
    el("a", { class: "button call", href: s.telLink, "aria-label": `Call ${s.displayName}, ${nationalPhone(s.telLink)}` }, "Call"),
    s.smsLink ? el("a", { class: "button secondary", href: s.smsLink, "aria-label": `Text ${s.displayName}` }, "Text") : null,
    el("span", { class: "when" },
      onCallFrom ? `On call from ${onCallFrom} (${waitOf(minutesUntilOnCall)}) · ` : "",
      `${s.department.name} · ${s.county} County, ${s.state}`))));
}
