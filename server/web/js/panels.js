// The views both modes share: quests, wallet with coupons, leaderboard, booths with their
// products and promotions, and redeeming (after a confirmation). Each builder returns fresh DOM
// from the state; callers re-render on the state's "change" events. Server text only ever goes
// in as text.

import { ErrorCode, LIMITS, MsgType } from "../protocol.js";
import { announce, el } from "./dom.js";
import { confirmDialog } from "./confirm.js";
import { currentLang, pick, t } from "./i18n.js";
import { randomToken } from "./identity.js";
import { recoveryView } from "./recovery.js";
import { hasProviders, offerSignIn, signedIn, signinView } from "./signin.js";

/** The server's "Thai / English" reason, in the visitor's language; null without one. */
function serverReason(message) {
  const [th, en] = String(message ?? "").split(" / ");
  return th && en ? pick({ th, en }) : null;
}

/**
 * How close to a booth the client brings the visitor before a redeem: the server's reach less
 * a margin, since the server judges the last position it accepted, a move or two behind.
 */
export const BOOTH_REACH_M = LIMITS.BOOTH_REACH_M - 0.5;

/**
 * A visitor-facing sentence for an error code from the server. A refused name or text comes
 * with the rule it broke as "Thai / English" in `message`: shown in the visitor's language.
 */
export function errorText(code, message = "") {
  switch (code) {
    case ErrorCode.TOO_FAR:
      return t("tooFar");
    case ErrorCode.EVENT_NOT_NOW:
      return t("eventNotNow");
    case ErrorCode.EVENT_FULL:
      return t("eventFull");
    case ErrorCode.EVENT_CANCELLED:
      return t("eventCancelled");
    case ErrorCode.COOLDOWN:
      return t("cooldown");
    case ErrorCode.NO_ATTEMPTS_LEFT:
      return t("noAttempts");
    case ErrorCode.DAILY_CAP:
      return t("dailyCap");
    case ErrorCode.INSUFFICIENT_TOKENS:
      return t("notEnoughTokens");
    case ErrorCode.SOLD_OUT:
      return t("soldOut");
    case ErrorCode.VISITOR_LIMIT:
      return t("visitorLimit");
    case ErrorCode.SOLD_OUT_TODAY:
      return t("soldOutToday");
    case ErrorCode.TOKENS_PENDING:
      return serverReason(message) ?? t("tokensPending");
    case ErrorCode.UNSUPPORTED:
      return t("comingSoonServer");
    case ErrorCode.ANSWER_REPLAYED:
      return t("quizDone");
    case ErrorCode.BAD_NAME:
      return serverReason(message) ?? t("badName");
    case ErrorCode.BAD_TEXT:
      return serverReason(message) ?? t("errorGeneric");
    case ErrorCode.PROMOTION_NOT_STARTED:
      return t("promoNotStarted");
    case ErrorCode.PROMOTION_ENDED:
      return t("promoEnded");
    case ErrorCode.BOOTH_TOO_FAR:
      return t("boothTooFar");
    case ErrorCode.PROMOTION_CHANGED:
      return t("promoChanged");
    case ErrorCode.STORE_UNAVAILABLE:
      return t("storeUnavailable");
    case ErrorCode.LESSON_LOCKED:
      return t("lessonLocked");
    case ErrorCode.SIGN_IN_REQUIRED:
      return t("signinRequired");
    default:
      return t("errorGeneric");
  }
}

/** Requests the store could not take are sent again this many times before giving up. */
export const STORE_RETRIES = 6;

/**
 * Milliseconds before retry `attempt` (1, 2, …) of a request refused with store_unavailable:
 * doubling from 1 s to 8 s, half of it random so many tabs do not retry in step (and slow
 * enough for the server's rate limits).
 */
export function retryDelayMs(attempt, random = Math.random) {
  const base = Math.min(8000, 1000 * 2 ** (attempt - 1));
  return base / 2 + random() * (base / 2);
}

/**
 * Send a request and return the reply, or announce why it failed and return null. A
 * store_unavailable reply is retried with the very same fields (a redeem keeps its key, an
 * answer its opening), so nothing is done twice. A request this server does not support is
 * remembered in `state` (see `markUnsupported`); with `fallback` (the caller has another way,
 * as "take me there" walks when it cannot jump) that one is not announced. With `shown`, the
 * reason is also written there (next to a form field, where the visitor is looking).
 */
export async function ask(conn, state, type, fields, { fallback = false, shown = null } = {}) {
  let reply;
  for (let attempt = 1; ; attempt += 1) {
    try {
      reply = await conn.request(type, fields);
    } catch {
      announce(t("connOffline"), { tone: "warn" });
      return null;
    }
    const unavailable = reply.type === MsgType.ERROR && reply.code === ErrorCode.STORE_UNAVAILABLE;
    if (!unavailable || attempt > STORE_RETRIES) break;
    if (attempt === 1) announce(t("storeRetrying"), { tone: "warn" });
    await new Promise((resolve) => setTimeout(resolve, retryDelayMs(attempt)));
  }
  if (reply.type === MsgType.ERROR) {
    const unsupported = reply.code === ErrorCode.UNSUPPORTED;
    if (unsupported) state.markUnsupported(type);
    const why = errorText(reply.code, reply.message);
    if (!(unsupported && fallback)) announce(why, { tone: "warn" });
    if (shown) shown.textContent = why;
    return null;
  }
  return reply;
}

/** "Answer · City Gate" (tracker) or, with `detail`, followed by the question itself. */
export function stepLabel(state, step, detail = false) {
  const [kind, target] = Object.entries(step)[0];
  if (kind === "quiz") {
    const q = state.quizIndex.get(target);
    const lm = q && state.landmarkIndex.get(q.landmark);
    const where = `${t("stepQuiz")} · ${lm ? pick(lm.name) : target}`;
    return detail && q ? `${where}: ${pick(q.question)}` : where;
  }
  const lm = state.landmarkIndex.get(target);
  return `${t("stepVisit")} · ${lm ? pick(lm.name) : target}`;
}

/** Which steps of a quest are known done: ordered quests fill from the start. */
export function stepsDone(state, quest, progress) {
  if (progress?.steps)
    return quest.steps.map((_, i) => progress.completed || progress.steps.includes(i));
  return quest.steps.map((step, i) => {
    if (progress?.completed) return true;
    if (quest.order === "ordered") return i < (progress?.done ?? 0);
    const [kind, target] = Object.entries(step)[0];
    return kind === "quiz" && state.quizzes.get(target)?.status === "correct";
  });
}

export function questProgress(state, quest) {
  const p = state.quests.get(quest.id);
  return { done: p?.done ?? 0, total: p?.total ?? quest.steps.length, completed: !!p?.completed };
}

/** All quests with their steps, for the quest panel and the list mode. */
export function questsView(state, { headingLevel = "h3" } = {}) {
  const list = el("ol", { class: "quests" });
  for (const quest of state.manifest.quests) {
    const p = questProgress(state, quest);
    const done = stepsDone(state, quest, state.quests.get(quest.id));
    const steps = el("ol", { class: "steps" });
    quest.steps.forEach((step, i) => {
      steps.append(
        el(
          "li",
          { class: done[i] ? "done" : "" },
          el("span", { class: "tick", "aria-hidden": "true", text: done[i] ? "✓" : "○" }),
          el("span", { text: stepLabel(state, step, true) }),
          done[i] ? el("span", { class: "sr-only", text: ` (${t("questDone")})` }) : null,
        ),
      );
    });
    list.append(
      el(
        "li",
        { class: p.completed ? "quest completed" : "quest" },
        el(headingLevel, { text: pick(quest.title) }),
        el("p", { class: "desc", text: pick(quest.description) }),
        el(
          "p",
          { class: "progress-line" },
          el("progress", { max: p.total, value: p.done, "aria-label": pick(quest.title) }),
          ` ${p.done}/${p.total}`,
          p.completed ? ` · ${t("questDone")}` : "",
          quest.bonus ? ` · ${t("questBonus")} +${quest.bonus} ${t("tokens")}` : "",
        ),
        steps,
      ),
    );
  }
  return list;
}

/** `ABCD2345` → `ABCD-2345`: easier to read out at the counter. Used everywhere a code shows. */
export function displayCode(code) {
  return /^[A-Z0-9]{8}$/.test(code) ? `${code.slice(0, 4)}-${code.slice(4)}` : code;
}

function couponQr(coupon) {
  // The server draws the QR code (SVG); an <img> cannot run script from it.
  return el("img", {
    class: "qr",
    src: `/coupon-qr/${encodeURIComponent(coupon.code)}.svg`,
    alt: `${t("couponQr")} ${displayCode(coupon.code)}`,
    width: 140,
    height: 140,
    onerror: (e) => e.target.remove(),
  });
}

/** One coupon as the shop will see it: title, shop, code, expiry and QR code. */
export function couponCard(state, c, { headingLevel = "h3", fresh = false } = {}) {
  const booth = state.booths.get(c.slot)?.booth;
  return el(
    "li",
    { class: fresh ? "coupon fresh" : "coupon", "data-coupon": c.coupon_id },
    el(headingLevel, { text: pick(c.title) }),
    booth ? el("p", { class: "shop", text: pick(booth.name) || c.slot }) : null,
    el(
      "p",
      {},
      el("span", { text: `${t("couponCode")}: ` }),
      el("code", { class: "code", text: displayCode(c.code) }),
    ),
    c.expires_at
      ? el("p", {
          class: "expires",
          text: `${t("expires")}: ${new Date(c.expires_at * 1000).toLocaleString(currentLang() === "th" ? "th-TH" : "en-GB")}`,
        })
      : null,
    couponQr(c),
    el("p", { class: "field-hint", text: t("showAtCounter") }),
  );
}

export function walletView(state) {
  const wrap = el("div", { class: "wallet" });
  wrap.append(
    el(
      "p",
      { class: "balance-line" },
      el("span", { text: `${t("balance")}: ` }),
      el("strong", {
        class: "balance-value",
        text: state.balance == null ? "–" : String(state.balance),
      }),
      ` ${t("tokens")}`,
    ),
  );
  const held = state.pendingLeft();
  if (held && state.balance != null) wrap.append(pendingView(state, held));
  if (!state.coupons.length) {
    wrap.append(el("p", { class: "empty", text: t("noCoupons") }));
  } else {
    const list = el("ul", { class: "coupons" });
    for (const c of [...state.coupons].reverse()) list.append(couponCard(state, c));
    wrap.append(list);
  }
  wrap.append(badgesView(state));
  const account = signinView(state);
  if (account) wrap.append(account);
  wrap.append(recoveryView(state));
  return wrap;
}

/** A new identity's hold: spendable vs pending, and what is left to unlock them. */
function pendingView(state, held) {
  const left = [];
  if (held.quizzes > 0) left.push(el("li", { text: t("pendingQuizzes", { n: held.quizzes }) }));
  if (held.minutes > 0) left.push(el("li", { text: t("pendingMinutes", { n: held.minutes }) }));
  return el(
    "section",
    { class: "pending", "aria-label": t("tokensPending") },
    el(
      "p",
      { class: "pending-split" },
      el("span", { class: "spendable", text: `${t("spendable")} 0 ${t("tokens")}` }),
      el("span", {
        class: "pending-value",
        text: `${t("pendingTokens")} ${state.balance} ${t("tokens")}`,
      }),
    ),
    el("ul", { class: "pending-left" }, ...left),
    el("p", {
      class: "field-hint",
      text: t("pendingWhy", { q: state.pending.quizzes, m: state.pending.minutes }),
    }),
  );
}

/** The visitor's Open Badges: each with its image, the files to keep, and a link to share. */
export function badgesView(state) {
  const section = el("section", { class: "badges", "aria-labelledby": "badges-title" });
  section.append(el("h3", { id: "badges-title", text: t("badges") }));
  if (!state.badges.length) {
    section.append(el("p", { class: "empty", text: t("noBadges") }));
    return section;
  }
  const list = el("ul", { class: "badge-list" });
  for (const b of state.badges) list.append(badgeCard(b));
  section.append(list);
  return section;
}

function badgeCard(b) {
  const files = `/badges/credentials/${b.credential_id}`;
  const verify = new URL(`/badges/verify/${b.credential_id}`, location.href).href;
  const issued = new Date(b.issued_at * 1000).toLocaleDateString(
    currentLang() === "th" ? "th-TH" : "en-GB",
    { dateStyle: "long" },
  );
  const share = el("button", { type: "button", class: "share", text: t("badgeShare") });
  share.addEventListener("click", () => shareLink(pick(b.name), verify));
  return el(
    "li",
    { class: b.revoked ? "badge revoked" : "badge", "data-badge": b.credential_id },
    el("img", {
      class: "badge-image",
      src: `/badges/achievements/${b.achievement}.svg`,
      alt: "",
      width: "72",
      height: "72",
    }),
    el(
      "div",
      { class: "badge-body" },
      el("h4", { text: pick(b.name) }),
      el("p", { class: "issued", text: `${t("badgeIssued")} ${issued}` }),
      b.revoked ? el("p", { class: "revoked-note", text: t("badgeRevoked") }) : null,
      el(
        "p",
        { class: "badge-actions" },
        el("a", {
          class: "button",
          href: `${files}.svg`,
          download: `srichan-badge-${b.achievement}.svg`,
          text: t("badgeDownloadImage"),
        }),
        el("a", {
          class: "button",
          href: `${files}.jwt`,
          download: `srichan-badge-${b.achievement}.jwt`,
          text: t("badgeDownloadCredential"),
        }),
        share,
      ),
      el(
        "a",
        { class: "verify-link", href: verify, target: "_blank", rel: "noopener" },
        t("badgeVerify"),
      ),
    ),
  );
}

/** Share the verification link: the phone's share sheet where there is one, else copy it. */
async function shareLink(title, url) {
  if (navigator.share) {
    try {
      await navigator.share({ title, url });
      return;
    } catch (err) {
      if (err?.name === "AbortError") return;
    }
  }
  try {
    await navigator.clipboard.writeText(url);
    announce(t("badgeLinkCopied"));
  } catch {
    announce(`${t("badgeLink")}: ${url}`, { ms: 10000 });
  }
}

function boardTable(entries, you, caption) {
  const body = el("tbody");
  for (const e of entries) {
    body.append(
      el(
        "tr",
        { class: you === e.rank ? "you" : "" },
        el("td", { text: String(e.rank) }),
        el("td", { text: e.name }, you === e.rank ? ` (${t("you")})` : ""),
        el("td", { text: String(e.score) }),
        el("td", { text: e.quests == null ? "" : String(e.quests) }),
      ),
    );
  }
  return el(
    "table",
    { class: "leaderboard" },
    el("caption", { text: caption }),
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", { scope: "col", text: t("rank") }),
        el("th", { scope: "col", text: t("name") }),
        el("th", { scope: "col", text: t("tokens") }),
        el("th", { scope: "col", text: t("quests") }),
      ),
    ),
    body,
  );
}

/** This week's board and the all-time board, your rows marked. */
export function leaderboardView(state) {
  const lb = state.leaderboard;
  if (!lb || (!lb.entries.length && !lb.allTime.length)) {
    const text = state.learningSupported === false ? t("comingSoonServer") : t("leaderboardEmpty");
    return el("p", { class: "empty", text });
  }
  const week = lb.week ? `${t("thisWeek")} (${lb.week})` : t("thisWeek");
  return el(
    "div",
    { class: "boards" },
    lb.entries.length
      ? boardTable(lb.entries, lb.you, week)
      : el("p", { class: "empty", text: `${week}: ${t("leaderboardEmpty")}` }),
    lb.allTime.length ? boardTable(lb.allTime, lb.youAllTime, t("allTime")) : null,
  );
}

function asList(value) {
  return Array.isArray(value) ? value.filter((v) => v && typeof v === "object") : [];
}

/** Photos come from this server only (`/…`), never from an address a booth typed in. */
function photo(url, alt) {
  if (typeof url !== "string" || !url.startsWith("/") || url.startsWith("//")) return null;
  return el("img", {
    class: "product-photo",
    src: url,
    alt,
    width: 64,
    height: 64,
    loading: "lazy",
  });
}

/** Why a promotion cannot be redeemed now, or null. */
function promoBlocker(state, promo, nowS) {
  if (promo.left === 0) return t("soldOut");
  if (typeof promo.from === "number" && nowS < promo.from) return t("promoNotStarted");
  if (typeof promo.to === "number" && nowS >= promo.to) return t("promoEnded");
  if (state.balance != null && promo.cost > state.balance) return t("notEnoughTokens");
  if (state.pendingLeft()) return t("tokensPending");
  return null;
}

/** Booths that are open, each with products and promotions; `onRedeem(slot, promo)`. */
export function boothsView(
  state,
  onRedeem,
  { headingLevel = "h3", distanceTo = null, reach = null, onReport = null } = {},
) {
  const open = [...state.booths.entries()].filter(([, b]) => b.booth);
  if (!open.length) {
    const text = state.boothsSupported === false ? t("comingSoonServer") : t("boothsNearby");
    return el("p", { class: "empty", text });
  }
  open.sort(([a], [b]) => a.localeCompare(b));
  const nowS = Date.now() / 1000;
  const list = el("ul", { class: "booths" });
  for (const [slot, { booth }] of open) {
    const products = asList(booth.products);
    const promos = asList(booth.promotions);
    const item = el(
      "li",
      { class: "booth", "data-slot": slot },
      el(headingLevel, { text: pick(booth.name) || slot }),
      booth.description ? el("p", { class: "sign", text: pick(booth.description) }) : null,
      distanceTo
        ? el("p", {
            class: "dist",
            text: `${slot} · ${t("metresAway", { n: Math.round(distanceTo(slot)) })}`,
          })
        : null,
    );
    item.style.borderLeftColor = /^#[0-9a-f]{6}$/i.test(String(booth.awning)) ? booth.awning : "";
    if (products.length) {
      item.append(el("h4", { text: t("products") }));
      item.append(
        el(
          "ul",
          { class: "products" },
          ...products.map((p) =>
            el(
              "li",
              {},
              photo(p.photo, pick(p.name)),
              el("span", { text: pick(p.name) }),
              p.price != null
                ? el("span", { class: "price", text: ` ${p.price} ${t("baht")}` })
                : null,
            ),
          ),
        ),
      );
    }
    if (promos.length) {
      item.append(el("h4", { text: t("promotions") }));
      const ul = el("ul", { class: "promos" });
      for (const promo of promos) {
        let blocker = promo.id ? promoBlocker(state, promo, nowS) : t("errorGeneric");
        if (!blocker && reach && distanceTo && distanceTo(slot) > reach) blocker = t("boothTooFar");
        const titleId = `promo-${slot}-${promo.id}`;
        ul.append(
          el(
            "li",
            { "data-promotion": promo.id },
            el("span", { id: titleId, text: pick(promo.title) }),
            el("span", { class: "cost", text: ` · ${promo.cost} ${t("tokens")}` }),
            typeof promo.left === "number"
              ? el("span", { class: "left", text: ` · ${t("left", { n: promo.left })}` })
              : null,
            promo.per_visitor
              ? el("span", { class: "left", text: ` · ${t("perDay", { n: promo.per_visitor })}` })
              : null,
            promo.requires_sign_in
              ? el("span", { class: "left signin-only", text: ` · ${t("signinOnly")}` })
              : null,
            // The accessible name is the visible text; the promotion's title describes it.
            el("button", {
              type: "button",
              class: "primary redeem",
              disabled: blocker !== null,
              text: blocker ?? t("redeem"),
              "aria-describedby": titleId,
              "data-key": `redeem:${slot}:${promo.id}`,
              onclick: () => onRedeem(slot, promo),
            }),
          ),
        );
      }
      item.append(ul);
    }
    if (onReport) {
      const name = pick(booth.name) || slot;
      item.append(
        el("button", {
          type: "button",
          class: "secondary report-booth",
          text: t("reportBooth"),
          "aria-label": `${t("reportBooth")}: ${name}`,
          onclick: (e) => onReport(slot, name, e.currentTarget),
        }),
      );
    }
    // Coupons from this shop, newest first: the one just redeemed shows here at once.
    const mine = state.coupons.filter((c) => c.slot === slot).reverse();
    if (mine.length) {
      item.append(
        el("h4", { text: t("yourCoupons") }),
        el(
          "ul",
          { class: "coupons" },
          ...mine.map((c) =>
            couponCard(state, c, {
              headingLevel: "h5",
              fresh: c.coupon_id === state.lastCoupon,
            }),
          ),
        ),
      );
    }
    list.append(item);
  }
  return list;
}

/** Redeem a promotion after the visitor confirms cost, balance after and shop; the coupon
 * shows up in the booth panel and the wallet through the state. */
export async function redeem(conn, state, slot, promo) {
  if (promo.requires_sign_in && hasProviders() && !signedIn()) return offerSignIn(promo);
  const shop = pick(state.booths.get(slot)?.booth?.name) || slot;
  const balance = state.balance ?? 0;
  const ok = await confirmDialog({
    title: t("confirmRedeemTitle"),
    rows: [
      [t("promotion"), pick(promo.title)],
      [t("shop"), shop],
      [t("cost"), `${promo.cost} ${t("tokens")}`],
      [t("balanceAfter"), `${balance - promo.cost} ${t("tokens")}`],
    ],
    confirmText: `${t("confirmRedeem")} (${promo.cost} ${t("tokens")})`,
  });
  if (!ok) return null;
  // `key` makes a retry return the same coupon; `expected_cost` the price the visitor saw.
  const key = randomToken(16);
  const reply = await ask(conn, state, MsgType.REDEEM, {
    slot,
    promotion: promo.id,
    key,
    expected_cost: promo.cost,
  });
  if (reply?.type === MsgType.COUPON_ISSUED) {
    announce(`${t("redeemed")}: ${pick(reply.coupon.title)} · ${displayCode(reply.coupon.code)}`, {
      tone: "good",
    });
  }
  return reply;
}
