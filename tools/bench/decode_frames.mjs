// Decode recorded presence frames with the browser's own code, as the page does: net.js
// decodeMessage, then WorldState.apply (enters, rates, updates, leaves, interpolation
// samples). Usage: node decode_frames.mjs FRAMES.json REPEAT. FRAMES.json holds one array of
// frames (byte arrays) per observer; the first frame of each sets the view and is not timed.
// Prints one JSON line per pass: {"ms": total milliseconds over all observers}.

import { readFileSync } from "node:fs";

const { decodeMessage } = await import("../../server/web/js/net.js");
const { WorldState } = await import("../../server/web/js/state.js");

const [path, repeat] = process.argv.slice(2);
const observers = JSON.parse(readFileSync(path, "utf8")).map((frames) =>
  frames.map((f) => new Uint8Array(f)),
);
const MANIFEST = { quiz_points: [], landmarks: [], events: [] };

for (let pass = 0; pass < Number(repeat || 1); pass++) {
  let total = 0;
  for (const frames of observers) {
    const state = new WorldState(MANIFEST);
    state.apply(decodeMessage(frames[0]));
    const started = performance.now();
    for (let i = 1; i < frames.length; i++) state.apply(decodeMessage(frames[i]));
    total += performance.now() - started;
  }
  console.log(JSON.stringify({ ms: total }));
}
