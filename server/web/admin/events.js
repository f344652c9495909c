// The console's events section (กิจกรรม): admins see every event in force (the scene's, and
// theirs on top), add or change one, and cancel one; changes reach every server process at
// once. The JSON API is server/http/events.py (CONSOLE_ROUTES), which checks an event exactly
// as the scene tool does and answers every problem by field. Text only through textContent.

const BASE = "/api/admin/events";

/**
 * Draw the section into `root`. `kit` is the console's: `api(method, path, body)`, `el`,
 * `both(th, en)`, `button(th, en, onclick)`, `field(id, th, en, input)`,
 * `setStatus(node, tone, th, en)`, `failed(node, err)` and `when(unix)`.
 */
export async function loadEvents(root, kit) {
  const { api, el, both, button, field, setStatus, failed, when } = kit;
  const status = el("p", { class: "status", role: "status", "aria-live": "polite", hidden: true });
  const problems = el("ul", { class: "problems", hidden: true });
  const list = el("ul", { class: "plain events-list" });

  async function refresh() {
    const { events } = await api("GET", BASE);
    list.replaceChildren(
      ...events.map((e) =>
        el(
          "li",
          { class: "card", "data-event": e.id },
          el("h3", {}, ...both(e.title.th, e.title.en)),
          el("p", { class: "hint" }, `${when(e.starts)} – ${when(e.ends)} · ${e.landmark}`),
          el(
            "p",
            { class: "hint" },
            ...both(
              `${e.cancelled ? "ยกเลิกแล้ว · " : ""}${e.source === "operator" ? "ผู้ดูแลเพิ่ม" : "จากฉาก"} · โบนัส ${e.bonus} · รับ ${e.capacity} คน`,
              `${e.cancelled ? "cancelled · " : ""}${e.source === "operator" ? "added by operators" : "from the scene"} · bonus ${e.bonus} · ${e.capacity} places`,
            ),
          ),
          el(
            "div",
            { class: "row" },
            button("แก้ไข", "Edit", () => fillForm(e)),
            e.cancelled ? null : button("ยกเลิกกิจกรรม", "Cancel the event", () => cancel(e)),
          ),
        ),
      ),
    );
    if (!events.length) list.replaceChildren(el("li", {}, ...both("ยังไม่มีกิจกรรม", "No events yet")));
  }

  async function cancel(e) {
    try {
      await api("POST", `${BASE}/${encodeURIComponent(e.id)}/cancel`);
      setStatus(status, "good", "ยกเลิกแล้ว", "Cancelled");
      await refresh();
    } catch (err) {
      failed(status, err);
    }
  }

  function buildForm() {
    const f = el("form", { class: "card events-form" });
    const text = (name, max) => el("input", { name, maxlength: String(max), required: true });
    const number = (name, min, max, value) =>
      el("input", { type: "number", name, min, max, value, required: true });
    const when = (name) => el("input", { type: "datetime-local", name, required: true });
    f.append(
      el("h3", {}, ...both("เพิ่มหรือแก้ไขกิจกรรม", "Add or change an event")),
      field("ev-id", "รหัส (a-z 0-9 -)", "Id", text("id", 48)),
      field("ev-title-th", "ชื่อ (ไทย)", "Title (Thai)", text("title_th", 120)),
      field("ev-title-en", "ชื่อ (อังกฤษ)", "Title (English)", text("title_en", 120)),
      field("ev-desc-th", "รายละเอียด (ไทย)", "Description (Thai)", text("desc_th", 600)),
      field("ev-desc-en", "รายละเอียด (อังกฤษ)", "Description (English)", text("desc_en", 600)),
      field("ev-host-th", "ผู้จัด (ไทย)", "Host (Thai)", text("host_th", 120)),
      field("ev-host-en", "ผู้จัด (อังกฤษ)", "Host (English)", text("host_en", 120)),
      field("ev-starts", "เริ่ม (เวลาไทย)", "Starts (Thai time)", when("starts")),
      field("ev-ends", "จบ (เวลาไทย)", "Ends (Thai time)", when("ends")),
      field("ev-landmark", "สถานที่ (รหัส)", "Place (landmark id)", text("landmark", 48)),
      field(
        "ev-quiz",
        "คำถามของกิจกรรม (รหัส คั่นด้วยจุลภาค)",
        "The event's quiz points (ids, comma-separated)",
        text("quiz_points", 400),
      ),
      field(
        "ev-bonus",
        "โบนัสเมื่อเข้าร่วม (โทเค็น)",
        "Bonus for attending (tokens)",
        number("bonus", "0", "500", "10"),
      ),
      field("ev-capacity", "รับได้ (คน)", "Places", number("capacity", "1", "100000", "50")),
      problems,
      el("button", { type: "submit" }, ...both("บันทึก", "Save")),
    );
    f.addEventListener("submit", async (event) => {
      event.preventDefault();
      const v = (name) => f.elements[name].value.trim();
      const body = {
        title: { th: v("title_th"), en: v("title_en") },
        description: { th: v("desc_th"), en: v("desc_en") },
        host: { th: v("host_th"), en: v("host_en") },
        starts: v("starts"),
        ends: v("ends"),
        landmark: v("landmark"),
        quiz_points: v("quiz_points")
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
        bonus: Number(v("bonus")),
        capacity: Number(v("capacity")),
      };
      problems.hidden = true;
      try {
        await api("PUT", `${BASE}/${encodeURIComponent(v("id"))}`, body);
        setStatus(status, "good", "บันทึกแล้ว ทุกเซิร์ฟเวอร์ใช้ทันที", "Saved; every server uses it now");
        await refresh();
      } catch (err) {
        failed(status, err);
        const found = err.body?.errors || [];
        problems.replaceChildren(
          ...found.map((p) => el("li", { text: `${p.path}: ${p.message}` })),
        );
        problems.hidden = !found.length;
      }
    });
    return f;
  }

  function fillForm(e) {
    const f = root.querySelector("form.events-form");
    const set = (name, value) => (f.elements[name].value = value);
    set("id", e.id);
    set("title_th", e.title.th);
    set("title_en", e.title.en);
    set("desc_th", e.description.th);
    set("desc_en", e.description.en);
    set("host_th", e.host.th);
    set("host_en", e.host.en);
    set("starts", e.starts_local.slice(0, 16));
    set("ends", e.ends_local.slice(0, 16));
    set("landmark", e.landmark);
    set("quiz_points", e.quiz_points.join(", "));
    set("bonus", String(e.bonus));
    set("capacity", String(e.capacity));
    f.elements.id.focus();
  }

  if (!root.dataset.drawn) {
    root.dataset.drawn = "1";
    root.replaceChildren(
      el(
        "div",
        { class: "card" },
        el("h2", { id: "events-title" }, ...both("กิจกรรม", "Events")),
        el(
          "p",
          { class: "hint" },
          ...both(
            "กิจกรรมการเรียนรู้บนถนน ตามเวลาไทย คำถามของกิจกรรมเปิดเฉพาะช่วงเวลาจัดงาน",
            "Learning activities on the street, in Thai time; an event's questions open only while it runs",
          ),
        ),
        status,
        list,
      ),
      buildForm(),
    );
  }
  await refresh();
}
