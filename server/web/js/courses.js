// Courses in the wallet: one card per course of the scene (lessons to read, then quests to
// complete, each step marked done or not), and a dialog that reads a lesson, Thai first and
// English second, with a speaker button. The text comes from the manifest; the visitor's
// standing from the server (`courses`, `course_progress`), which alone decides what counts.

import { MsgType } from "../protocol.js";
import { announce, el, fill } from "./dom.js";
import { pick, t } from "./i18n.js";
import { ask } from "./panels.js";
import { speakerButton } from "./speech.js";

/** The courses section of the wallet; `conn` sends `lesson_read`. */
export function coursesView(state, conn) {
  const courses = state.manifest.courses || [];
  if (!courses.length || state.unsupportedTypes.has(MsgType.COURSES_GET)) return null;
  const section = el("section", { class: "courses", "aria-labelledby": "courses-title" });
  section.append(el("h3", { id: "courses-title", text: t("courses") }));
  const list = el("ul", { class: "course-list" });
  for (const course of courses) list.append(courseCard(state, conn, course));
  section.append(list);
  return section;
}

function standingOf(state, course) {
  return state.courses.get(course.id) || { lessons: [], quests: [], completed: false };
}

function courseCard(state, conn, course) {
  const standing = standingOf(state, course);
  const read = new Set(standing.lessons);
  const done = new Set(standing.quests);
  const total = course.lessons.length + course.quests.length;
  const count = read.size + done.size;
  const steps = el("ol", { class: "course-steps" });
  course.lessons.forEach((lesson, i) => {
    const open =
      course.order !== "ordered" || course.lessons.slice(0, i).every((x) => read.has(x.id));
    steps.append(
      el(
        "li",
        { class: read.has(lesson.id) ? "course-step done" : "course-step" },
        stepMark(read.has(lesson.id)),
        el(
          "span",
          { class: "step-text" },
          `${t("lesson")} ${i + 1}: `,
          el("strong", { text: pick(lesson.title) }),
        ),
        open
          ? el("button", {
              type: "button",
              class: "secondary lesson-open",
              "data-key": `lesson-${course.id}-${lesson.id}`,
              text: read.has(lesson.id) ? t("lessonAgain") : t("lessonOpen"),
              onclick: () => openLesson(state, conn, course, lesson),
            })
          : el("span", { class: "locked", text: `🔒 ${t("lessonLocked")}` }),
      ),
    );
  });
  const quests = new Map((state.manifest.quests || []).map((q) => [q.id, q]));
  for (const id of course.quests) {
    steps.append(
      el(
        "li",
        { class: done.has(id) ? "course-step done" : "course-step" },
        stepMark(done.has(id)),
        el(
          "span",
          { class: "step-text" },
          `${t("quests")}: `,
          el("strong", { text: pick(quests.get(id)?.title) || id }),
        ),
      ),
    );
  }
  return el(
    "li",
    { class: standing.completed ? "course completed" : "course", "data-course": course.id },
    el("h4", { text: pick(course.title) }),
    el("p", { class: "course-about", text: pick(course.description) }),
    el(
      "p",
      { class: "course-count" },
      `${t("courseSteps")} ${count}/${total}`,
      el("progress", { max: String(total), value: String(count), "aria-hidden": "true" }),
    ),
    steps,
    standing.completed ? el("p", { class: "course-done", text: `★ ${t("courseDone")}` }) : null,
  );
}

function stepMark(isDone) {
  return el("span", {
    class: "step-mark",
    role: "img",
    "aria-label": isDone ? t("stepDone") : t("stepNotYet"),
    text: isDone ? "✓" : "",
  });
}

function lessonDialog() {
  let dialog = document.getElementById("lesson-dialog");
  if (!dialog) {
    dialog = el("dialog", {
      id: "lesson-dialog",
      class: "dialog lesson",
      "aria-labelledby": "lesson-title",
    });
    document.body.append(dialog);
  }
  return dialog;
}

/** Read a lesson: both languages, a speaker, and "I have read it" (which the server keeps). */
export function openLesson(state, conn, course, lesson) {
  const dialog = lessonDialog();
  const opener = document.activeElement;
  const wasRead = standingOf(state, course).lessons.includes(lesson.id);
  const close = el("button", {
    type: "button",
    class: "secondary",
    "data-key": "lesson-close",
    text: t("close"),
    onclick: () => dialog.close(),
  });
  const mark = el("button", {
    type: "button",
    class: "primary",
    "data-key": "lesson-read",
    text: wasRead ? `✓ ${t("lessonRead")}` : t("lessonMarkRead"),
    onclick: async () => {
      mark.disabled = true;
      const reply = await ask(conn, state, MsgType.LESSON_READ, {
        course: course.id,
        lesson: lesson.id,
      });
      mark.disabled = false;
      if (reply?.type !== MsgType.COURSE_PROGRESS) return;
      if (!wasRead) announce(t("lessonMarked"), { tone: "good" });
      dialog.close();
    },
  });
  fill(
    dialog,
    el(
      "div",
      { class: "dialog-body" },
      el("p", { class: "kicker", text: `${pick(course.title)} · ${t("lesson")}` }),
      el("h2", { id: "lesson-title", lang: "th", text: lesson.title.th }),
      el("p", { class: "lesson-title-en", lang: "en", text: lesson.title.en }),
      lesson.image
        ? el("img", {
            class: "lesson-image",
            src: `/scene/images/${encodeURIComponent(lesson.image)}`,
            alt: pick(lesson.image_alt),
          })
        : null,
      el("p", { class: "lesson-text", lang: "th", text: lesson.text.th }),
      el("p", { class: "lesson-text other", lang: "en", text: lesson.text.en }),
      el(
        "div",
        { class: "actions" },
        speakerButton(() => pick(lesson.text), { className: "speak-btn secondary" }),
        close,
        mark,
      ),
    ),
  );
  dialog.addEventListener(
    "close",
    () => {
      // The wallet may have been drawn again meanwhile: the "same" button has the same key.
      const key = opener?.dataset?.key;
      const again = opener?.isConnected
        ? opener
        : key && document.querySelector(`[data-key="${CSS.escape(key)}"]`);
      again?.focus();
    },
    { once: true },
  );
  dialog.showModal();
  mark.focus();
}
