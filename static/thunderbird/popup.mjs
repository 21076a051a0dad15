// message_display_action popup: the verdict and its reasons in full, and the Report button.
// The background does the work (the popup may close at any moment); this file only renders.
import { MSG } from "./core.mjs";

function localize(messenger, doc) {
  for (const el of doc.querySelectorAll("[data-i18n]")) {
    const text = messenger.i18n.getMessage(el.dataset.i18n);
    if (text) el.textContent = text;
  }
}

function showState(messenger, doc, state) {
  const t = (name) => messenger.i18n.getMessage(name) || name;
  const verdict = doc.getElementById("verdict");
  const title = doc.getElementById("verdict-title");
  const text = doc.getElementById("verdict-text");
  const reasonsSection = doc.getElementById("reasons-section");
  const list = doc.getElementById("reasons");
  verdict.className = `verdict verdict-${state.verdict || state.status}`;
  list.replaceChildren();
  reasonsSection.hidden = true;
  if (state.status === "done") {
    title.textContent = state.title;
    // The banner text ends with a bullet list of the reasons; the popup lists them in full below.
    text.textContent = String(state.text || "").split("\n")[0];
    for (const reason of state.reasons) {
      const item = doc.createElement("li");
      const head = doc.createElement("span");
      head.className = "reason-title";
      head.textContent = reason.title;
      const detail = doc.createElement("span");
      detail.className = "reason-detail";
      detail.textContent = reason.detail;
      item.dataset.reasonId = reason.id;
      item.append(head, detail);
      list.appendChild(item);
    }
    reasonsSection.hidden = state.reasons.length === 0;
    if (state.verdict === "clean") text.textContent = state.text || t("popupCleanNote");
  } else if (state.status === "error") {
    title.textContent = t("actionTitleUnavailable");
    text.textContent = state.note || "";
  } else if (state.status === "none") {
    title.textContent = t("popupNoMessage");
    text.textContent = "";
  }
  doc.getElementById("report-section").hidden = !state.canReport;
  if (state.reported) markReported(doc, t("popupAlreadyReported"));
}

function markReported(doc, message) {
  const button = doc.getElementById("report");
  button.disabled = true;
  const status = doc.getElementById("report-status");
  status.className = "";
  status.textContent = message;
}

export async function initPopup({ messenger, document: doc }) {
  localize(messenger, doc);
  const [tab] = await messenger.tabs.query({ active: true, currentWindow: true });
  if (!tab) return null;
  const state = await messenger.runtime
    .sendMessage({ type: MSG.getState, tabId: tab.id })
    .catch(() => null);
  showState(messenger, doc, state || { status: "error", note: "", canReport: false });
  const button = doc.getElementById("report");
  button.addEventListener("click", async () => {
    const status = doc.getElementById("report-status");
    button.disabled = true;
    status.className = "";
    status.textContent = messenger.i18n.getMessage("popupReporting") || "…";
    const result = await messenger.runtime
      .sendMessage({ type: MSG.report, tabId: tab.id, comment: doc.getElementById("comment").value })
      .catch((err) => ({ ok: false, message: String(err) }));
    if (result && result.ok) {
      markReported(doc, result.message);
    } else {
      button.disabled = false;
      status.className = "error";
      status.textContent = (result && result.message) || "";
    }
  });
  return state;
}

if (globalThis.messenger && globalThis.document) {
  initPopup({ messenger: globalThis.messenger, document: globalThis.document });
}
