// The emotes, in `Emote` code order: the i18n key of each name and the icon shown in bubbles.

export const EMOTE_KEYS = [
  "emoteWave",
  "emoteWai",
  "emoteClap",
  "emoteLaugh",
  "emoteHeart",
  "emoteThumbsUp",
  "emoteDance",
];

export const EMOTE_ICONS = ["👋", "🙏", "👏", "😄", "❤️", "👍", "💃"];
