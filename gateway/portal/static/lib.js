// Shared helpers for the portal's pages: GraphQL on this origin, DOM building without
// innerHTML, field errors next to their fields. Nothing is written to the browser's storage.

const REFRESH = "/auth/refresh";

/** Run one GraphQL operation; renews the session once when the access token expired. */
export async function gql(query, variables = {}, { publicOperation = false } = {}) {
  let answer = await post(query, variables);
  if (!publicOperation && unauthenticated(answer)) {
    // identity takes JSON POSTs only (a form or a bare POST could come from another site)
    const renewed = await fetch(REFRESH, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    }).catch(() => null);
    if (renewed && renewed.ok) answer = await post(query, variables);
    if (unauthenticated(answer)) {
      window.location.assign(`/sign-in?next=${encodeURIComponent(window.location.pathname)}`);
      throw new Error("Please sign in.");
    }
  }
  return answer;
}

async function post(query, variables) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new Error("We could not reach the network. Check your connection and try again.");
  }
  try {
    return await response.json();
  } catch {
    throw new Error("The network answered in a way we did not expect. Please try again.");
  }
}

function unauthenticated(answer) {
  return (answer.errors || []).some((e) => e.extensions && e.extensions.code === "UNAUTHENTICATED");
}

/** The first error of an answer as a plain sentence, or null. */
export function problem(answer) {
  const error = (answer.errors || [])[0];
  if (!error) return null;
  const code = error.extensions && error.extensions.code;
  if (code === "FORBIDDEN") return "Your account cannot do this. Ask your coordinator if you think it should.";
  return error.message || "Something went wrong. Please try again.";
}

/** Who is signed in, or a redirect to the sign-in page. */
export async function signedIn() {
  const answer = await gql("query Me { me { pseudonymousId roles department { id name county state } } }");
  if (!answer.data || !answer.data.me) throw new Error(problem(answer) || "Please sign in.");
  return answer.data.me;
}

export function hasRole(me, ...roles) {
  return roles.some((role) => me.roles.includes(role));
}

/** Build an element: el("a", { href, class: "x", text: "hi", onclick }, child, …). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const UPPER = new Set(["PTSD", "LGBTQ", "PPO", "HMO", "EPO", "POS", "HDHP", "LCSW", "LPC", "LMHC", "LMFT", "CV", "HIPAA", "ORI"]);

/** TRAUMA_AND_PTSD → "Trauma and PTSD". */
export function label(value) {
  if (!value) return "";
  const words = String(value).split("_").map((w) => (UPPER.has(w) ? w : w.toLowerCase()));
  const text = words.join(" ");
  return UPPER.has(words[0]) ? text : text.charAt(0).toUpperCase() + text.slice(1);
}

/** Write a message into a live region; kind "error" or "ok". */
export function say(region, message, kind = "ok") {
  region.textContent = "";
  region.className = message ? (kind === "error" ? "status form-errors" : "status notice") : "status";
  if (message) region.append(message);
}

/** Remove the field errors shown in a form. */
export function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((node) => node.remove());
  form.querySelectorAll("[aria-invalid]").forEach((node) => {
    node.removeAttribute("aria-invalid");
    const described = (node.getAttribute("aria-describedby") || "").split(" ").filter((id) => !id.startsWith("err-"));
    if (described.length) node.setAttribute("aria-describedby", described.join(" "));
    else node.removeAttribute("aria-describedby");
  });
  const summary = form.querySelector(".form-errors");
  if (summary) summary.textContent = "";
}

let errorCount = 0;

/**
 * Show API field errors ({field, message}) next to the element whose data-field matches
 * the path (or its nearest parent path); the rest in the form's summary. Focus the first.
 */
export function showErrors(form, errors) {
  clearErrors(form);
  let first = null;
  const summary = form.querySelector(".form-errors");
  for (const error of errors) {
    const target = fieldFor(form, error.field);
    if (target) {
      const id = `err-${++errorCount}`;
      const note = el("p", { class: "field-error", id, text: error.message });
      const anchor = target.closest(".check") || target;
      // a fieldset or a repeated row (.slot) holds its note; anything else gets it just after
      // (a list container must not: its children are read back as rows)
      if (target.matches("fieldset, .slot")) target.append(note);
      else anchor.after(note);
      target.setAttribute("aria-invalid", "true");
      const described = target.getAttribute("aria-describedby");
      target.setAttribute("aria-describedby", described ? `${described} ${id}` : id);
      first = first || target;
    } else if (summary) {
      summary.append(el("p", { text: error.message }));
    }
  }
  if (summary && summary.textContent) {
    summary.setAttribute("tabindex", "-1");
    first = first || summary;
  }
  if (first) first.focus();
}

function fieldFor(form, path) {
  const parts = String(path || "").split(".");
  while (parts.length) {
    const found = form.querySelector(`[data-field="${CSS.escape(parts.join("."))}"]`);
    if (found) return found;
    parts.pop();
  }
  return null;
}

/** Run an async action while a button is busy; show thrown errors in a region. */
export async function busy(button, region, action) {
  button.disabled = true;
  try {
    return await action();
  } catch (error) {
    if (region) say(region, error.message, "error");
    return undefined;
  } finally {
    button.disabled = false;
  }
}

/** Trimmed text of a named form control, or null when empty. */
export function text(form, name) {
  const value = (form.elements.namedItem(name)?.value || "").trim();
  return value === "" ? null : value;
}

export function checked(form, name) {
  return Boolean(form.elements.namedItem(name)?.checked);
}

/** Values of the checked boxes named `name`. */
export function checkedValues(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((box) => box.value);
}

/** Fill a <select> with options [{value, text}], keeping a first empty choice if given. */
export function fillSelect(select, options, emptyText = null) {
  select.replaceChildren();
  if (emptyText !== null) select.append(el("option", { value: "", text: emptyText }));
  for (const option of options) select.append(el("option", { value: option.value, text: option.text }));
}

/** Check boxes for each option into a container; name is the form field name. */
export function fillChecks(container, name, options, selected = []) {
  container.replaceChildren();
  for (const option of options) {
    const id = `${name}-${option.value}`;
    container.append(
      el("label", { class: "check", for: id },
        el("input", { type: "checkbox", id, name, value: option.value, checked: selected.includes(option.value) }),
        option.text),
    );
  }
}

export const enumOptions = (values) => values.map((value) => ({ value, text: label(value) }));

export function formatDate(iso) {
  if (!iso) return "";
  const date = new Date(iso.length === 10 ? `${iso}T12:00:00` : iso);
  return date.toLocaleString(undefined, iso.length === 10 ? { dateStyle: "medium" } : { dateStyle: "medium", timeStyle: "short" });
}

export function dollars(cents) {
  return cents === null || cents === undefined ? "" : `$${(cents / 100).toLocaleString(undefined, { minimumFractionDigits: 0 })}`;
}

/** "+13125550142" → "(312) 555-0142"; other numbers (short codes, abroad) as given. */
export function nationalPhone(number) {
  const digits = String(number || "").replace(/^tel:/, "");
  const us = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(digits);
  return us ? `(${us[1]}) ${us[2]}-${us[3]}` : digits;
}

/** A distance as a person says it: "about 1 mile", "about 12 miles", "under a mile". */
export function aboutMiles(miles) {
  const rounded = Math.round(miles);
  if (rounded < 1) return "under a mile";
  return `about ${rounded} mile${rounded === 1 ? "" : "s"}`;
}

/** A search's filters: open on a wide screen, folded on a phone so results come first. */
export function filterPanel(details) {
  details.open = window.matchMedia("(min-width: 48rem)").matches;
  return {
    showErrors(form, errors) { details.open = true; showErrors(form, errors); },
    searched() { if (!window.matchMedia("(min-width: 48rem)").matches) details.open = false; },
  };
}
