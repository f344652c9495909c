// One Thai glossary for the interface's own terms: the word the visitor reads for each idea, in
// Thai and English, and the spellings to avoid. i18n.js builds its strings from these words, and
// tests/browser/test_glossary.py checks the scene's text (names, descriptions, questions,
// choices, explanations) and the interface strings against the `avoid` lists, so a visitor
// never meets two spellings of one thing.

export const GLOSSARY = Object.freeze({
  token: Object.freeze({ th: "โทเค็น", en: "token", avoid: Object.freeze(["โทเคน"]) }),
  coupon: Object.freeze({ th: "คูปอง", en: "coupon", avoid: Object.freeze(["คูป้อง"]) }),
  promotion: Object.freeze({
    th: "โปรโมชัน",
    en: "promotion",
    avoid: Object.freeze(["โปรโมชั่น", "โปรโมชั้น"]),
  }),
  quest: Object.freeze({ th: "ภารกิจ", en: "quest", avoid: Object.freeze(["เควส"]) }),
  question: Object.freeze({ th: "คำถาม", en: "question", avoid: Object.freeze(["ควิซ"]) }),
  shop: Object.freeze({ th: "ร้านค้า", en: "shop", avoid: Object.freeze([]) }),
  wallet: Object.freeze({ th: "กระเป๋า", en: "wallet", avoid: Object.freeze(["วอลเล็ต"]) }),
  leaderboard: Object.freeze({ th: "อันดับ", en: "leaderboard", avoid: Object.freeze([]) }),
  visitor: Object.freeze({ th: "ผู้มาเยือน", en: "visitor", avoid: Object.freeze([]) }),
  landmark: Object.freeze({ th: "สถานที่สำคัญ", en: "landmark", avoid: Object.freeze([]) }),
});

/** Every avoided spelling found in `text`, as `{term, found, use}`. */
export function glossaryProblems(text) {
  const out = [];
  if (typeof text !== "string") return out;
  for (const [term, entry] of Object.entries(GLOSSARY)) {
    for (const bad of entry.avoid) {
      if (text.includes(bad)) out.push({ term, found: bad, use: entry.th });
    }
  }
  return out;
}
