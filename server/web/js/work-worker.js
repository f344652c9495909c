// The proof-of-work search (work.js) in a Web Worker: one challenge in, its nonce out.
import { searchNonces } from "./work.js";

self.onmessage = (event) => {
  const { challenge, bits } = event.data;
  for (let start = 0; ; start += 1 << 20) {
    const found = searchNonces(challenge, bits, start, 1 << 20);
    if (found !== null) {
      self.postMessage(found);
      return;
    }
  }
};
