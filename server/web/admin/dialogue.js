// The console's dialogue section (สานเสวนา): admins write, edit, close and export the city's
// questions; moderators read the results with every opinion and hide one (or show it again).
// The JSON API is server/http/console_dialogue.py; text only through textContent.

const BASE = "/api/admin/dialogue";
const BANGKOK_OFFSET_S = 7 * 3600; // Asia/Bangkok has no daylight saving
const STATES = [
  ["ยังไม่เปิด", "Upcoming"],
  ["เปิดอยู่", "Open"],
  ["ปิดแล้ว", "Closed"],
];

/** `datetime-local` text (Bangkok) ⇄ Unix seconds. */
function toUnix(local) {
  return Date.parse(`${local}:00Z`) / 1000 - BANGKOK_OFFSET_S;
}
function toLocal(unix) {
  return new Date((unix + BANGKOK_OFFSET_S) * 1000).toISOString().slice(0, 16);
}

/**
 * Draw the section into `root`. `kit` is the console's: `api(method, path, body)`, `el`,
 * `both(th, en)`, `button(th, en, onclick)`, `field(id, th, en, input)`,
 * `setStatus(node, tone, th, en)`, `failed(node, err)`, `when(unix)`, and `canWrite` (the
 * operator has the `dialogue` power).
 */
export async function loadDialogue(root, kit) {
  const { api, el, both, button, field, setStatus, failed, when, canWrite } = kit;
  const status = el("p", { class: "status", role: "status", "aria-live": "polite", hidden: true });
  const list = el("ul", { class: "plain dialogue-questions" });
  const detail = el("div", { class: "card dialogue-detail", hidden: true });
  let form = null;

  async function refresh() {
    const { questions } = await api("GET", BASE);
    list.replaceChildren(
      ...questions.map((q) =>
        el(
          "li",
          { class: "card", "data-question": q.id },
          el("h3", {}, ...both(q.title.th, q.title.en)),
          el(
            "p",
            { class: "hint" },
            `${STATES[q.state][0]} · ${STATES[q.state][1]} — ${when(q.opens_at)} – ${when(q.closes_at)}`,
          ),
          el(
            "div",
            { class: "row" },
            button("ผลและความเห็น", "Results and opinions", () => results(q)),
            canWrite ? button("แก้ไข", "Edit", () => fillForm(q)) : null,
            canWrite && q.state !== 2 ? button("ปิดรับทันที", "Close now", () => close(q)) : null,
            canWrite ? link("CSV", `${BASE}/${q.id}/export.csv`) : null,
            canWrite ? link("JSON", `${BASE}/${q.id}/export.json`) : null,
          ),
        ),
      ),
    );
    if (!questions.length)
      list.replaceChildren(el("li", {}, ...both("ยังไม่มีคำถาม", "No questions yet")));
  }

  function link(text, href) {
    return el("a", { href, download: "", class: "download", text: `⬇ ${text}` });
  }

  async function close(q) {
    try {
      await api("POST", `${BASE}/${q.id}/close`);
      setStatus(status, "good", "ปิดรับแล้ว", "Closed");
      await refresh();
    } catch (err) {
      failed(status, err);
    }
  }

  async function results(q) {
    try {
      const data = await api("GET", `${BASE}/${q.id}/results`);
      const votes = el(
        "ul",
        { class: "plain" },
        ...data.votes.map((v) => el("li", { text: `${v.th} · ${v.en}: ${v.votes}` })),
      );
      const opinions = el(
        "ul",
        { class: "plain" },
        ...data.opinions.map((o) => {
          const toggle = button(
            o.hidden ? "แสดงอีกครั้ง" : "ซ่อน",
            o.hidden ? "Show again" : "Hide",
            async () => {
              try {
                await api("POST", `${BASE}/${q.id}/opinions/${o.number}/hide`, {
                  hidden: !o.hidden,
                });
                await results(q);
              } catch (err) {
                failed(status, err);
              }
            },
          );
          return el(
            "li",
            { class: o.hidden ? "opinion hidden" : "opinion" },
            el("p", {
              text: `#${o.number} ${o.name} · 👍 ${o.supports}${o.hidden ? " · ซ่อนอยู่ (hidden)" : ""}`,
            }),
            el("p", { class: "said", text: o.text }),
            toggle,
          );
        }),
      );
      detail.replaceChildren(
        el("h3", {}, ...both(q.title.th, q.title.en)),
        el("h4", {}, ...both("คะแนน", "Votes")),
        votes,
        el("h4", {}, ...both("ความเห็น", "Opinions")),
        data.opinions.length ? opinions : el("p", {}, ...both("ยังไม่มี", "None yet")),
      );
      detail.hidden = false;
      detail.querySelector("h3").setAttribute("tabindex", "-1");
      detail.querySelector("h3").focus();
    } catch (err) {
      failed(status, err);
    }
  }

  function buildForm() {
    const f = el("form", { class: "card dialogue-form" });
    const text = (name, max) => el("input", { name, maxlength: String(max), required: true });
    f.append(
      el("h3", {}, ...both("เขียนหรือแก้ไขคำถาม", "Write or edit a question")),
      field("dq-id", "รหัส (a-z 0-9 -)", "Id", text("id", 63)),
      field("dq-title-th", "หัวข้อ (ไทย)", "Title (Thai)", text("title_th", 120)),
      field("dq-title-en", "หัวข้อ (อังกฤษ)", "Title (English)", text("title_en", 120)),
      field(
        "dq-desc-th",
        "คำอธิบาย (ไทย)",
        "Description (Thai)",
        el("textarea", { name: "desc_th", maxlength: "600", required: true }),
      ),
      field(
        "dq-desc-en",
        "คำอธิบาย (อังกฤษ)",
        "Description (English)",
        el("textarea", { name: "desc_en", maxlength: "600", required: true }),
      ),
      field(
        "dq-options",
        "ตัวเลือก บรรทัดละหนึ่ง: ไทย | English (2–6 หรือว่าง)",
        "Options, one a line: Thai | English (2–6, or none)",
        el("textarea", { name: "options" }),
      ),
      field(
        "dq-opinions",
        "รับความเห็นเป็นข้อความ",
        "Take written opinions",
        el("input", { type: "checkbox", name: "opinions", checked: true }),
      ),
      field(
        "dq-opens",
        "เปิด (เวลาไทย)",
        "Opens (Thai time)",
        el("input", { type: "datetime-local", name: "opens", required: true }),
      ),
      field(
        "dq-closes",
        "ปิด (เวลาไทย)",
        "Closes (Thai time)",
        el("input", { type: "datetime-local", name: "closes", required: true }),
      ),
      field(
        "dq-reward",
        "โทเค็นสำหรับผู้ร่วม (0–5)",
        "Tokens for taking part (0–5)",
        el("input", { type: "number", name: "reward", min: "0", max: "5", value: "2" }),
      ),
      el("button", { type: "submit" }, ...both("บันทึก", "Save")),
    );
    f.addEventListener("submit", async (event) => {
      event.preventDefault();
      const v = (name) => f.elements[name].value.trim();
      const options = v("options")
        .split("\n")
        .map((line) => line.split("|").map((s) => s.trim()))
        .filter(([th]) => th)
        .map(([th, en]) => ({ th, en: en || th }));
      const body = {
        title: { th: v("title_th"), en: v("title_en") },
        description: { th: v("desc_th"), en: v("desc_en") },
        options,
        opinions: f.elements.opinions.checked,
        opens_at: toUnix(v("opens")),
        closes_at: toUnix(v("closes")),
        reward: Number(v("reward")),
      };
      try {
        await api("PUT", `${BASE}/${encodeURIComponent(v("id"))}`, body);
        setStatus(status, "good", "บันทึกแล้ว", "Saved");
        await refresh();
      } catch (err) {
        failed(status, err);
      }
    });
    return f;
  }

  function fillForm(q) {
    const e = form.elements;
    e.id.value = q.id;
    e.title_th.value = q.title.th;
    e.title_en.value = q.title.en;
    e.desc_th.value = q.description.th;
    e.desc_en.value = q.description.en;
    e.options.value = q.options.map((o) => `${o.th} | ${o.en}`).join("\n");
    e.opinions.checked = q.opinions;
    e.opens.value = toLocal(q.opens_at);
    e.closes.value = toLocal(q.closes_at);
    e.reward.value = String(q.reward);
    e.id.focus();
  }

  if (!root.dataset.drawn) {
    root.dataset.drawn = "1";
    form = canWrite ? buildForm() : null;
    root.replaceChildren(
      el(
        "div",
        { class: "card" },
        el("h2", { id: "dialogue-title" }, ...both("สานเสวนา", "Dialogue")),
        el(
          "p",
          { class: "hint" },
          ...both(
            "คำถามของเมืองที่เทศบาลนครขอนแก่น ผู้มาเยือนลงคะแนนและแสดงความเห็น",
            "The city's questions at the Municipality; visitors vote and give opinions",
          ),
        ),
        status,
        list,
      ),
      detail,
      ...(form ? [form] : []),
    );
  }
  form = root.querySelector("form.dialogue-form");
  await refresh();
}
