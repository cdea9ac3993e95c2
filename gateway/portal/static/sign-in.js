// Sign-in: choose the department from a type-ahead list, or give a work email.
import { el, gql, say } from "./lib.js";

const form = document.getElementById("department-form");
const input = document.getElementById("department-name");
const list = document.getElementById("department-options");
const chosen = document.getElementById("department-id");
const status = document.getElementById("department-status");
let departments = [];
let active = -1;

async function load() {
  // The list of member departments is offered to people who are not signed in yet only when the
  // API allows it; otherwise the email path alone is shown.
  const found = [];
  let after = null;
  for (let page = 0; page < 20; page += 1) {
    let answer;
    try {
      answer = await gql(
        "query SignInDepartments($after: String) { memberDepartments(first: 100, after: $after) { nodes { id name county state } pageInfo { endCursor hasNextPage } } }",
        { after }, { publicOperation: true });
    } catch {
      return;
    }
    if (!answer.data) return;
    const connection = answer.data.memberDepartments;
    found.push(...connection.nodes);
    if (!connection.pageInfo.hasNextPage) break;
    after = connection.pageInfo.endCursor;
  }
  departments = found;
  form.hidden = departments.length === 0;
}

function matches(query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return departments.filter((d) => {
    const haystack = `${d.name} ${d.county} ${d.state}`.toLowerCase();
    return words.every((w) => haystack.includes(w));
  }).slice(0, 12);
}

function render() {
  const options = input.value.trim() ? matches(input.value) : [];
  list.replaceChildren(...options.map((d, index) => el("li", {
    role: "option", id: `department-option-${index}`, "aria-selected": index === active ? "true" : "false",
    "data-id": d.id, onmousedown: (event) => { event.preventDefault(); choose(d); },
  }, `${d.name} — ${d.county} County, ${d.state}`)));
  list.hidden = options.length === 0;
  input.setAttribute("aria-expanded", options.length ? "true" : "false");
  if (active >= 0 && options[active]) input.setAttribute("aria-activedescendant", `department-option-${active}`);
  else input.removeAttribute("aria-activedescendant");
  return options;
}

function choose(department) {
  input.value = department.name;
  chosen.value = department.id;
  active = -1;
  list.hidden = true;
  input.setAttribute("aria-expanded", "false");
  say(status, "");
}

input.addEventListener("input", () => { chosen.value = ""; active = -1; render(); });
input.addEventListener("keydown", (event) => {
  const options = matches(input.value);
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    if (!options.length) return;
    active = (active + (event.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
    render();
  } else if (event.key === "Enter" && active >= 0 && options[active]) {
    event.preventDefault();
    choose(options[active]);
  } else if (event.key === "Escape") {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
  }
});
input.addEventListener("blur", () => { list.hidden = true; input.setAttribute("aria-expanded", "false"); });
form.addEventListener("submit", (event) => {
  if (!chosen.value) {
    const options = matches(input.value);
    if (options.length === 1) choose(options[0]);
    else {
      event.preventDefault();
      say(status, "Choose your department from the list, or use your work email below.", "error");
      input.focus();
    }
  }
});

load();
