// On every page: the installable app's service worker, and an install button where the
// browser offers one. Nothing about the visit is sent anywhere.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/service-worker.js", { scope: "/" }).catch(() => {});
}

const install = document.getElementById("install");
let offer = null;
window.addEventListener("beforeinstallprompt", (event) => {
  event.preventDefault();
  offer = event;
  install.hidden = false;
});
install.addEventListener("click", async () => {
  if (!offer) return;
  install.hidden = true;
  await offer.prompt();
  offer = null;
});
window.addEventListener("appinstalled", () => {
  install.hidden = true;
  // counted in today's total of installs, with no cookie and no body
  fetch("/portal/installed", { method: "POST", credentials: "omit" }).catch(() => {});
});
