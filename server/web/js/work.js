// Proof of work for a new visitor identity (docs/protocol.md, "New identities"): find a
// decimal nonce such that SHA-256(challenge ":" nonce) starts with `bits` zero bits. A small
// SHA-256 here rather than crypto.subtle: subtle needs a secure context (a street served on
// plain http has none) and costs a promise per hash. Runs in a Web Worker (work-worker.js) so
// the street stays responsive; solveInChunks is the fallback without workers.

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const H0 = new Uint32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const W = new Uint32Array(64);
const H = new Uint32Array(8);

/** SHA-256 of the ASCII string `text`: the digest's eight 32-bit words (big-endian). */
export function sha256Words(text) {
  const bytes = new Uint8Array(text.length + 72);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return sha256Padded(bytes, text.length);
}

/** SHA-256 of the first `n` bytes of `bytes`, which has room for the padding (n + 72). */
function sha256Padded(bytes, n) {
  const end = Math.ceil((n + 9) / 64) * 64;
  bytes[n] = 0x80;
  bytes.fill(0, n + 1, end);
  const bits = n * 8;
  bytes[end - 2] = (bits >>> 8) & 0xff;
  bytes[end - 1] = bits & 0xff;
  H.set(H0);
  for (let off = 0; off < end; off += 64) {
    for (let t = 0; t < 16; t++) {
      const j = off + t * 4;
      W[t] = (bytes[j] << 24) | (bytes[j + 1] << 16) | (bytes[j + 2] << 8) | bytes[j + 3];
    }
    for (let t = 16; t < 64; t++) {
      const a = W[t - 15];
      const b = W[t - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
    }
    let a = H[0];
    let b = H[1];
    let c = H[2];
    let d = H[3];
    let e = H[4];
    let f = H[5];
    let g = H[6];
    let h = H[7];
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K[t] + W[t]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + S0 + maj) | 0;
    }
    H[0] += a;
    H[1] += b;
    H[2] += c;
    H[3] += d;
    H[4] += e;
    H[5] += f;
    H[6] += g;
    H[7] += h;
  }
  return H;
}

/** How many zero bits the digest (eight words) starts with. */
export function leadingZeroBits(words) {
  let zeros = 0;
  for (let i = 0; i < words.length; i++) {
    if (words[i] !== 0) return zeros + Math.clz32(words[i]);
    zeros += 32;
  }
  return zeros;
}

/** The first nonce in [start, start + count) meeting `bits`, or null. */
export function searchNonces(challenge, bits, start, count) {
  const prefix = `${challenge}:`;
  const bytes = new Uint8Array(prefix.length + 20 + 72);
  for (let i = 0; i < prefix.length; i++) bytes[i] = prefix.charCodeAt(i) & 0xff;
  for (let n = start; n < start + count; n++) {
    const digits = String(n);
    for (let i = 0; i < digits.length; i++) bytes[prefix.length + i] = digits.charCodeAt(i);
    if (leadingZeroBits(sha256Padded(bytes, prefix.length + digits.length)) >= bits) return digits;
  }
  return null;
}

/** Without a worker: search in slices between frames, so the page keeps answering. */
export async function solveInChunks(challenge, bits, slice = 4096) {
  for (let start = 0; ; start += slice) {
    const found = searchNonces(challenge, bits, start, slice);
    if (found !== null) return found;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** The nonce for `challenge`, found off the main thread when the browser has workers. */
export function solveWork(challenge, bits) {
  if (typeof Worker === "undefined") return solveInChunks(challenge, bits);
  return new Promise((resolve) => {
    let worker;
    try {
      worker = new Worker(new URL("./work-worker.js", import.meta.url), { type: "module" });
    } catch {
      resolve(solveInChunks(challenge, bits));
      return;
    }
    worker.onmessage = (event) => {
      worker.terminate();
      resolve(event.data);
    };
    worker.onerror = () => {
      worker.terminate();
      resolve(solveInChunks(challenge, bits));
    };
    worker.postMessage({ challenge, bits });
  });
}
