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
export const DISPLAY_PORT = "inviteguard-display";
export const MSG = Object.freeze({
  renderRequest: "inviteguard:render-request",
  render: "inviteguard:render",
  getState: "inviteguard:get-state",
  report: "inviteguard:report",
  bannerHidden: "inviteguard:banner-hidden",
});
export const DEFAULT_TIMEOUTS = Object.freeze({ analyzeMs: 3000, reportMs: 8000 });
// Messages larger than this are not uploaded whole for analysis on display (a 25 MB attachment
// would cost every reader an upload): their header block and text are sent instead.
export const MAX_ANALYZE_BYTES = 10 * 1024 * 1024;
// The service takes a reported message of up to INVITEGUARD_MAX_BODY_BYTES (10 MiB by default)
// after base64 decoding. A larger one is reported as its header block plus its text (a reduced
// copy), and so is one the service still refuses as too large (a deployment with a lower limit).
export const MAX_REPORT_BYTES = 10 * 1024 * 1024;
export const MAX_REDUCED_BODY_CHARS = 1_000_000;
export const STAMP_HEADER = "x-inviteguard-signature";
const REPORTER_TOKEN_HEADER = "X-InviteGuard-Reporter-Token";
const RESULT_TTL_MS = 10 * 60 * 1000;
const RESULT_CACHE_SIZE = 100;

// `label` is the toolbar button's text: short, because Thunderbird shows the whole title there
// when no label is set. The title (tooltip) says the rest.
const BADGE = Object.freeze({
  phishing: { text: "!", color: "#b3261e", icon: "danger", title: "actionTitlePhishing", label: "actionLabelPhishing" },
  suspicious: { text: "?", color: "#b25f00", icon: "warning", title: "actionTitleSuspicious", label: "actionLabelSuspicious" },
  clean: { text: "", color: "#4a4a4a", icon: "shield", title: "actionTitleClean", label: "actionLabel" },
  error: { text: "–", color: "#6b6b6b", icon: "unavailable", title: "actionTitleUnavailable", label: "actionLabel" },
  pending: { text: "", color: "#4a4a4a", icon: "shield", title: "actionTitleChecking", label: "actionLabel" },
  none: { text: "", color: "#4a4a4a", icon: "shield", title: "actionTitle", label: "actionLabel" },
});
// The popup shows this many reasons; the rest sit behind a disclosure so Report stays in view.
export const SHOWN_REASONS = 3;

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

/** Base64 of `bytes`, in slices (String.fromCharCode over 10 MB at once overflows the stack). */
export function bytesToBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** The raw header block of a message: everything before the first empty line, as text. */
export function headerBlock(bytes) {
  let end = bytes.length;
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (bytes[i + 1] === 0x0a) {
      end = i + 1;
      break;
    }
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) {
      end = i + 1;
      break;
    }
  }
  return new TextDecoder("utf-8").decode(bytes.subarray(0, end));
}

/** Does the header block carry a header field `name` (lower case)? Only field starts count. */
export function hasHeaderField(headers, name) {
  return headers.split(/\r?\n/).some((line) => {
    const colon = line.indexOf(":");
    return colon > 0 && !/^[ \t]/.test(line) && line.slice(0, colon).trim().toLowerCase() === name;
  });
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

/**
 * A header with nothing behind it: after a message is moved away, Thunderbird (153) can announce
 * the emptied slot as displayed (size 0, no Message-ID, dated 1970) before it shows the next
 * message. Reading it fails inside Thunderbird and logs an error, so it is treated like no message.
 * Both fields must say so: a header from an API that lacks them is a real message.
 */
export function isVacantHeader(message) {
  return Boolean(message) && message.size === 0 && !message.headerMessageId;
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

async function storageGet(area, keys) {
  if (!area || typeof area.get !== "function") return {};
  try {
    return (await area.get(keys)) || {};
  } catch {
    // storage.managed throws when no enterprise policy configures this add-on
    return {};
  }
}

/**
 * Effective settings: enterprise policy (storage.managed) > the options page (storage.local) >
 * the defaults baked into this build of the XPI (defaults.json). The reporter token is personal,
 * so it only ever comes from the options page.
 */
export async function loadSettings(messenger, loadDefaults) {
  let defaults = {};
  try {
    defaults = (await loadDefaults()) || {};
  } catch {
    defaults = {};
  }
  const managed = await storageGet(messenger.storage && messenger.storage.managed, ["serviceUrl", "clientKey"]);
  const local = await storageGet(messenger.storage && messenger.storage.local,
    ["serviceUrl", "clientKey", "reporterToken"]);
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
    reporterToken: typeof local.reporterToken === "string" ? local.reporterToken.trim() : "",
    sources: { serviceUrl: url.source, clientKey: key.source },
    version: typeof defaults.version === "string" ? defaults.version : "",
  };
}

/** Whether Thunderbird lets this add-on talk to the service's origin (a host permission). */
export async function hasHostPermission(messenger, serviceUrl) {
  if (!messenger.permissions || typeof messenger.permissions.contains !== "function") return true;
  try {
    return await messenger.permissions.contains({ origins: [originPattern(serviceUrl)] });
  } catch {
    return false;
  }
}

/**
 * POST to the service. `body` is sent as `contentType` (raw bytes, or an object as JSON). Never
 * throws: the result is {ok, status, body} or {ok: false, status?, code, message, retryAfter}.
 * The timeout covers reading the answer too.
 */
export async function postToService({ fetch, settings, path, body, contentType, query = {}, headers = {}, timeoutMs }) {
  if (!settings.serviceUrl) return { ok: false, code: "not_configured", message: "no service URL" };
  const url = new URL(settings.serviceUrl + path);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, String(value));
  }
  const sent = {
    "Content-Type": contentType,
    Accept: "application/json",
    "X-InviteGuard-Client": `thunderbird/${settings.version || "dev"}`,
    ...headers,
  };
  if (settings.clientKey) sent["X-InviteGuard-Key"] = settings.clientKey;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url.href, {
      method: "POST",
      headers: sent,
      body: contentType === "application/json" ? JSON.stringify(body) : body,
      signal: controller.signal,
      credentials: "omit",
      cache: "no-store",
      redirect: "error",
    });
    const text = await response.text();
    let answer = null;
    try {
      answer = text ? JSON.parse(text) : null;
    } catch {
      answer = null;
    }
    if (response.ok && answer && typeof answer === "object") return { ok: true, status: response.status, body: answer };
    const error = (answer && answer.error) || {};
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
    return { kind: "note", text: messageText(messenger, noteKey(state.code), state.origin ? [state.origin] : undefined) };
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
  if (code === "no_permission") return "noteNoPermission";
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

const isJunkFolder = (f) =>
  Boolean(f && ((Array.isArray(f.specialUse) && f.specialUse.includes("junk")) || f.type === "junk"));

/** The junk folder of the message's account (specialUse "junk", TB 121+; `type` before that). */
export async function findJunkFolder(messenger, accountId) {
  if (!accountId) return null;
  if (messenger.folders && typeof messenger.folders.query === "function") {
    const found = await safely(messenger.folders.query({ accountId, specialUse: ["junk"] }));
    if (found.ok && Array.isArray(found.value)) {
      const folder = found.value.find(isJunkFolder) || found.value[0];
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
      if (isJunkFolder(folder)) return folder;
      for (const sub of folder.subFolders || []) stack.push(sub);
    }
  }
  return null;
}

const addressOf = (text) => {
  const match = /<([^<>\s]+@[^<>\s]+)>/.exec(String(text || "")) || /([^\s<>,;"]+@[^\s<>,;"]+)/.exec(String(text || ""));
  return match ? match[1].toLowerCase() : "";
};

async function identitiesOf(messenger, accountId) {
  if (!accountId || !messenger.accounts || typeof messenger.accounts.get !== "function") return [];
  const account = await safely(messenger.accounts.get(accountId, false));
  return account.ok && account.value && Array.isArray(account.value.identities) ? account.value.identities : [];
}

/**
 * The reader's own address, sent as the report's reporter: the identity of the message's account
 * the message was addressed to, else that account's first identity, else the default account's
 * (Local Folders has none). Self-asserted: the service counts it as an unverified reporter unless
 * a reporter token is sent as well.
 */
export async function reporterAddress(messenger, header) {
  const folder = header && header.folder;
  let identities = await identitiesOf(messenger, folder && folder.accountId);
  if (!identities.length && messenger.accounts && typeof messenger.accounts.getDefault === "function") {
    const fallback = await safely(messenger.accounts.getDefault(false));
    if (fallback.ok && fallback.value) identities = await identitiesOf(messenger, fallback.value.id);
  }
  const emails = identities.map((i) => String((i && i.email) || "").toLowerCase()).filter(Boolean);
  const recipients = [...((header && header.recipients) || []), ...((header && header.ccList) || [])].map(addressOf);
  return emails.find((e) => recipients.includes(e)) || emails[0] || "";
}

function textParts(parts, out) {
  for (const part of parts || []) {
    if (typeof part.body === "string" && /^text\/(plain|html|calendar)/i.test(part.contentType || "")) out.push(part);
    textParts(part.parts, out);
  }
  return out;
}

/**
 * What stands in for a message too large to send whole (to analyze or to report): its raw header
 * block, its text (plain preferred, else HTML) and its invitation, if any, each cut at
 * MAX_REDUCED_BODY_CHARS.
 */
export async function reducedCopy(messenger, messageId, bytes) {
  let parts = [];
  if (typeof messenger.messages.listInlineTextParts === "function") {
    const got = await safely(messenger.messages.listInlineTextParts(messageId));
    if (got.ok && Array.isArray(got.value)) parts = got.value.map((p) => ({ contentType: p.contentType, body: p.content }));
  }
  if (!parts.length && typeof messenger.messages.getFull === "function") {
    const full = await safely(messenger.messages.getFull(messageId));
    if (full.ok && full.value) parts = textParts([full.value], []);
  }
  const plain = parts.find((p) => /^text\/plain/i.test(p.contentType || ""));
  const chosen = plain || parts.find((p) => /^text\/html/i.test(p.contentType || ""));
  const invite = parts.find((p) => /^text\/calendar/i.test(p.contentType || ""));
  const copy = {
    headers: headerBlock(bytes),
    body: chosen ? String(chosen.body || "").slice(0, MAX_REDUCED_BODY_CHARS) : "",
    body_type: chosen && !plain ? "html" : "text",
  };
  if (invite) copy.ics = String(invite.body || "").slice(0, MAX_REDUCED_BODY_CHARS);
  return copy;
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
  const displayPorts = new Map(); // tabId -> Set<Port> of the display scripts in that tab
  const warnedHidden = new Map(); // tabId -> messageId whose hidden banner was already notified

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

  /** Settings for a call, or an error state saying why no call can be made. */
  async function usableSettings() {
    const cfg = await settings();
    if (!cfg.serviceUrl) return { error: { status: "error", code: "not_configured" } };
    if (!(await hasHostPermission(messenger, cfg.serviceUrl))) {
      return { error: { status: "error", code: "no_permission", origin: new URL(cfg.serviceUrl).origin } };
    }
    return { cfg };
  }

  /**
   * A message the InviteGuard relay stamped: ask the service to verify the stamp and answer from
   * it, without sending the message. null when there is no stamp or it does not hold (an older
   * service, a forged or stale stamp): the caller then analyses the message itself.
   */
  async function verifiedStamp(cfg, headers) {
    if (!hasHeaderField(headers, STAMP_HEADER)) return null;
    const res = await postToService({
      fetch,
      settings: cfg,
      path: "/api/v1/stamp",
      body: { headers, locale: uiLocale(messenger) },
      contentType: "application/json",
      // Half the budget: if the stamp cannot be checked in time, analyze still gets its turn.
      timeoutMs: Math.ceil(timeouts.analyzeMs / 2),
    });
    if (res.ok && isAnalysis(res.body) && res.body.stamped === true) return res.body;
    log("stamp not used", res.code || res.status || "not stamped");
    return null;
  }

  async function analyzeMessage(messageId) {
    const cached = cachedResult(messageId);
    if (cached) return { status: "done", result: cached };
    if (inflight.has(messageId)) return inflight.get(messageId);
    const job = (async () => {
      const { cfg, error } = await usableSettings();
      if (error) return error;
      const raw = await safely(messenger.messages.getRaw(messageId, { data_format: "File" }));
      if (!raw.ok) return { status: "error", code: "raw_unavailable" };
      const bytes = await rawToBytes(raw.value);
      const stamped = await verifiedStamp(cfg, headerBlock(bytes));
      if (stamped) {
        remember(messageId, stamped);
        return { status: "done", result: stamped };
      }
      const locale = uiLocale(messenger);
      // A message too large to upload on every display (a big attachment) is checked by its
      // header block and text: a lure with a 20 MB attachment still gets its warning.
      const whole = bytes.length <= MAX_ANALYZE_BYTES;
      const res = await postToService({
        fetch,
        settings: cfg,
        path: "/api/v1/analyze",
        body: whole ? bytes : { ...(await reducedCopy(messenger, messageId, bytes)), locale },
        contentType: whole ? "message/rfc822" : "application/json",
        query: { locale },
        headers: { "X-InviteGuard-Locale": locale },
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
    const calls = [
      safely(action.setBadgeText({ tabId, text: badge.text })),
      safely(action.setBadgeBackgroundColor({ tabId, color: badge.color })),
      safely(action.setTitle({ tabId, title: title.slice(0, 200) })),
      safely(
        action.setIcon({
          tabId,
          path: { 16: `icons/${badge.icon}-16.png`, 32: `icons/${badge.icon}-32.png` },
        }),
      ),
    ];
    if (typeof action.setLabel === "function") calls.push(safely(action.setLabel({ tabId, label: t(badge.label) })));
    await Promise.all(calls);
  }

  function post(port, message) {
    try {
      port.postMessage(message);
      return true;
    } catch {
      return false; // the message page is gone; its port disconnects by itself
    }
  }

  /** Push the banner to the display scripts of `tabId`, if they still show that message. */
  async function pushRender(tabId, state) {
    const open = displayPorts.get(tabId);
    if (!open || !open.size) return; // a display script that loads later pulls the same payload
    const got = await safely(messenger.messageDisplay.getDisplayedMessages(tabId));
    const shown = got.ok ? messagesOf(got.value) : [];
    if (state.messageId && !(shown.length === 1 && shown[0].id === state.messageId)) return;
    for (const port of open) post(port, { type: MSG.render, payload: renderPayload(messenger, state) });
  }

  /** A display script connected: answer its render request and keep the port for later pushes. */
  function onConnect(port) {
    if (!port || port.name !== DISPLAY_PORT) return;
    const tabId = port.sender && port.sender.tab && port.sender.tab.id;
    if (typeof tabId !== "number") return;
    if (!displayPorts.has(tabId)) displayPorts.set(tabId, new Set());
    displayPorts.get(tabId).add(port);
    port.onDisconnect.addListener(() => {
      const open = displayPorts.get(tabId);
      if (open) open.delete(port);
    });
    port.onMessage.addListener((message) => {
      if (!message) return;
      if (message.type === MSG.renderRequest) {
        stateForTab(tabId).then((state) => post(port, { type: MSG.render, payload: renderPayload(messenger, state) }));
      } else if (message.type === MSG.bannerHidden) {
        onBannerHidden(tabId);
      }
    });
  }

  /** Analyse what `tabId` shows now and update badge + banner. Resolves to the tab's state. */
  async function analyzeTab(tabId, displayed) {
    let messages = displayed;
    if (!messages) {
      const got = await safely(messenger.messageDisplay.getDisplayedMessages(tabId));
      messages = got.ok ? messagesOf(got.value) : [];
    }
    if (messages.length !== 1 || isVacantHeader(messages[0])) {
      // Nothing, a multi-message summary or a vacated slot: no single message body for a banner.
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
      // Ask for every registered script: asking for an id that is not registered (the first start)
      // makes Thunderbird log an error.
      const existing = await safely(api.getRegisteredScripts());
      if (existing.ok && existing.value.some((s) => s.id === SCRIPT_ID)) return "registered-before";
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

  /** POST a report (contract: JSON, never query parameters); the whole message or a reduced copy. */
  async function sendReport(cfg, fields, messageId, bytes) {
    const headers = cfg.reporterToken ? { [REPORTER_TOKEN_HEADER]: cfg.reporterToken } : {};
    const post = (body) =>
      postToService({
        fetch,
        settings: cfg,
        path: "/api/v1/reports",
        body: { ...body, ...fields },
        contentType: "application/json",
        headers,
        timeoutMs: timeouts.reportMs,
      });
    const reduced = async () => ({ ...(await reducedCopy(messenger, messageId, bytes)), truncated: true });
    if (bytes.length > MAX_REPORT_BYTES) return { res: await post(await reduced()), truncated: true };
    const res = await post({ eml: bytesToBase64(bytes) });
    // A deployment with a lower body limit refuses the whole message: send the reduced copy instead.
    if (!res.ok && res.status === 413) return { res: await post(await reduced()), truncated: true };
    return { res, truncated: false };
  }

  /**
   * One-click report: POST the message, then mark it junk, move it to the account's junk folder,
   * and confirm. If the service did not take the report, nothing is moved (the reader can try
   * again) and the notification says so.
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
    const { cfg, error } = await usableSettings();
    if (error) {
      const message = renderPayload(messenger, error).text;
      return { ok: false, code: error.code, message, retry: false };
    }
    const header = await safely(messenger.messages.get(messageId));
    const raw = await safely(messenger.messages.getRaw(messageId, { data_format: "File" }));
    if (!raw.ok) return { ok: false, code: "raw_unavailable", message: t("reportFailed"), retry: true };
    const fields = {
      reporter: await reporterAddress(messenger, header.ok ? header.value : null),
      client: { name: "thunderbird", version: cfg.version || "dev" },
      category,
      comment: String(comment).slice(0, 1000),
    };
    const { res, truncated } = await sendReport(cfg, fields, messageId, await rawToBytes(raw.value));
    if (!res.ok) {
      // 503: the service could not store it; 429: rate limited; a network error or timeout: it
      // may be back in a moment. The message stays where it is, so the reader can try again.
      const later = res.status === 503 || res.status === 429;
      const message = later ? t("reportRetryLater") : t("reportFailed");
      await notify(message);
      return { ok: false, code: res.code, status: res.status, retryAfter: res.retryAfter, message,
        retry: later || res.code === "network" || res.code === "timeout" };
    }
    const body = res.body;
    const simulation = body.simulation === true;
    const junked = await safely(messenger.messages.update(messageId, { junk: true }));
    let moved = { ok: false, error: "no junk folder" };
    const folder = header.ok && header.value ? header.value.folder : null;
    if (isJunkFolder(folder)) {
      moved = { ok: true, value: "already in junk" };
    } else if (folder && folder.accountId) {
      const junk = await findJunkFolder(messenger, folder.accountId);
      if (junk) moved = await safely(messenger.messages.move([messageId], junk.id || junk));
    }
    let message = simulation ? t("reportSimulation") : body.duplicate ? t("reportDuplicate") : t("reportThanks");
    if (truncated) message = `${message} ${t("reportReduced")}`;
    await notify(message);
    const latest = await readState(tabId);
    if (latest && latest.messageId === messageId) {
      await saveState({ ...latest, reported: true });
      waiters.delete(tabId); // the saved state is now newer than the analysis job's result
    }
    return {
      ok: true,
      simulation,
      truncated,
      duplicate: Boolean(body.duplicate),
      reportId: body.report_id || null,
      junked: junked.ok,
      moved: moved.ok,
      moveError: moved.ok ? null : moved.error,
      message,
    };
  }

  /** What the popup shows: the verdict, its reasons (strongest first), and whether reporting is possible. */
  async function popupState(tabId) {
    const state = await stateForTab(tabId);
    const base = { tabId, messageId: state.messageId || null, status: state.status, reported: Boolean(state.reported) };
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

  function onRuntimeMessage(message) {
    if (!message || typeof message.type !== "string") return undefined;
    if (message.type === MSG.getState) return popupState(message.tabId);
    if (message.type === MSG.report) return report(message.tabId, message);
    return undefined;
  }

  /**
   * The display script could not make the banner visible (the message's own markup or CSS hides
   * or covers it). The toolbar badge still says so; a notification makes sure the reader sees it,
   * once per message shown.
   */
  async function onBannerHidden(tabId) {
    const state = tabStates.get(tabId);
    if (!state || state.status !== "done" || warnedHidden.get(tabId) === state.messageId) return false;
    warnedHidden.set(tabId, state.messageId);
    await notify(t("bannerHiddenWarning"));
    return true;
  }

  function onMessagesDisplayed(tab, displayed) {
    return analyzeTab(tab.id, messagesOf(displayed));
  }

  /** New settings or permissions: forget verdicts and check again what could not be checked. */
  function onSettingsChanged() {
    results.clear();
    const failed = [...tabStates.values()].filter((state) => state.status === "error" && state.messageId);
    return Promise.all(failed.map((state) => analyzeTab(state.tabId)));
  }

  function onTabRemoved(tabId) {
    tabStates.delete(tabId);
    displayPorts.delete(tabId);
    warnedHidden.delete(tabId);
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
    onConnect,
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
