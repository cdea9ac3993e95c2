// The visitor's home page. Someone whose short access cookie lapsed while their session lives
// on is renewed once and shown their own home page instead; nobody else is asked anything.
// The app's offline copy (its worker adds the #offline note) asks nothing until the network
// answers: a renewal there would reload into the same copy.
const note = document.getElementById("session-note");
if (!document.getElementById("offline")) {
  try {
    // the session cookie is sent to /auth only: ask first whether there is one, so that a
    // visitor (no session) is never answered 401
    const held = await fetch("/auth/renewable", { credentials: "same-origin" });
    const { renewable } = held.ok ? await held.json() : { renewable: false };
    const renewed = renewable && await fetch("/auth/refresh", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },  // identity takes JSON POSTs only
      body: "{}",
    });
    if (renewed && renewed.ok) {
      note.textContent = "You are signed in. Opening your home page…";
      window.location.reload();
    }
  } catch {
    // offline or no session: the page is already what a visitor needs
  }
}
