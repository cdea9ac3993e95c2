// The anonymous forms' proof of work (servicekit/proof_of_work.py): before a form is sent,
// this browser solves the form's puzzle, an ALTCHA v2 challenge (SHA-256 with WebCrypto, in
// one worker per core). Every sender pays the same price; it rises only while the form is
// busy. Nothing about the sender is sent or kept: the puzzle is the whole price.

const WORKER = "/portal/static/proof-worker.js";
const MARGIN_MS = 30_000; // a solution this close to its expiry is solved again

function bytes(hex) {
  return Uint8Array.from(hex.match(/../g) || [], (pair) => parseInt(pair, 16));
}

/** Solve a challenge ({challenge, maxNumber}); the payload a form sends as proofOfWork. */
export async function solve({ challenge, maxNumber }) {
  const parsed = JSON.parse(challenge);
  const parameters = parsed.parameters;
  const task = { salt: bytes(parameters.salt), nonce: bytes(parameters.nonce), prefix: bytes(parameters.keyPrefix) };
  const count = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 8));
  const found = await new Promise((resolve, reject) => {
    const workers = [];
    let left = count;
    const stop = () => workers.forEach((worker) => worker.terminate());
    const failed = () => { stop(); reject(new Error("This browser could not prepare the form for sending. Please reload the page and try again.")); };
    for (let start = 0; start < count; start++) {
      const worker = new Worker(WORKER);
      worker.onmessage = ({ data }) => {
        if (data.counter !== null) { stop(); resolve(data); } else if (--left === 0) failed();
      };
      worker.onerror = failed;
      worker.postMessage({ ...task, start, step: count, max: maxNumber });
      workers.push(worker);
    }
  });
  return btoa(JSON.stringify({ challenge: parsed, solution: { counter: found.counter, derivedKey: found.key } }));
}

/** Whether an answer refused the form for its proof of work (solve a new one, send again). */
export function refusedForProof(codeOrAnswer) {
  const codes = typeof codeOrAnswer === "string" ? [codeOrAnswer]
    : ((codeOrAnswer && codeOrAnswer.errors) || []).map((error) => error.extensions && error.extensions.code);
  return codes.some((code) => typeof code === "string" && code.startsWith("PROOF_OF_WORK_"));
}

/**
 * One form's solution, started as soon as the person begins to fill the form in (so it is
 * usually ready when they send), solved again once spent or near its expiry.
 * `fetchChallenge` answers {challenge, maxNumber, expiresAt}.
 */
export class FormProof {
  constructor(fetchChallenge) {
    this.fetchChallenge = fetchChallenge;
    this.pending = null;
  }

  /** Start solving, if nothing is being solved or held. */
  start() {
    if (this.pending) return;
    const pending = (async () => {
      const challenge = await this.fetchChallenge();
      return { payload: await solve(challenge), expiresAt: Date.parse(challenge.expiresAt) };
    })();
    pending.catch(() => { if (this.pending === pending) this.pending = null; });
    this.pending = pending;
  }

  /** The solution to send (waits while it is being solved). */
  async take() {
    this.start();
    const held = await this.pending;
    if (held.expiresAt - Date.now() > MARGIN_MS) return held.payload;
    // near its expiry by this device's clock: solve once more (a clock that is wrong gets
    // the new one anyway, and the network says if it is refused)
    this.spent();
    this.start();
    return (await this.pending).payload;
  }

  /** The solution was used (or refused): the next send solves a new one. */
  spent() {
    this.pending = null;
  }

  /** Begin solving at the form's first keystroke. */
  watch(form) {
    form.addEventListener("input", () => this.start(), { once: true });
    return this;
  }
}
