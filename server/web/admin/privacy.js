// The console's data-protection section (คุ้มครองข้อมูลส่วนบุคคล, Thailand's PDPA), admins only:
// how long raw records are kept (and a purge now), and one visitor's data exported or erased
// on their request, named by their id or by the recovery code they show. The JSON API is
// server/http/console_privacy.py; docs/privacy.md says what is kept and what an erasure keeps.
// Text only through textContent.

const BASE = "/api/admin/privacy";
const FAMILIES = [
  ["identity", "ตัวตนและชื่อ", "Identity and name"],
  ["ledger", "บัญชีโทเค็น", "Token ledger"],
  ["learning", "คำตอบ รางวัล ภารกิจ", "Answers, awards, quests"],
  ["coupons", "คูปอง", "Coupons"],
  ["badges", "เหรียญตรา", "Badges"],
  ["courses", "บทเรียน", "Courses"],
  ["events", "กิจกรรมที่เข้าร่วม", "Events attended"],
  ["dialogue", "สานเสวนา", "Dialogue"],
  ["moderation", "รายงานและการลงโทษ", "Reports and sanctions"],
  ["statements", "บันทึกการเรียนรู้ (xAPI)", "Learning records (xAPI)"],
  ["account", "บัญชีที่เชื่อมไว้ (LINE, Google)", "Linked sign-in account (LINE, Google)"],
];

/**
 * Draw the section into `root`. `kit` is the console's: `api(method, path, body)`, `el`,
 * `both(th, en)`, `button(th, en, onclick)`, `field(id, th, en, input)`,
 * `setStatus(node, tone, th, en)`, `failed(node, err)` and `when(unix)`.
 */
export async function loadPrivacy(root, kit) {
  const { api, el, both, button, field, setStatus, failed, when } = kit;
  const status = () =>
    el("p", { class: "status", role: "status", "aria-live": "polite", hidden: true });
  const keptRows = el("tbody");
  const purgeStatus = status();
  const findStatus = status();
  const found = el("div", { class: "card privacy-found", hidden: true });

  async function refresh() {
    const { retention, last_purge: last } = await api("GET", BASE);
    const days = (n) => (n ? [`${n} วัน`, `${n} days`] : ["ตลอดไป", "for ever"]);
    const rows = [
      ["บันทึกการเรียนรู้ดิบ (xAPI)", "Raw learning events (xAPI)", days(retention.statements_days)],
      [
        "รายงานที่ปิดแล้ว พร้อมแชทที่อ้างถึง",
        "Closed reports, with the chat they quote",
        days(retention.reports_days),
      ],
      ["ตัวเลขรวมรายวัน (ไม่มีข้อมูลส่วนบุคคล)", "Daily totals (no personal data)", ["ตลอดไป", "for ever"]],
      [
        "ตัวตน บัญชีโทเค็น คูปอง ความคืบหน้า",
        "Identity, tokens, coupons, progress",
        ["จนกว่าจะขอลบ", "until erased on request"],
      ],
    ];
    keptRows.replaceChildren(
      ...rows.map(([th, en, [kth, ken]]) =>
        el("tr", {}, el("th", { scope: "row" }, ...both(th, en)), el("td", {}, ...both(kth, ken))),
      ),
    );
    if (last) {
      const r = last.removed;
      setStatus(
        purgeStatus,
        "good",
        `ล้างล่าสุด ${when(last.at)}: ลบบันทึก ${r.statements} รายการ รายงาน ${r.reports} รายการ`,
        `Last purge ${when(last.at)}: ${r.statements} statements, ${r.reports} reports removed`,
      );
    }
  }

  function who(form) {
    const code = form.elements.code.value.trim();
    const id = form.elements.visitor.value.trim();
    return code ? { recovery_code: code } : { visitor_id: id };
  }

  function download(doc) {
    const text = JSON.stringify(doc, null, 2);
    const link = el("a", {
      href: URL.createObjectURL(new Blob([text], { type: "application/json;charset=utf-8" })),
      download: `srichan-visitor-${doc.visitor_id}.json`,
    });
    document.body.append(link);
    link.click();
    link.remove();
  }

  function showFound(doc, asked) {
    const erasing = status();
    const confirm = el("input", { autocomplete: "off", spellcheck: "false", maxlength: "64" });
    const erase = el(
      "button",
      { type: "submit", class: "danger" },
      ...both("ลบข้อมูลทั้งหมดถาวร", "Erase everything, for good"),
    );
    const confirmForm = el(
      "form",
      { class: "privacy-erase", hidden: true, novalidate: true },
      el(
        "p",
        { class: "hint" },
        ...both(
          "บัญชีโทเค็นยังตรวจสอบได้: ยอดคงเหลือคืนกองกลาง แถวบัญชีเปลี่ยนเป็นชื่อแฝง คูปองที่ยังไม่ใช้ถูกยกเลิก ผู้มาเยือนที่ออนไลน์อยู่จะถูกตัดการเชื่อมต่อ",
          "The ledger stays auditable: the balance goes back to the pool, its rows take a pseudonym, unused coupons are voided, and a visitor online now is disconnected",
        ),
      ),
      field(
        "privacy-confirm",
        "พิมพ์รหัสผู้มาเยือนอีกครั้งเพื่อยืนยัน",
        "Type the visitor id again to confirm",
        confirm,
      ),
      erase,
      erasing,
    );
    confirmForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const done = await api("POST", `${BASE}/erase`, {
          ...asked,
          confirm: confirm.value.trim(),
        });
        const total = Object.values(done.records).reduce((a, b) => a + b, 0);
        setStatus(
          erasing,
          "good",
          `ลบแล้ว ${total} รายการ บัญชีโทเค็นใช้ชื่อแฝง ${done.tombstone}`,
          `Erased ${total} records; the ledger now names ${done.tombstone}`,
        );
        erase.disabled = true;
      } catch (err) {
        failed(erasing, err);
      }
    });
    found.hidden = false;
    found.replaceChildren(
      el(
        "h3",
        {},
        ...both("ข้อมูลที่เก็บไว้", "What is kept"),
        " ",
        el("code", { text: doc.visitor_id }),
      ),
      el(
        "ul",
        { class: "plain privacy-families" },
        ...FAMILIES.map(([key, th, en]) =>
          el("li", {}, ...both(th, en), ": ", el("strong", { text: String(doc.summary[key]) })),
        ),
      ),
      el(
        "div",
        { class: "row" },
        button("ดาวน์โหลด JSON", "Download JSON", () => download(doc)),
        button("ลบข้อมูลนี้…", "Erase this data…", () => {
          confirmForm.hidden = false;
          confirm.focus();
        }),
      ),
      confirmForm,
    );
  }

  function buildFind() {
    const f = el("form", { class: "card", novalidate: true });
    const visitor = el("input", {
      name: "visitor",
      autocomplete: "off",
      spellcheck: "false",
      maxlength: "64",
    });
    const code = el("input", {
      name: "code",
      autocomplete: "off",
      spellcheck: "false",
      maxlength: "200",
    });
    f.append(
      el("h3", {}, ...both("คำขอของผู้มาเยือน", "A visitor's request")),
      el(
        "p",
        { class: "hint" },
        ...both(
          "ใส่รหัสผู้มาเยือน หรือรหัสกู้คืนที่ผู้มาเยือนแสดง (ยืนยันตัวตนได้ดีกว่า)",
          "Enter the visitor id, or the recovery code the visitor shows (which proves it is theirs)",
        ),
      ),
      field("privacy-visitor", "รหัสผู้มาเยือน", "Visitor id", visitor),
      field("privacy-code", "หรือรหัสกู้คืน", "Or recovery code", code),
      el("button", { type: "submit" }, ...both("ค้นหาและส่งออก", "Find and export")),
      findStatus,
    );
    f.addEventListener("submit", async (event) => {
      event.preventDefault();
      found.hidden = true;
      const asked = who(f);
      try {
        const doc = await api("POST", `${BASE}/export`, asked);
        findStatus.hidden = true;
        showFound(doc, asked);
      } catch (err) {
        failed(findStatus, err);
      }
    });
    return f;
  }

  if (!root.dataset.drawn) {
    root.dataset.drawn = "1";
    root.replaceChildren(
      el(
        "div",
        { class: "card" },
        el("h2", { id: "privacy-title" }, ...both("คุ้มครองข้อมูลส่วนบุคคล", "Data protection (PDPA)")),
        el(
          "p",
          { class: "hint" },
          ...both(
            "ผู้มาเยือนขอดูหรือขอลบข้อมูลของตนได้ ทุกการส่งออกและการลบถูกบันทึกในบันทึกการทำงาน",
            "Visitors may ask to see or erase their data; every export and erasure is in the audit log",
          ),
        ),
        el(
          "div",
          { class: "scroll", tabindex: "0", role: "region", "aria-labelledby": "privacy-title" },
          el(
            "table",
            {},
            el("caption", {}, ...both("เก็บไว้นานเท่าไร", "How long records are kept")),
            el(
              "thead",
              {},
              el(
                "tr",
                {},
                el("th", { scope: "col" }, ...both("ข้อมูล", "Record")),
                el("th", { scope: "col" }, ...both("เก็บ", "Kept")),
              ),
            ),
            keptRows,
          ),
        ),
        el(
          "div",
          { class: "row" },
          button("ล้างข้อมูลเก่าตอนนี้", "Purge old records now", async () => {
            try {
              await api("POST", `${BASE}/purge`);
              await refresh();
            } catch (err) {
              failed(purgeStatus, err);
            }
          }),
        ),
        purgeStatus,
      ),
      buildFind(),
      found,
    );
  }
  await refresh();
}
