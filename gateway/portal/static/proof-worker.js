// Solves part of a form's puzzle: counts start, start + step, … below max, and answers with
// the count whose SHA-256 over salt, nonce and the count (4 bytes, big-endian) starts with
// the prefix, or null. One worker per core shares the counting (see proof.js).
const BATCH = 256;

function hex(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function startsWith(digest, prefix) {
  const bytes = new Uint8Array(digest);
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

self.onmessage = async ({ data }) => {
  const { salt, nonce, prefix, start, step, max } = data;
  const base = new Uint8Array(salt.length + nonce.length + 4);
  base.set(salt, 0);
  base.set(nonce, salt.length);
  const at = salt.length + nonce.length;
  for (let first = start; first < max; first += step * BATCH) {
    const counts = [];
    const work = [];
    // many digests in flight at once: WebCrypto answers each asynchronously
    for (let count = first, i = 0; i < BATCH && count < max; i++, count += step) {
      const buffer = base.slice();
      new DataView(buffer.buffer).setUint32(at, count);
      counts.push(count);
      work.push(crypto.subtle.digest("SHA-256", buffer));
    }
    const digests = await Promise.all(work);
    for (let i = 0; i < digests.length; i++) {
      if (startsWith(digests[i], prefix)) {
        self.postMessage({ counter: counts[i], key: hex(digests[i]) });
        return;
      }
    }
  }
  self.postMessage({ counter: null });
};
