// Optional sign-in with LINE or Google (OpenID Connect), in the wallet. Nothing shows unless the
// street has providers (GET /api/signin/providers). Signing in links this browser's identity to
// the account; on another device it brings that identity back (the server answers with it,
// sealed in a cookie, after the provider's redirect: docs/protocol.md "Sign-in over HTTP").
// The identity this device had before is never dropped: it is kept aside in localStorage and
// the wallet offers to switch back. Signing out forgets the signed-in identity on this device.

import { confirmDialog } from "./confirm.js";
import { announce, el } from "./dom.js";
import { pick, t } from "./i18n.js";
import { defaultName, loadVisitor, saveVisitor } from "./identity.js";

const ASIDE_KEY = "srichan.set_aside";
const VISITOR_KEY = "srichan.visitor";
const FAILED = { 185: "signinLinkedElsewhere", 186: "signinNoIdentity", 187: "signinUnavailable" };

const ui = {
  providers: [], // [{ id, th, en }]
  linked: undefined, // provider id, null (not linked) or undefined (not asked yet)
  linkedFor: null, // the visitor id `linked` is about
  message: null, // { tone, text }
};
let redraw = () => {};

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  const data = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, data };
}

function say(tone, text) {
  ui.message = { tone, text };
  redraw();
}

function setAside() {
  try {
    const list = JSON.parse(localStorage.getItem(ASIDE_KEY) || "[]");
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

function keepAside(visitor) {
  const list = setAside().filter((v) => v.visitor_id !== visitor.visitor_id);
  list.push(visitor);
  try {
    localStorage.setItem(ASIDE_KEY, JSON.stringify(list.slice(-5)));
  } catch {
    // Private mode: nothing lasts beyond the page anyway.
  }
}

function takeAside(visitorId) {
  const list = setAside();
  try {
    localStorage.setItem(ASIDE_KEY, JSON.stringify(list.filter((v) => v.visitor_id !== visitorId)));
  } catch {
    // as above
  }
  return list.find((v) => v.visitor_id === visitorId);
}

function cleanUrl() {
  const url = new URL(location.href);
  url.searchParams.delete("signin");
  url.searchParams.delete("code");
  history.replaceState(null, "", url.pathname + url.search + url.hash);
}

/**
 * At start-up, before the identity is read for hello: the providers, and a sign-in the
 * provider just sent the visitor back from (`?signin=done` or `?signin=failed&code=N`).
 */
export async function startSignIn() {
  const params = new URLSearchParams(location.search);
  const back = params.get("signin");
  try {
    const answer = await fetch("/api/signin/providers");
    ui.providers = answer.ok ? (await answer.json()).providers : [];
  } catch {
    ui.providers = [];
  }
  if (!back) return;
  cleanUrl();
  try {
    await finish(back, params);
  } finally {
    // said where the visitor looks first too, not only in the wallet
    if (ui.message)
      announce(ui.message.text, { tone: ui.message.tone === "bad" ? "warn" : "good", ms: 6000 });
  }
}

async function finish(back, params) {
  if (back !== "done") {
    ui.message = { tone: "bad", text: t(FAILED[Number(params.get("code"))] ?? "signinFailed") };
    return;
  }
  const answer = await post("/api/signin/result").catch(() => null);
  if (!answer?.ok) {
    ui.message = { tone: "bad", text: t("signinFailed") };
    return;
  }
  const result = answer.data;
  const current = loadVisitor();
  if (result.outcome === "restored" && result.visitor_id !== current.visitor_id) {
    keepAside(current); // never dropped, even if another tab changed it meanwhile
    const keepName = current.name !== defaultName(current.visitor_id);
    saveVisitor({
      ...current,
      visitor_id: result.visitor_id,
      visitor_secret: result.visitor_secret,
      name: keepName ? current.name : defaultName(result.visitor_id),
    });
  }
  ui.linked = result.provider;
  ui.linkedFor = result.visitor_id;
  const key = result.outcome === "restored" ? "signinRestored" : "signinLinked";
  ui.message = { tone: "good", text: t(key, { provider: providerName(result.provider) }) };
}

function providerName(id) {
  const p = ui.providers.find((x) => x.id === id);
  return p ? pick(p) : id;
}

/** Whether this identity is linked to an account (as last asked), for the booth panel. */
export function signedIn() {
  return Boolean(ui.linked) && ui.linkedFor === loadVisitor().visitor_id;
}

export function hasProviders() {
  return ui.providers.length > 0;
}

async function askStatus() {
  const visitor = loadVisitor();
  ui.linkedFor = visitor.visitor_id;
  const answer = await post("/api/signin/status", {
    visitor_id: visitor.visitor_id,
    visitor_secret: visitor.visitor_secret,
  }).catch(() => null);
  // unknown before the first hello registered the identity: not linked
  ui.linked = answer?.ok ? answer.data.linked : null;
  redraw();
}

/** Off to the provider's login; it sends the visitor back to the street. */
export async function signIn(providerId) {
  const visitor = loadVisitor();
  const here = new URL(location.href);
  here.searchParams.delete("signin");
  here.searchParams.delete("code");
  const answer = await post("/api/signin/start", {
    return_to: here.pathname + here.search,
    provider: providerId,
    visitor_id: visitor.visitor_id,
    visitor_secret: visitor.visitor_secret,
  }).catch(() => null);
  if (!answer?.ok) {
    return say(
      "bad",
      answer?.status === 429 ? t("recoveryBusy") : pick(answer?.data ?? {}) || t("signinFailed"),
    );
  }
  location.assign(answer.data.url);
}

/** Offered when a promotion is for signed-in visitors only. */
export async function offerSignIn(promo) {
  const [first] = ui.providers;
  if (!first) return;
  const sure = await confirmDialog({
    title: t("signinRequiredTitle"),
    rows: [[t("promotion"), pick(promo.title)]],
    confirmText: t("signinWith", { provider: pick(first) }),
  });
  if (sure) await signIn(first.id);
}

async function signOut() {
  const sure = await confirmDialog({
    title: t("signoutTitle"),
    rows: [[t("signinTitle"), providerName(ui.linked)]],
    confirmText: t("signout"),
  });
  if (!sure) return;
  await post("/api/signin/signout").catch(() => null);
  const previous = setAside().at(-1);
  try {
    if (previous) {
      takeAside(previous.visitor_id);
      saveVisitor({ ...loadVisitor(), ...previous });
    } else {
      localStorage.removeItem(VISITOR_KEY); // a fresh identity at the next load
    }
  } catch {
    // nothing stored to forget
  }
  location.reload();
}

async function switchBack(visitor) {
  const current = loadVisitor();
  takeAside(visitor.visitor_id);
  keepAside(current);
  saveVisitor({ ...current, ...visitor });
  location.reload();
}

/** The wallet's sign-in section, or nothing when the street has no providers. */
export function signinView(state) {
  if (!ui.providers.length) return null;
  redraw = () => state.changed("wallet");
  const me = loadVisitor().visitor_id;
  if (ui.linkedFor !== me) {
    ui.linked = undefined;
    askStatus();
  }
  const linked = ui.linked && ui.linkedFor === me;
  const aside = setAside().filter((v) => v.visitor_id !== me);
  return el(
    "section",
    { class: "signin", "aria-labelledby": "signin-title" },
    el("h3", { id: "signin-title", text: t("signinTitle") }),
    linked
      ? el(
          "p",
          { class: "signin-state", "data-key": "signin-state" },
          t("signinAs", { provider: providerName(ui.linked) }),
        )
      : el("p", { class: "signin-why", text: t("signinWhy") }),
    ...(linked
      ? [
          el("button", {
            type: "button",
            class: "secondary",
            "data-key": "signout",
            text: t("signout"),
            onclick: signOut,
          }),
        ]
      : ui.providers.map((p) =>
          el("button", {
            type: "button",
            class: `primary signin-button signin-${p.id}`,
            "data-key": `signin:${p.id}`,
            text: t("signinWith", { provider: pick(p) }),
            onclick: () => signIn(p.id),
          }),
        )),
    ...aside.map((v) =>
      el("button", {
        type: "button",
        class: "secondary",
        "data-key": `switch-back:${v.visitor_id}`,
        text: t("signinSwitchBack", { name: v.name || defaultName(v.visitor_id) }),
        onclick: () => switchBack(v),
      }),
    ),
    el(
      "p",
      { class: `signin-message ${ui.message?.tone ?? ""}`, role: "status" },
      ui.message?.text ?? "",
    ),
  );
}
