// message_display_action popup: the verdict, the Report button right below it, then the three
// strongest reasons with the rest behind a disclosure. The background does the work (the popup may
// close at any moment); this file only renders. After a report the message moves away, so the
// popup closes itself; if the tab shows another message while it is open, it re-renders.
import { MSG, SHOWN_REASONS } from "./core.mjs";

// Long enough to read "Thanks"; the notification repeats it.
export const CLOSE_AFTER_REPORT_MS = 1500;

function localize(messenger, doc) {
  for (const el of doc.querySelectorAll("[data-i18n]")) {
    const text = messenger.i18n.getMessage(el.dataset.i18n);
    if (text) el.textContent = text;
  }
}

function reasonItem(doc, reason) {
  const item = doc.createElement("li");
  const head = doc.createElement("span");
  head.className = "reason-title";
  head.textContent = reason.title;
  const detail = doc.createElement("span");
  detail.className = "reason-detail";
  detail.textContent = reason.detail;
  item.dataset.reasonId = reason.id;
  item.append(head, detail);
  return item;
}

function showReasons(messenger, doc, reasons) {
  const list = doc.getElementById("reasons");
  const more = doc.getElementById("more-reasons");
  const moreList = doc.getElementById("more-reasons-list");
  list.replaceChildren(...reasons.slice(0, SHOWN_REASONS).map((r) => reasonItem(doc, r)));
  moreList.replaceChildren(...reasons.slice(SHOWN_REASONS).map((r) => reasonItem(doc, r)));
  moreList.start = SHOWN_REASONS + 1;
  const folded = reasons.length - SHOWN_REASONS;
  more.hidden = folded <= 0;
  more.open = false;
  doc.getElementById("more-reasons-summary").textContent =
    messenger.i18n.getMessage("popupMoreReasons", [String(Math.max(folded, 0))]) || `+${folded}`;
  doc.getElementById("reasons-section").hidden = reasons.length === 0;
}

function showState(messenger, doc, state) {
  const t = (name) => messenger.i18n.getMessage(name) || name;
  const title = doc.getElementById("verdict-title");
  const text = doc.getElementById("verdict-text");
  doc.getElementById("verdict").className = `verdict verdict-${state.verdict || state.status}`;
  showReasons(messenger, doc, state.status === "done" ? state.reasons : []);
  if (state.status === "done") {
    title.textContent = state.title;
    // The banner text ends with a bullet list of the reasons; the popup lists them below.
    text.textContent = String(state.text || "").split("\n")[0];
    if (state.verdict === "clean") text.textContent = state.text || t("popupCleanNote");
  } else if (state.status === "error") {
    title.textContent = t("actionTitleUnavailable");
    text.textContent = state.note || "";
  } else if (state.status === "none") {
    title.textContent = t("popupNoMessage");
    text.textContent = "";
  }
  const button = doc.getElementById("report");
  button.disabled = false;
  button.textContent = t("popupReportButton");
  const status = doc.getElementById("report-status");
  status.className = "";
  status.textContent = "";
  doc.getElementById("report-section").hidden = !state.canReport;
  if (state.reported) markReported(doc, t("popupAlreadyReported"));
}

function markReported(doc, message) {
  doc.getElementById("report").disabled = true;
  const status = doc.getElementById("report-status");
  status.className = "";
  status.textContent = message;
}

export async function initPopup({ messenger, document: doc }) {
  const t = (name) => messenger.i18n.getMessage(name) || name;
  localize(messenger, doc);
  const [tab] = await messenger.tabs.query({ active: true, currentWindow: true });
  if (!tab) return null;
  let reporting = false; // from the click until a failure; after a success the popup closes
  const refresh = async () => {
    const state = await messenger.runtime.sendMessage({ type: MSG.getState, tabId: tab.id }).catch(() => null);
    showState(messenger, doc, state || { status: "error", note: "", canReport: false });
    return state;
  };
  const state = await refresh();
  // Another message in this tab (the reader moved on, or a report moved this one away).
  messenger.messageDisplay.onMessagesDisplayed.addListener((shownIn) => {
    if (shownIn && shownIn.id === tab.id && !reporting) refresh();
  });
  const button = doc.getElementById("report");
  button.addEventListener("click", async () => {
    const status = doc.getElementById("report-status");
    reporting = true;
    button.disabled = true;
    status.className = "";
    status.textContent = t("popupReporting");
    const result = await messenger.runtime
      .sendMessage({ type: MSG.report, tabId: tab.id, comment: doc.getElementById("comment").value })
      .catch((err) => ({ ok: false, message: String(err), retry: true }));
    if (result && result.ok) {
      markReported(doc, result.message);
      doc.defaultView.setTimeout(() => doc.defaultView.close(), CLOSE_AFTER_REPORT_MS);
    } else {
      reporting = false;
      // Nothing was moved and the comment is still there: the reader can send it again.
      button.disabled = false;
      if (result && result.retry) button.textContent = t("popupTryAgain");
      status.className = "error";
      status.textContent = (result && result.message) || "";
    }
  });
  return state;
}

if (globalThis.messenger && globalThis.document) {
  initPopup({ messenger: globalThis.messenger, document: globalThis.document });
}
