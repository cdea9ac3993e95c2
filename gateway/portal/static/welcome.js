// The visitor's home page. Someone whose short access cookie lapsed while their session lives
// on is renewed once and shown their own home page instead; nobody else is asked anything.
// The app's offline copy (its worker adds the #offline note) asks nothing until the network
// answers: a renewal there would reload into the same copy.
const note = document.getElementById("session-note");
if (!document.getElementById("offline")) {
  try {
    const renewed = await fetch("/auth/refresh", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },  // identity takes JSON POSTs only
      body: "{}",
    });
    if (renewed.ok) {
      note.textContent = "You are signed in. Opening your home page…";
      window.location.reload();
    }
  } catch {
    // offline or no session: the page is already what a visitor needs
  }
}
