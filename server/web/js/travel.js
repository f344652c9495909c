// Fast travel: a jump to a landmark's arrival point that the server approves (and rate-limits,
// RATE_LIMITS.TRAVEL); the client only asks (`travel {landmark}`) and then shows where the
// server put the avatar (`travelled {landmark, x, z, heading}`). A server without the messages
// (protocol.js without them, or one answering `unsupported`) makes "take me there" walk the
// whole way; so does a refusal (too many jumps).

import { MsgType } from "../protocol.js";
import { ask } from "./panels.js";

/** Walks shorter than this are walked even when jumping is possible. */
export const TRAVEL_MIN_M = 60;

export function canTravel() {
  return MsgType.TRAVEL !== undefined && MsgType.TRAVELLED !== undefined;
}

/** Is `msg` the server's answer to a jump? (false while the protocol has no such message) */
export function isTravelled(msg) {
  return canTravel() && msg.type === MsgType.TRAVELLED;
}

/**
 * Ask to jump to `landmarkId`'s arrival point; resolves with {x, z, heading} where the server
 * put the avatar, or null (refused, rate-limited, offline: the caller walks instead).
 */
export async function travel(conn, state, landmarkId) {
  if (!canTravel() || state.unsupportedTypes.has(MsgType.TRAVEL)) return null;
  const reply = await ask(
    conn,
    state,
    MsgType.TRAVEL,
    { landmark: landmarkId },
    { fallback: true },
  );
  return reply && isTravelled(reply) ? { x: reply.x, z: reply.z, heading: reply.heading } : null;
}
