// InviteGuard for Thunderbird: the add-on's logic, with every Thunderbird API passed in.
//
// Nothing here touches a global `messenger` or `fetch`: background.js hands in the real ones,
// the Node tests hand in fakes (the DKIM Verifier pattern). The rules this file keeps:
//   * reading is never blocked: every service call has a short timeout, and any failure becomes a
//     neutral note ("could not check"), never a "safe" verdict;
//   * text from the message or the service only reaches the UI as data (textContent, badge title);
//     the one piece of HTML we show is the service's server-escaped banner, sanitised again by
//     display.js before it touches the message document.

export const SCRIPT_ID = "inviteguard-banner";
export const DISPLAY_SCRIPT = "display.js";
export const MSG = Object.freeze({
  renderRequest: "inviteguard:render-request",
  render: "inviteguard:render",
  getState: "inviteguard:get-state",
  report: "inviteguard:report",
});
export const DEFAULT_TIMEOUTS = Object.freeze({ analyzeMs: 3000, reportMs: 8000 });
// Messages larger than this are not uploaded for analysis on display (a 25 MB attachment would
// cost every reader an upload); the reader sees the neutral "not checked" note instead.
export const MAX_ANALYZE_BYTES = 10 * 1024 * 1024;
const RESULT_TTL_MS = 10 * 60 * 1000;
const RESULT_CACHE_SIZE = 100;

const BADGE = Object.freeze({
  phishing: { text: "!", color: "#b3261e", icon: "danger", title: "actionTitlePhishing" },
  suspicious: { text: "?", color: "#b25f00", icon: "warning", title: "actionTitleSuspicious" },
  clean: { text: "", color: "#4a4a4a", icon: "shield", title: "actionTitleClean" },
  error: { text: "–", color: "#6b6b6b", icon: "unavailable", title: "actionTitleUnavailable" },
  pending: { text: "", color: "#4a4a4a", icon: "shield", title: "actionTitleChecking" },
  none: { text: "", color: "#4a4a4a", icon: "shield", title: "actionTitle" },
});

/** "https://ig.example.com/" -> "https://ig.example.com"; anything not http(s) -> "". */
export function normalizeBaseUrl(value) {
  if (typeof value !== "string" || !value.trim()) return "";
  let url;
  try {
    url = new URL(value.trim());
  } catch {
    return "";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "";
  if (url.username || url.password || url.search || url.hash) return "";
  return url.origin + url.pathname.replace(/\/+$/, "");
}

/** The origin pattern a host permission for `baseUrl` needs, e.g. "https://ig.example.com/*". */
export function originPattern(baseUrl) {
  const url = new URL(baseUrl);
  return `${url.protocol}//${url.hostname}/*`;
}

/**
 * messages.getRaw() returns a DOM File in Manifest V3 (the default `data_format`) and a "binary
 * string" (one char per byte) otherwise; accept both, plus plain byte containers.
 */
export async function rawToBytes(raw) {
  if (typeof raw === "string") {
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i) & 0xff;
    return bytes;
  }
  if (raw instanceof Uint8Array) return raw;
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw);
  if (raw && typeof raw.arrayBuffer === "function") return new Uint8Array(await raw.arrayBuffer());
  throw new TypeError("messages.getRaw returned neither a string nor a File");
}

/** Primary language subtag of the Thunderbird UI: "de-DE" -> "de". */
export function uiLocale(messenger) {
  let tag = "";
  try {
    tag = messenger.i18n.getUILanguage() || "";
  } catch {
    tag = "";
  }
  const primary = tag.split(/[-_]/)[0].toLowerCase();
  return /^[a-z]{2,3}$/.test(primary) ? primary : "en";
}

/** onMessagesDisplayed gives an array in MV2 and a MessageList ({id, messages}) in MV3. */
export function messagesOf(list) {
  if (Array.isArray(list)) return list;
  if (list && Array.isArray(list.messages)) return list.messages;
  return [];
}

function messageText(messenger, name, substitutions) {
  try {
    const text = messenger.i18n.getMessage(name, substitutions);
    if (text) return text;
  } catch {
    // fall through to the key name: a missing string must not break reading
  }
  return name;
}

async function storageGet(area) {
  if (!area || typeof area.get !== "function") return {};
  try {
    return (await area.get(["serviceUrl", "clientKey"])) || {};
  } catch {
    // storage.managed throws when no enterprise policy configures this add-on
    return {};
  }
}

/**
 * Effective settings: enterprise policy (storage.managed) > the options page (storage.local) >
 * the defaults baked into this build of the XPI (defaults.json).
 */
export async function loadSettings(messenger, loadDefaults) {
  let defaults = {};
  try {
    defaults = (await loadDefaults()) || {};
  } catch {
    defaults = {};
  }
  const managed = await storageGet(messenger.storage && messenger.storage.managed);
  const local = await storageGet(messenger.storage && messenger.storage.local);
  const pick = (key) => {
    for (const [source, area] of [["managed", managed], ["local", local], ["default", defaults]]) {
      if (typeof area[key] === "string" && area[key] !== "") return { value: area[key], source };
    }
    return { value: "", source: "default" };
  };
  const url = pick("serviceUrl");
  const key = pick("clientKey");
  return {
    serviceUrl: normalizeBaseUrl(url.value),
    clientKey: key.value.trim(),
    sources: { serviceUrl: url.source, clientKey: key.source },
    version: typeof defaults.version === "string" ? defaults.version : "",
  };
}

/**
 * POST a raw message to the service. Never throws: the result is {ok, status, body} or
 * {ok: false, code, message, retryAfter}. The timeout covers reading the body too.
 */
export async function postMessage({ fetch, settings, path, bytes, params, locale, timeoutMs }) {
  if (!settings.serviceUrl) return { ok: false, code: "not_configured", message: "no service URL" };
  const url = new URL(settings.serviceUrl + path);
  for (const [name, value] of Object.entries({ ...params, locale })) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, String(value));
  }
  const headers = {
    "Content-Type": "message/rfc822",
    Accept: "application/json",
    "X-InviteGuard-Locale": locale,
    "X-InviteGuard-Client": `thunderbird/${settings.version || "dev"}`,
  };
  if (settings.clientKey) headers["X-InviteGuard-Key"] = settings.clientKey;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url.href, {
      method: "POST",
      headers,
      body: bytes,
      signal: controller.signal,
      credentials: "omit",
      cache: "no-store",
      redirect: "error",
    });
    const text = await response.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (response.ok && body && typeof body === "object") return { ok: true, status: response.status, body };
    const error = (body && body.error) || {};
    return {
      ok: false,
      status: response.status,
      code: typeof error.code === "string" ? error.code : `http_${response.status}`,
      message: typeof error.message === "string" ? error.message : "",
      retryAfter: response.headers.get("Retry-After") || "",
    };
  } catch (err) {
    const timedOut = controller.signal.aborted || (err && err.name === "AbortError");
    return { ok: false, code: timedOut ? "timeout" : "network", message: String((err && err.message) || err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Is `result` a well-formed analyze response? (a malformed one is treated as an error) */
export function isAnalysis(body) {
  return Boolean(
    body &&
      ["phishing", "suspicious", "clean"].includes(body.verdict) &&
      body.banner &&
      typeof body.banner === "object" &&
      Array.isArray(body.reasons),
  );
}

/** What display.js should show for a tab state. */
export function renderPayload(messenger, state) {
  if (!state || state.status === "pending") return { kind: "none" };
  if (state.status === "error") {
    return { kind: "note", text: messageText(messenger, noteKey(state.code)) };
  }
  if (state.status !== "done") return { kind: "none" };
  const banner = state.result.banner;
  if (banner.level !== "danger" && banner.level !== "warning") return { kind: "none" };
  return {
    kind: "banner",
    level: banner.level,
    title: String(banner.title || ""),
    text: String(banner.text || ""),
    html: String(banner.html || ""),
    label: messageText(messenger, "bannerLabel"),
    hint: messageText(messenger, "bannerReportHint"),
  };
}

function noteKey(code) {
  if (code === "not_configured") return "noteNotConfigured";
  if (code === "too_large" || code === "http_413") return "noteTooLarge";
  if (code === "http_401" || code === "http_403") return "noteNotAuthorized";
  return "noteUnavailable";
}

async function safely(promise) {
  try {
    return { ok: true, value: await promise };
  } catch (err) {
    return { ok: false, error: String((err && err.message) || err) };
  }
}

/** The junk folder of the message's account (specialUse "junk", TB 121+; `type` before that). */
export async function findJunkFolder(messenger, accountId) {
  if (!accountId) return null;
  const isJunk = (f) =>
    f && ((Array.isArray(f.specialUse) && f.specialUse.includes("junk")) || f.type === "junk");
  if (messenger.folders && typeof messenger.folders.query === "function") {
    const found = await safely(messenger.folders.query({ accountId, specialUse: ["junk"] }));
    if (found.ok && Array.isArray(found.value)) {
      const folder = found.value.find(isJunk) || found.value[0];
      if (folder) return folder;
    }
  }
  if (messenger.accounts && typeof messenger.accounts.get === "function") {
    const account = await safely(messenger.accounts.get(accountId, true));
    const stack = [];
    if (account.ok && account.value) {
      const root = account.value.rootFolder;
      if (root) stack.push(root);
      for (const f of account.value.folders || []) stack.push(f);
    }
    while (stack.length) {
      const folder = stack.shift();
      if (isJunk(folder)) return folder;
      for (const sub of folder.subFolders || []) stack.push(sub);
    }
  }
  return null;
}

/**
 * The add-on. `messenger` is the Thunderbird WebExtension namespace, `fetch` the fetch function,
 * `loadDefaults` an async function returning the generated defaults.json.
 */
export function createInviteGuard({ messenger, fetch, loadDefaults, timeouts = DEFAULT_TIMEOUTS, log = () => {} }) {
  const tabStates = new Map(); // tabId -> {tabId, messageId, status, result?, code?}
  const results = new Map(); // messageId -> {at, result}; a small LRU so re-selecting is instant
  const inflight = new Map(); // messageId -> Promise<state fragment>
  const waiters = new Map(); // tabId -> Promise<state> of the newest analysis of that tab

  const settings = () => loadSettings(messenger, loadDefaults);
  const t = (name, subs) => messageText(messenger, name, subs);
  const session = messenger.storage && messenger.storage.session;

  async function saveState(state) {
    tabStates.set(state.tabId, state);
    if (!session) return;
    // The MV3 background is an event page and may be unloaded; keep tab states in session storage.
    await safely(session.set({ [`tab:${state.tabId}`]: state }));
  }

  async function readState(tabId) {
    if (tabStates.has(tabId)) return tabStates.get(tabId);
    if (!session) return null;
    const got = await safely(session.get(`tab:${tabId}`));
    const state = got.ok && got.value ? got.value[`tab:${tabId}`] : null;
    if (state) tabStates.set(tabId, state);
    return state || null;
  }

  function cachedResult(messageId) {
    const hit = results.get(messageId);
    if (!hit) return null;
    if (Date.now() - hit.at > RESULT_TTL_MS) {
      results.delete(messageId);
      return null;
    }
    return hit.result;
  }

  function remember(messageId, result) {
    results.delete(messageId);
    results.set(messageId, { at: Date.now(), result });
    while (results.size > RESULT_CACHE_SIZE) results.delete(results.keys().next().value);
  }

  async function analyzeMessage(messageId) {
    const cached = cachedResult(messageId);
    if (cached) return { status: "done", result: cached };
    if (inflight.has(messageId)) return inflight.get(messageId);
    const job = (async () => {
      const cfg = await settings();
      if (!cfg.serviceUrl) return { status: "error", code: "not_configured" };
      const raw = await safely(messenger.messages.getRaw(messageId, { data_format: "File" }));
      if (!raw.ok) return { status: "error", code: "raw_unavailable" };
      const bytes = await rawToBytes(raw.value);
      if (bytes.length > MAX_ANALYZE_BYTES) return { status: "error", code: "too_large" };
      const res = await postMessage({
        fetch,
        settings: cfg,
        path: "/api/v1/analyze",
        bytes,
        params: {},
        locale: uiLocale(messenger),
        timeoutMs: timeouts.analyzeMs,
      });
      if (!res.ok) {
        log("analyze failed", res.code, res.status || "");
        // Auth and size failures keep a status-based code, so the note can say what to fix.
        const code = [401, 403, 413].includes(res.status) ? `http_${res.status}` : res.code;
        return { status: "error", code };
      }
      if (!isAnalysis(res.body)) return { status: "error", code: "bad_response" };
      remember(messageId, res.body);
      return { status: "done", result: res.body };
    })().finally(() => inflight.delete(messageId));
    inflight.set(messageId, job);
    return job;
  }

  async function setAction(tabId, kind, verdictTitle) {
    const badge = BADGE[kind] || BADGE.error;
    const action = messenger.messageDisplayAction;
    if (!action) return;
    const title = verdictTitle ? `${t(badge.title)} — ${verdictTitle}` : t(badge.title);
    await Promise.all([
      safely(action.setBadgeText({ tabId, text: badge.text })),
      safely(action.setBadgeBackgroundColor({ tabId, color: badge.color })),
      safely(action.setTitle({ tabId, title: title.slice(0, 200) })),
      safely(
        action.setIcon({
          tabId,
          path: { 16: `icons/${badge.icon}-16.png`, 32: `icons/${badge.icon}-32.png` },
        }),
      ),
    ]);
  }

  async function pushRender(tabId, state) {
    if (!messenger.tabs || typeof messenger.tabs.sendMessage !== "function") return;
    // Best effort: the display script may not be loaded yet; it pulls the same payload on load.
    await safely(messenger.tabs.sendMessage(tabId, { type: MSG.render, payload: renderPayload(messenger, state) }));
  }

  /** Analyse what `tabId` shows now and update badge + banner. Resolves to the tab's state. */
  async function analyzeTab(tabId, displayed) {
    let messages = displayed;
    if (!messages) {
      const got = await safely(messenger.messageDisplay.getDisplayedMessages(tabId));
      messages = got.ok ? messagesOf(got.value) : [];
    }
    if (messages.length !== 1) {
      // Nothing, or a multi-message summary: no single message body to put a banner into.
      const state = { tabId, messageId: null, status: "none" };
      await saveState(state);
      await setAction(tabId, "none");
      return state;
    }
    const messageId = messages[0].id;
    const pending = { tabId, messageId, status: "pending" };
    await saveState(pending);
    const cached = cachedResult(messageId);
    if (!cached) await setAction(tabId, "pending");
    const job = (async () => {
      const outcome = await analyzeMessage(messageId);
      const state = { tabId, messageId, ...outcome };
      const current = await readState(tabId);
      if (current && current.messageId !== messageId) return current; // reader moved on
      await saveState(state);
      if (state.status === "done") await setAction(tabId, state.result.verdict, state.result.banner.title);
      else await setAction(tabId, "error");
      await pushRender(tabId, state);
      return state;
    })();
    waiters.set(tabId, job);
    return job;
  }

  /** The state of the message `tabId` shows *now* (a stored state may be of the previous one). */
  async function stateForTab(tabId) {
    const got = await safely(messenger.messageDisplay.getDisplayedMessages(tabId));
    const messages = got.ok ? messagesOf(got.value) : null;
    const currentId = messages && messages.length === 1 ? messages[0].id : null;
    const state = await readState(tabId);
    if (state && (messages === null || state.messageId === currentId)) {
      if (waiters.has(tabId)) {
        const latest = await waiters.get(tabId);
        if (messages === null || latest.messageId === currentId) return latest;
      } else if (state.status !== "pending") {
        return state;
      }
    }
    return analyzeTab(tabId, messages || undefined);
  }

  async function ensureDisplayScript() {
    const api = messenger.scripting && messenger.scripting.messageDisplay;
    if (api && typeof api.registerScripts === "function") {
      const existing = await safely(api.getRegisteredScripts({ ids: [SCRIPT_ID] }));
      if (existing.ok && existing.value.length) return "registered-before";
      const done = await safely(api.registerScripts([{ id: SCRIPT_ID, js: [DISPLAY_SCRIPT], runAt: "document_end" }]));
      return done.ok ? "registered" : `failed: ${done.error}`;
    }
    if (messenger.messageDisplayScripts && typeof messenger.messageDisplayScripts.register === "function") {
      const done = await safely(messenger.messageDisplayScripts.register({ js: [{ file: DISPLAY_SCRIPT }] }));
      return done.ok ? "registered" : `failed: ${done.error}`;
    }
    return "unsupported";
  }

  /** Messages that were already open when the add-on started: inject + analyse them. */
  async function processOpenTabs() {
    const tabs = await safely(messenger.tabs.query({}));
    if (!tabs.ok) return [];
    const work = [];
    for (const tab of tabs.value) {
      if (tab.type && !["mail", "messageDisplay"].includes(tab.type)) continue;
      work.push(
        (async () => {
          const got = await safely(messenger.messageDisplay.getDisplayedMessages(tab.id));
          const messages = got.ok ? messagesOf(got.value) : [];
          if (messages.length !== 1) return null;
          if (messenger.scripting && typeof messenger.scripting.executeScript === "function") {
            await safely(messenger.scripting.executeScript({ target: { tabId: tab.id }, files: [DISPLAY_SCRIPT] }));
          }
          return analyzeTab(tab.id, messages);
        })(),
      );
    }
    return Promise.all(work);
  }

  async function notify(message) {
    if (!messenger.notifications) return;
    await safely(
      messenger.notifications.create(`inviteguard-${Date.now()}`, {
        type: "basic",
        iconUrl: messenger.runtime.getURL("icons/shield-64.png"),
        title: t("extensionName"),
        message: message.slice(0, 250),
      }),
    );
  }

  /**
   * One-click report: POST the raw message, then mark it junk, move it to the account's junk
   * folder, and confirm. If the service did not take the report, nothing is moved (the reader can
   * retry) and the notification says so.
   */
  async function report(tabId, { category = "phishing", comment = "" } = {}) {
    const state = await readState(tabId);
    let messageId = state && state.messageId;
    if (!messageId) {
      const got = await safely(messenger.messageDisplay.getDisplayedMessages(tabId));
      const messages = got.ok ? messagesOf(got.value) : [];
      if (messages.length === 1) messageId = messages[0].id;
    }
    if (!messageId) return { ok: false, code: "no_message", message: t("reportNoMessage") };
    const cfg = await settings();
    const header = await safely(messenger.messages.get(messageId));
    const raw = await safely(messenger.messages.getRaw(messageId, { data_format: "File" }));
    if (!raw.ok) return { ok: false, code: "raw_unavailable", message: t("reportFailed") };
    const res = await postMessage({
      fetch,
      settings: cfg,
      path: "/api/v1/reports",
      bytes: await rawToBytes(raw.value),
      params: { category, comment: String(comment).slice(0, 1000) },
      locale: uiLocale(messenger),
      timeoutMs: timeouts.reportMs,
    });
    if (!res.ok) {
      // 503: the service could not store it; 429: rate limited. Both say when to try again.
      const message = res.status === 503 || res.status === 429 ? t("reportRetryLater") : t("reportFailed");
      await notify(message);
      return { ok: false, code: res.code, status: res.status, retryAfter: res.retryAfter, message };
    }
    const body = res.body;
    const simulation = body.simulation === true;
    const junked = await safely(messenger.messages.update(messageId, { junk: true }));
    let moved = { ok: false, error: "no junk folder" };
    const folder = header.ok && header.value ? header.value.folder : null;
    const alreadyJunk =
      folder && ((Array.isArray(folder.specialUse) && folder.specialUse.includes("junk")) || folder.type === "junk");
    if (alreadyJunk) {
      moved = { ok: true, value: "already in junk" };
    } else if (folder && folder.accountId) {
      const junk = await findJunkFolder(messenger, folder.accountId);
      if (junk) moved = await safely(messenger.messages.move([messageId], junk.id || junk));
    }
    const message = simulation ? t("reportSimulation") : body.duplicate ? t("reportDuplicate") : t("reportThanks");
    await notify(message);
    const latest = await readState(tabId);
    if (latest && latest.messageId === messageId) {
      await saveState({ ...latest, reported: true });
      waiters.delete(tabId); // the saved state is now newer than the analysis job's result
    }
    return {
      ok: true,
      simulation,
      duplicate: Boolean(body.duplicate),
      reportId: body.report_id || null,
      junked: junked.ok,
      moved: moved.ok,
      moveError: moved.ok ? null : moved.error,
      message,
    };
  }

  /** What the popup shows: the verdict, reasons in full, and whether reporting is possible. */
  async function popupState(tabId) {
    const state = await stateForTab(tabId);
    const base = { tabId, status: state.status, reported: Boolean(state.reported) };
    if (state.status === "done") {
      const r = state.result;
      return {
        ...base,
        verdict: r.verdict,
        score: r.score,
        title: r.banner.title || t(BADGE[r.verdict].title),
        text: r.banner.text || "",
        reasons: r.reasons.map((reason) => ({
          id: String(reason.id || ""),
          title: String(reason.title || ""),
          detail: String(reason.detail || ""),
        })),
        canReport: true,
      };
    }
    if (state.status === "error") {
      return { ...base, note: renderPayload(messenger, state).text, canReport: Boolean(state.messageId) };
    }
    return { ...base, canReport: false };
  }

  function onRuntimeMessage(message, sender) {
    if (!message || typeof message.type !== "string") return undefined;
    if (message.type === MSG.renderRequest) {
      const tabId = sender && sender.tab && sender.tab.id;
      if (typeof tabId !== "number") return Promise.resolve({ kind: "none" });
      return stateForTab(tabId).then((state) => renderPayload(messenger, state));
    }
    if (message.type === MSG.getState) return popupState(message.tabId);
    if (message.type === MSG.report) return report(message.tabId, message);
    return undefined;
  }

  function onMessagesDisplayed(tab, displayed) {
    return analyzeTab(tab.id, messagesOf(displayed));
  }

  function onSettingsChanged() {
    results.clear();
  }

  function onTabRemoved(tabId) {
    tabStates.delete(tabId);
    waiters.delete(tabId);
    if (session) safely(session.remove(`tab:${tabId}`));
  }

  /**
   * Runs each time the event page loads. Already-open messages are only swept on the first load of
   * a Thunderbird session (session storage survives the event page being suspended, not a restart).
   */
  async function start() {
    const script = await ensureDisplayScript();
    log("display script", script);
    if (session) {
      const seen = await safely(session.get("started"));
      if (seen.ok && seen.value && seen.value.started) return [];
      await safely(session.set({ started: true }));
    }
    return processOpenTabs();
  }

  return {
    start,
    analyzeTab,
    analyzeMessage,
    onMessagesDisplayed,
    onRuntimeMessage,
    onSettingsChanged,
    onTabRemoved,
    popupState,
    report,
    settings,
    ensureDisplayScript,
    processOpenTabs,
    _tabStates: tabStates,
  };
}
