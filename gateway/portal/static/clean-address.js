// identity's pages: after the provider's answer, its one-time code and state leave the address
// bar and the browser's history (they are spent, and nobody should see or copy them).
if (window.location.search) window.history.replaceState(null, "", window.location.pathname);
