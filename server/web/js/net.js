// The WebSocket session: msgpack binary frames as docs/protocol.md describes them, hello with
// the visitor identity, resume after a drop (resume token, exponential backoff with jitter),
// pings, and requests matched to replies by client id (cid).

import { decode, encode } from "@msgpack/msgpack";
import { FIELDS, LIMITS, MsgType, PROTOCOL_VERSION, RECORDS } from "../protocol.js";
import { solveWork } from "./work.js";

const RECORD_FIELDS = {
  [MsgType.FRAME]: { enters: RECORDS.Enter },
  [MsgType.WALLET]: { coupons: RECORDS.Coupon },
  [MsgType.LEADERBOARD]: { entries: RECORDS.LeaderboardEntry, all_time: RECORDS.LeaderboardEntry },
  [MsgType.BADGES]: { badges: RECORDS.Badge },
  [MsgType.COURSES]: { courses: RECORDS.CourseStanding },
};

/** Turn a positional array into an object with the given field names. */
function named(names, values) {
  const out = {};
  names.forEach((name, i) => {
    out[name] = values[i] ?? null;
  });
  return out;
}

/**
 * A frame's updates: records `[id, x, z, heading, anim]` cut after the last changed field,
 * nil for unchanged fields before it (a walker is `[id, x, z]`).
 */
export function parseUpdates(records) {
  return records.map((r) => ({
    id: r[0],
    x: r[1] ?? null,
    z: r[2] ?? null,
    heading: r[3] ?? null,
    anim: r[4] ?? null,
  }));
}

/** Decode one server message into `{type, cid, ...fields}`; throws on anything malformed. */
export function decodeMessage(bytes) {
  const value = decode(bytes);
  if (!Array.isArray(value) || value.length < 2) throw new Error("message is not an array");
  const [type, cid, ...fields] = value;
  const names = FIELDS[type];
  if (!names) throw new Error(`unknown message type ${type}`);
  const msg = { type, cid, ...named(names, fields) };
  for (const [field, recordNames] of Object.entries(RECORD_FIELDS[type] || {})) {
    msg[field] = (msg[field] || []).map((r) => named(recordNames, r));
  }
  if (type === MsgType.COUPON_ISSUED && Array.isArray(msg.coupon)) {
    msg.coupon = named(RECORDS.Coupon, msg.coupon);
  }
  if (type === MsgType.BADGE_EARNED && Array.isArray(msg.badge)) {
    msg.badge = named(RECORDS.Badge, msg.badge);
  }
  if (type === MsgType.COURSE_PROGRESS && Array.isArray(msg.course)) {
    msg.course = named(RECORDS.CourseStanding, msg.course);
  }
  if (type === MsgType.DIALOGUE && RECORDS.QuestionCard) {
    msg.questions = (msg.questions || []).map((q) => {
      const card = named(RECORDS.QuestionCard, q);
      if (card.shown) card.shown = card.shown.map((o) => named(RECORDS.OpinionRow, o));
      return card;
    });
  }
  if (type === MsgType.FRAME) msg.updates = parseUpdates(msg.updates || []);
  return msg;
}

/** Encode a client message; trailing null optionals are left out. */
export function encodeMessage(type, fields, cid = null) {
  const values = FIELDS[type].map((name) => fields[name] ?? null);
  while (values.length && values[values.length - 1] === null) values.pop();
  return encode([type, cid, ...values]);
}

/** Pings go well inside the idle timeout, so a visitor standing still is not dropped. */
const PING_EVERY_MS = Math.max(2000, (LIMITS.IDLE_TIMEOUT_S * 1000) / 4);

/**
 * How long after the last message heard a resume token is still worth sending. A server
 * keeps a dropped avatar for RESUME_WINDOW_S after its connection went, and the connection
 * may have outlived the last message by up to a ping's interval (a visitor standing alone
 * hears nothing else); past that the token only costs the hello a lookup that finds
 * nothing (on Redis a few retries, ~0.35 s) before the fresh start it gets anyway.
 */
const RESUME_WORTH_MS = LIMITS.RESUME_WINDOW_S * 1000 + PING_EVERY_MS + 2000;

export const ConnState = Object.freeze({
  CONNECTING: "connecting",
  ONLINE: "online",
  OFFLINE: "offline",
  REFUSED: "refused",
});

/**
 * One visitor's session. `hello()` supplies the hello fields each time a socket opens (name,
 * look, identity); the resume token from the last welcome is added automatically.
 * Events: "state" (ConnState), "welcome", "message" (every decoded message), and one per
 * MsgType name in lower case ("frame", "quiz_result", ...).
 */
export class Connection extends EventTarget {
  constructor(url, hello, { backoffMs = 500, maxBackoffMs = 10000 } = {}) {
    super();
    this.url = url;
    this.hello = hello;
    this.backoffMs = backoffMs;
    this.maxBackoffMs = maxBackoffMs;
    this.state = ConnState.OFFLINE;
    this.resumeToken = null;
    this.heardAt = 0; // Date.now() of the last message from the server; 0: not known
    this.welcome = null;
    this.nextCid = 1;
    this.pending = new Map();
    this.failures = 0;
    this.socket = null;
    this.closedByUs = false;
    this.removed = false;
    this.pingTimer = null;
    this.rttMs = null;
    this.bytesIn = 0;
    this.bytesOut = 0;
    this.workMs = null; // how long the last proof of work took (tests, diagnostics)
    this.held = null; // messages held while moving to another zone's process (moveZone)
  }

  open() {
    this.closedByUs = false;
    this.connect();
  }

  close() {
    this.closedByUs = true;
    clearInterval(this.pingTimer);
    this.socket?.close(1000);
  }

  /** A moderator removed this visitor: the close that follows is not retried. */
  stayClosed() {
    this.removed = true;
  }

  get online() {
    return this.state === ConnState.ONLINE;
  }

  setState(state, detail = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, ...detail } }));
  }

  connect({ quiet = false } = {}) {
    if (!quiet) this.setState(ConnState.CONNECTING);
    const socket = new WebSocket(this.url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onopen = () => {
      const fields = { version: PROTOCOL_VERSION, ...this.hello(), resume: this.resumable() };
      this.write(encodeMessage(MsgType.HELLO, fields));
    };
    // a socket given up for another zone's only says the replies still due on it
    socket.onmessage = (event) => {
      if (socket === this.socket || this.isPendingReply(event.data)) this.receive(event.data);
    };
    socket.onclose = (event) => this.closed(socket, event);
  }

  /** The resume token, unless it is too old to find the avatar (RESUME_WORTH_MS). */
  resumable() {
    if (this.heardAt && Date.now() - this.heardAt > RESUME_WORTH_MS) this.resumeToken = null;
    return this.resumeToken;
  }

  receive(data) {
    if (typeof data === "string") return; // the protocol is binary only
    this.bytesIn += data.byteLength;
    this.heardAt = Date.now();
    let msg;
    try {
      msg = decodeMessage(new Uint8Array(data));
    } catch (err) {
      console.warn("dropping a malformed server message", err);
      return;
    }
    if (msg.type === MsgType.WELCOME) {
      this.welcome = msg;
      this.resumeToken = msg.resume_token;
      this.failures = 0;
      this.setState(ConnState.ONLINE);
      this.startPings();
      const held = this.held ?? [];
      this.held = null;
      for (const bytes of held) this.write(bytes);
    } else if (msg.type === MsgType.PONG) {
      this.rttMs = performance.now() - msg.t;
    } else if (msg.type === MsgType.WORK_CHALLENGE) {
      this.prove(msg);
    } else if (msg.type === MsgType.ZONE) {
      this.moveZone(msg.zone);
    }
    if (msg.cid != null && this.pending.has(msg.cid)) {
      const { resolve, timer } = this.pending.get(msg.cid);
      clearTimeout(timer);
      this.pending.delete(msg.cid);
      resolve(msg);
    }
    this.dispatchEvent(new CustomEvent("message", { detail: msg }));
    const name = messageName(msg.type);
    if (name) this.dispatchEvent(new CustomEvent(name, { detail: msg }));
  }

  closed(socket, event) {
    if (socket !== this.socket) return;
    clearInterval(this.pingTimer);
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new Error("connection closed"));
    }
    this.pending.clear();
    if (this.closedByUs) {
      this.setState(ConnState.OFFLINE);
      return;
    }
    // 4002 (version mismatch) and 4007 (replaced by another tab) will not get better by
    // retrying, nor will a close that follows a moderator's kick or ban (`removed`).
    if (event.code === 4002 || event.code === 4007 || this.removed) {
      this.setState(ConnState.REFUSED, { code: event.code, reason: event.reason });
      return;
    }
    // A session the server dropped for good cannot be resumed; start a fresh one.
    if (event.code >= 4000) this.resumeToken = null;
    this.failures += 1;
    const base = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (this.failures - 1));
    const delay = base / 2 + Math.random() * (base / 2);
    this.setState(ConnState.OFFLINE, { code: event.code, retryInMs: delay });
    setTimeout(() => {
      if (!this.closedByUs) this.connect();
    }, delay);
  }

  /**
   * Another server process serves the stretch of street the avatar walked into (zoned
   * workers): reconnect there now with the resume token (same place, same name), without
   * telling the page it went offline. The old socket is left for the server to close once
   * the new one has the avatar: a close from here would end the avatar before that.
   */
  moveZone(zone) {
    if (!this.resumeToken || this.closedByUs || !this.online) return;
    const url = new URL(this.url, location.href);
    url.searchParams.set("zone", String(zone));
    this.url = url.href;
    this.held ??= [];
    this.connect({ quiet: true });
  }

  /** Is `data` the reply to a request still waiting (on a socket given up for a zone)? */
  isPendingReply(data) {
    try {
      const msg = decodeMessage(new Uint8Array(data));
      return msg.cid != null && this.pending.has(msg.cid);
    } catch {
      return false;
    }
  }

  /** A new identity's proof of work, solved off the main thread and sent on this socket
   * (a socket replaced meanwhile gets its own challenge). Nothing is shown to the visitor. */
  async prove(msg) {
    const socket = this.socket;
    const started = performance.now();
    const nonce = await solveWork(msg.challenge, msg.bits);
    this.workMs = performance.now() - started;
    if (socket !== this.socket) return;
    this.sendRaw(encodeMessage(MsgType.WORK_PROOF, { challenge: msg.challenge, nonce }, msg.cid));
  }

  startPings() {
    clearInterval(this.pingTimer);
    const ping = () => this.send(MsgType.PING, { t: performance.now() });
    this.pingTimer = setInterval(ping, PING_EVERY_MS);
  }

  sendRaw(bytes) {
    if (this.held) {
      this.held.push(bytes); // moving to another zone's process: sent once welcomed there
      return true;
    }
    return this.write(bytes);
  }

  write(bytes) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.bytesOut += bytes.byteLength;
    this.socket.send(bytes);
    return true;
  }

  /** Fire and forget; false when offline (the caller decides whether that matters). A move
   * made while moving to another zone's process is dropped: the next one says where it is. */
  send(type, fields = {}) {
    if (!this.online || (this.held && type === MsgType.MOVE)) return false;
    return this.sendRaw(encodeMessage(type, fields));
  }

  /** Send with a fresh cid and resolve with the reply (any message echoing the cid). */
  request(type, fields = {}, { timeoutMs = 8000 } = {}) {
    if (!this.online) return Promise.reject(new Error("offline"));
    const cid = this.nextCid;
    this.nextCid = (this.nextCid % LIMITS.CID_MAX) + 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(cid);
        reject(new Error("no reply"));
      }, timeoutMs);
      this.pending.set(cid, { resolve, reject, timer });
      this.sendRaw(encodeMessage(type, fields, cid));
    });
  }
}

const NAMES = Object.fromEntries(Object.entries(MsgType).map(([k, v]) => [v, k.toLowerCase()]));

export function messageName(type) {
  return NAMES[type];
}
