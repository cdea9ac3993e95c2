// Home: what this person can do, by role. Nothing about them is shown beyond their department.
import { hasRole, signedIn } from "./lib.js";

const welcome = document.getElementById("welcome");
try {
  const me = await signedIn();
  for (const tile of document.querySelectorAll("#tiles [data-roles]")) {
    tile.hidden = !hasRole(me, ...tile.dataset.roles.split(" "));
  }
  welcome.textContent = me.department
    ? `Signed in through ${me.department.name}.`
    : "Signed in with the network's staff account.";
} catch (error) {
  welcome.textContent = error.message;
}
