// Home: whom to call now (or soonest) for those who may search, then what this person can
// do, by role. Nothing about them is shown beyond their department.
import { hasRole, signedIn } from "./lib.js";
import { whoToCall } from "./next-steps.js";

const welcome = document.getElementById("welcome");
try {
  const me = await signedIn();
  for (const tile of document.querySelectorAll("#tiles [data-roles]")) {
    tile.hidden = !hasRole(me, ...tile.dataset.roles.split(" "));
  }
  if (hasRole(me, "OFFICER", "CIVILIAN", "PEER_SUPPORTER", "COORDINATOR", "NETWORK_ADMIN")) {
    const who = document.getElementById("who-to-call");
    who.hidden = false;
    whoToCall(who, {}, 2);
  }
  welcome.textContent = me.department
    ? `Signed in through ${me.department.name}.`
    : "Signed in with the network's staff account.";
} catch (error) {
  welcome.textContent = error.message;
}
