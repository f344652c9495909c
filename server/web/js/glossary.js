// One Thai glossary for the interface's own terms: the word the visitor reads for each idea, in
// Thai and English, and the spellings to avoid. The table lives in
// srichan_world/scene/glossary.py (where `srichan scene check` holds the scene's text to it) and
// comes here through protocol.js; i18n.js builds its strings from these words, and
// tests/browser/test_glossary.py holds every interface string to the `avoid` lists, so a
// visitor never meets two spellings of one thing.

import { GLOSSARY } from "../protocol.js";

export { GLOSSARY };

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
