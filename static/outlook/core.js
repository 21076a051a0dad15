/* InviteGuard Outlook add-in: the logic shared by the task pane and the spam-report handler.
 *
 * Nothing here touches a global: Office, fetch, timers and the service's base URL are passed in
 * (createClient(deps)), so the same file runs in the task pane, in the function page, in classic
 * Outlook's JavaScript-only runtime and under Node's test runner with office-addin-mock. */
(function (root, factory) {
  "use strict";
  if (typeof module === "object" && module.exports) {
    module.exports = factory(require("./locales.js"));
  } else {
    root.InviteGuardOutlook = factory(root.InviteGuardOutlookStrings);
  }
})(typeof globalThis !== "undefined" ? globalThis : this, function (i18n) {
  "use strict";

  const VERSION = "0.1.0";
  const NOTIFICATION_KEY = "inviteguard";
  // The user waits for the verdict: config + reading the item + analyze must fit in this.
  const TOTAL_BUDGET_MS = 3000;
  // max_report_bytes: the service's INVITEGUARD_MAX_BODY_BYTES, the largest message it takes whole
  // (after base64 decoding); a larger one is reported as headers + text, marked truncated.
  const DEFAULT_CONFIG = Object.freeze({ auth: "none", client_key: "", timeout_ms: 2500, max_report_bytes: 10485760 });
  // Classic Outlook on Windows before Version 2308 (Build 16724) knows postProcessingAction, not moveItemTo.
  const MOVE_ITEM_TO_BUILD = 16724;
  // Order of the manifest's ReportingOptions; event.options[i] answers REPORT_CATEGORIES[i].
  const REPORT_CATEGORIES = ["callback", "phishing", "invoice", "spam", "other"];
  // The service files reports as phishing, spam or other; the finer reason goes into the comment.
  const SERVICE_CATEGORY = { callback: "phishing", phishing: "phishing", invoice: "phishing", spam: "spam", other: "other" };
  const REPORT_RETRY_DELAYS_MS = [500, 1500, 3000];
  const REPORT_ATTEMPT_TIMEOUT_MS = 10000;
  const MAX_RETRY_AFTER_MS = 5000;
  const NOTIFICATION_MAX = 150;
  // Bidi overrides/isolates and other invisible controls: they let a message spoof what the
  // infobar appears to say, and Outlook shows the text as-is.
  const INVISIBLE_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

  class ServiceError extends Error {
    /** kind: timeout | network | http | bad-response | auth | office */
    constructor(kind, message, details) {
      super(message);
      this.name = "ServiceError";
      this.kind = kind;
      Object.assign(this, details || {});
    }

    get retryable() {
      if (this.kind === "timeout" || this.kind === "network") return true;
      if (this.kind === "http") return this.status >= 500 || this.status === 429 || this.status === 408;
      return false;
    }
  }

  /** Office's (options, callback(asyncResult)) style as a promise of asyncResult.value. */
  function officeAsync(Office, invoke) {
    return new Promise((resolve, reject) => {
      try {
        invoke((result) => {
          if (result && result.status === Office.AsyncResultStatus.Succeeded) {
            resolve(result.value);
          } else {
            const error = (result && result.error) || {};
            reject(new ServiceError("office", error.message || "Office call failed", { code: error.code }));
          }
        });
      } catch (err) {
        reject(new ServiceError("office", String((err && err.message) || err)));
      }
    });
  }

  function supports(Office, version) {
    const req = Office.context && Office.context.requirements;
    return Boolean(req && typeof req.isSetSupported === "function" && req.isSetSupported("Mailbox", version));
  }

  /** At most `max` UTF-16 units, whole code points, whitespace collapsed, invisible controls gone. */
  function truncateNotification(text, max) {
    const limit = max || NOTIFICATION_MAX;
    const clean = String(text || "")
      .replace(INVISIBLE_CONTROLS, " ")
      .replace(/\s+/g, " ")
      .trim();
    if (clean.length <= limit) return clean;
    let out = "";
    for (const ch of clean) {
      if (out.length + ch.length > limit - 1) break;
      out += ch;
    }
    // Prefer to end on a word boundary when one is close.
    const space = out.lastIndexOf(" ");
    if (space > limit * 0.7) out = out.slice(0, space);
    return out.replace(/[\s,;:.-]+$/, "") + "…";
  }

  function iso(value) {
    if (value instanceof Date) return isNaN(value.getTime()) ? null : value.toISOString();
    return value ? String(value) : null;
  }

  function formatAddress(addr) {
    if (!addr || typeof addr !== "object") return "";
    const email = addr.emailAddress || "";
    const name = addr.displayName || "";
    if (name && email && name !== email) return `"${name.replace(/["\\]/g, "")}" <${email}>`;
    return email || name;
  }

  function locationText(item) {
    if (typeof item.location === "string") return item.location;
    return "";
  }

  const MAX_ATTACHMENT_NAMES = 100; // the server's limit (api.py)
  const ATTACHMENT_NAME_MAX = 255;

  /** The attachments' file names as the reading pane lists them (not inline images): a scammer
   * can put the number in a file's name. */
  function attachmentNames(item) {
    const attachments = Array.isArray(item.attachments) ? item.attachments : [];
    return attachments
      .filter((a) => a && !a.isInline && typeof a.name === "string" && a.name.trim())
      .slice(0, MAX_ATTACHMENT_NAMES)
      .map((a) => a.name.slice(0, ATTACHMENT_NAME_MAX));
  }

  // Attachments whose bytes go with the parts (Mailbox 1.8's getAttachmentContentAsync): a lure's
  // number may stand only in a PDF. The service reads up to 8 files of 2,000,000 bytes each
  // (api.py MAX_FILES, parse.py MAX_ATTACHMENT_BYTES); four within 4 MB keep the request and the
  // wait small. detect/evaluation.py's Outlook path sends the same.
  const MAX_FILES = 4;
  const FILE_BYTES_MAX = 2000000;
  const FILES_BYTES_TOTAL = 4000000;
  const READABLE_NAME = /\.(pdf|docx|pptx|xlsx|xlsm|odt|ods|odp|rtf|html?|svg|txt|vcf|vcard|zip|tar|tgz|gz|tbz2|bz2|txz|xz)$/i;
  // Pictures: the service reads the words drawn in them and their QR codes (detect/picture.py).
  const PICTURE_NAME = /\.(png|jpe?g|gif|webp)$/i;
  const PICTURE_TYPES = new Set(["image/png", "image/jpeg", "image/jpg", "image/pjpeg", "image/gif", "image/webp"]);
  const READABLE_TYPES = new Set([
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/rtf",
    "text/rtf",
    "application/x-rtf",
    "text/richtext",
    "text/html",
    "image/svg+xml",
    "application/zip",
    "application/x-zip-compressed",
    "application/x-tar",
    "application/gzip",
    "application/x-gzip",
    "application/x-compressed-tar",
    "application/x-bzip2",
    "application/x-xz",
    "text/plain",
    "text/vcard",
    "text/x-vcard",
    "text/directory",
  ]);

  /** Whether an attachment is a picture (inline ones included: Outlook lists a picture drawn
   * in the message by cid: among the attachments, isInline). */
  function isPicture(a) {
    const name = typeof a.name === "string" ? a.name.trim() : "";
    const type = typeof a.contentType === "string" ? a.contentType.toLowerCase() : "";
    return (a.attachmentType || "file") === "file" && (PICTURE_NAME.test(name) || PICTURE_TYPES.has(type));
  }

  /** The attachments worth fetching: files of a kind the service reads and attached messages
   * (item attachments: a forwarded "notice" may hold the whole lure), not cloud links, each
   * within FILE_BYTES_MAX, the first MAX_FILES within FILES_BYTES_TOTAL; pictures after the
   * rest, so a signature's logos never crowd a document out. */
  function readableFiles(item) {
    const listed = Array.isArray(item.attachments) ? item.attachments.filter((a) => a && typeof a.id === "string") : [];
    const attachments = [...listed.filter((a) => !isPicture(a)), ...listed.filter(isPicture)];
    const chosen = [];
    let total = 0;
    for (const a of attachments) {
      const kind = a.attachmentType || "file";
      if (kind !== "file" && kind !== "item") continue;
      const name = typeof a.name === "string" ? a.name : "";
      const type = typeof a.contentType === "string" ? a.contentType.toLowerCase() : "";
      if (kind === "file" && !READABLE_NAME.test(name.trim()) && !READABLE_TYPES.has(type) && !isPicture(a)) continue;
      const size = Number(a.size);
      if (!(size > 0 && size <= FILE_BYTES_MAX && total + size <= FILES_BYTES_TOTAL)) continue;
      total += size;
      chosen.push(a);
      if (chosen.length === MAX_FILES) break;
    }
    return chosen;
  }

  /** A string's UTF-8 bytes in base64 (an attached message comes from Outlook as .eml text). */
  function utf8Base64(text) {
    const bytes = new TextEncoder().encode(text);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  }

  /** Bytes a base64 string decodes to (whitespace ignored). */
  function decodedLength(base64) {
    const clean = String(base64 || "").replace(/\s+/g, "");
    const padding = clean.endsWith("==") ? 2 : clean.endsWith("=") ? 1 : 0;
    return Math.floor((clean.length * 3) / 4) - padding;
  }

  /** A header value from item text: one line, no controls (the item's fields are the sender's text). */
  function headerValue(text) {
    return String(text || "").replace(INVISIBLE_CONTROLS, " ").replace(/\s+/g, " ").trim();
  }

  function addressList(list) {
    return (Array.isArray(list) ? list : []).map(formatAddress).filter(Boolean).join(", ");
  }

  /**
   * Where Outlook gives no header block (Mailbox below 1.8: Outlook on iOS and Android, Exchange
   * 2016), the header fields the item itself offers, so the service at least sees who sent it to
   * whom, when and with which subject. It has no authentication results: the check is weaker.
   */
  function headersFromItem(item) {
    const fields = [
      ["From", formatAddress(item.from)],
      ["Sender", item.sender && item.from && formatAddress(item.sender) !== formatAddress(item.from) ? formatAddress(item.sender) : ""],
      ["To", addressList(item.to)],
      ["Cc", addressList(item.cc)],
      ["Subject", typeof item.subject === "string" ? item.subject : ""],
      ["Date", item.dateTimeCreated instanceof Date && !isNaN(item.dateTimeCreated.getTime()) ? item.dateTimeCreated.toUTCString() : ""],
      ["Message-ID", item.internetMessageId || ""],
    ];
    return fields
      .map(([name, value]) => [name, headerValue(value)])
      .filter(([, value]) => value)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("");
  }

  /** Base URL of the service, from where the code was loaded. */
  function baseUrlFrom(globalObj, Office) {
    if (globalObj && typeof globalObj.InviteGuardBaseUrl === "string") {
      return globalObj.InviteGuardBaseUrl.replace(/\/+$/, "");
    }
    const href = globalObj && globalObj.location && globalObj.location.href;
    if (href && /^https?:/.test(href)) {
      // Pages live at {base}/static/outlook/<page>.html
      return new URL("../../", href).href.replace(/\/+$/, "");
    }
    const runtimeUrl = Office && Office.context && Office.context.urls && Office.context.urls.javascriptRuntimeUrl;
    if (runtimeUrl) return String(runtimeUrl).replace(/\/addin\/outlook\/runtime\.js(\?.*)?$/, "");
    throw new Error("cannot tell the InviteGuard service URL");
  }

  // The client wired to a page's or a runtime's own globals: the task pane, the commands page
  // and the event-based runtime all build it so.
  function clientIn(globalObj, Office) {
    return createClient({
      Office,
      OfficeRuntime: globalObj.OfficeRuntime,
      baseUrl: baseUrlFrom(globalObj, Office),
      fetch: globalObj.fetch.bind(globalObj),
      AbortController: globalObj.AbortController,
      setTimeout: globalObj.setTimeout.bind(globalObj),
      clearTimeout: globalObj.clearTimeout.bind(globalObj),
    });
  }

  function createClient(deps) {
    const Office = deps.Office;
    const baseUrl = String(deps.baseUrl).replace(/\/+$/, "");
    const fetchImpl = deps.fetch;
    const AbortCtl = deps.AbortController;
    const setTimer = deps.setTimeout || setTimeout;
    const clearTimer = deps.clearTimeout || clearTimeout;
    const now = deps.now || (() => Date.now());
    const sleep = deps.sleep || ((ms) => new Promise((resolve) => setTimer(resolve, ms)));
    const OfficeRuntime = deps.OfficeRuntime;
    let configPromise = null;

    function locale() {
      return (Office.context && Office.context.displayLanguage) || "en-US";
    }

    function strings() {
      return i18n.stringsFor(locale());
    }

    function clientInfo() {
      return { name: "outlook", version: VERSION };
    }

    /** Rejects after ms; the fetch is aborted when AbortController exists (not every runtime has it). */
    function withTimeout(ms, run) {
      const controller = AbortCtl ? new AbortCtl() : null;
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimer(() => {
          if (controller) controller.abort();
          reject(new ServiceError("timeout", `no answer within ${ms} ms`));
        }, Math.max(0, ms));
      });
      return Promise.race([run(controller ? controller.signal : undefined), timeout]).finally(() =>
        clearTimer(timer),
      );
    }

    async function request(method, path, body, options) {
      const opts = options || {};
      const headers = Object.assign({ Accept: "application/json" }, opts.headers || {});
      if (body !== undefined) headers["Content-Type"] = "application/json";
      return withTimeout(opts.timeoutMs, async (signal) => {
        let response;
        try {
          response = await fetchImpl(baseUrl + path, {
            method,
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
            signal,
            credentials: "omit",
            cache: "no-store",
          });
        } catch (err) {
          if (err instanceof ServiceError) throw err;
          throw new ServiceError("network", "InviteGuard service unreachable");
        }
        let data = null;
        try {
          data = await response.json();
        } catch (err) {
          data = null;
        }
        if (!response.ok) {
          const error = (data && data.error) || {};
          const retryAfter = Number(response.headers && response.headers.get && response.headers.get("Retry-After"));
          throw new ServiceError("http", error.message || `HTTP ${response.status}`, {
            status: response.status,
            code: error.code || null,
            retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : null,
          });
        }
        if (!data || typeof data !== "object") throw new ServiceError("bad-response", "not a JSON object");
        return data;
      });
    }

    /**
     * The deployment's client settings ({auth, client_key, timeout_ms}), fetched once per page.
     * If they can't be read, the defaults (no auth) are used for this call and the fetch is tried
     * again next time; a service that wants auth then answers 401, which shows as "unavailable".
     */
    function loadConfig(timeoutMs) {
      if (!configPromise) {
        configPromise = request("GET", "/addin/outlook/config.json", undefined, { timeoutMs: timeoutMs || 1000 }).then(
          (cfg) => Object.assign({}, DEFAULT_CONFIG, cfg),
        );
        configPromise.catch(() => {
          configPromise = null;
        });
      }
      return configPromise.catch(() => Object.assign({}, DEFAULT_CONFIG));
    }

    async function getAccessToken() {
      const opts = { allowSignInPrompt: true, allowConsentPrompt: true, forMSGraphAccess: false };
      const auth = (Office.auth && Office.auth.getAccessToken && Office.auth) || (OfficeRuntime && OfficeRuntime.auth);
      if (!auth) throw new ServiceError("auth", "single sign-on is not available in this Outlook");
      try {
        return await auth.getAccessToken(opts);
      } catch (err) {
        throw new ServiceError("auth", "could not get a sign-in token", { code: err && err.code });
      }
    }

    async function authHeaders(config) {
      if (config.auth === "entra") return { Authorization: `Bearer ${await getAccessToken()}` };
      if (config.auth === "key" && config.client_key) return { "X-InviteGuard-Key": config.client_key };
      return {};
    }

    function currentItem() {
      return Office.context && Office.context.mailbox && Office.context.mailbox.item;
    }

    function itemFields(item) {
      return {
        item_class: item.itemClass || "",
        subject: typeof item.subject === "string" ? item.subject : "",
        from: formatAddress(item.from || item.sender),
        start: iso(item.start),
        end: iso(item.end),
        location: locationText(item),
        attachments: attachmentNames(item),
      };
    }

    /** One attachment as the service's "files" entry, or null when Outlook gives no bytes for it:
     * a file's bytes as Outlook gives them (base64), an attached message's .eml text as
     * message/rfc822 (Outlook on the web refuses a message attached by drag-and-drop: no entry). */
    async function getFile(item, attachment) {
      const content = await officeAsync(Office, (cb) => item.getAttachmentContentAsync(attachment.id, cb));
      const formats = Office.MailboxEnums.AttachmentContentFormat || {};
      if (!content || typeof content.content !== "string") return null;
      const name = String(attachment.name || "").slice(0, ATTACHMENT_NAME_MAX);
      if (content.format === (formats.Eml || "eml")) {
        const eml = utf8Base64(content.content);
        return decodedLength(eml) > FILE_BYTES_MAX ? null : { name, content_type: "message/rfc822", content: eml };
      }
      if (content.format !== (formats.Base64 || "base64") || decodedLength(content.content) > FILE_BYTES_MAX) return null;
      const file = {
        name,
        content_type: String(attachment.contentType || "").slice(0, ATTACHMENT_NAME_MAX),
        content: content.content,
      };
      // A picture drawn in the body by cid: is read where the body draws it (beside the pictures
      // and the words around it), as in a whole message: Outlook names it by its content id.
      const contentId = attachment.isInline && typeof attachment.contentId === "string" ? attachment.contentId.trim() : "";
      return contentId ? { ...file, content_id: contentId.replace(/^<|>$/g, "").slice(0, ATTACHMENT_NAME_MAX) } : file;
    }

    function getEml(item) {
      return officeAsync(Office, (cb) => item.getAsFileAsync(cb));
    }

    /**
     * What this Outlook lets the add-in read of a message: "eml" (the whole message, Mailbox 1.14),
     * "headers" (header block + body, 1.8) or "fields" (body and item fields only: Outlook on iOS and
     * Android, older Exchange). With "fields" the check is weaker, and the pane says so.
     */
    function itemAccess() {
      const item = currentItem();
      if (supports(Office, "1.14") && item && typeof item.getAsFileAsync === "function") return "eml";
      if (supports(Office, "1.8") && item && typeof item.getAllInternetHeadersAsync === "function") return "headers";
      return "fields";
    }

    /** Raw header block, or null where Mailbox 1.8 is missing or Outlook returns "" (e.g. drafts, some shared items). */
    async function getHeaders(item) {
      if (!supports(Office, "1.8") || typeof item.getAllInternetHeadersAsync !== "function") return null;
      try {
        const headers = await officeAsync(Office, (cb) => item.getAllInternetHeadersAsync(cb));
        return typeof headers === "string" && headers.trim() ? headers : null;
      } catch (err) {
        return null;
      }
    }

    async function getBody(item, coercion) {
      if (!item.body || typeof item.body.getAsync !== "function") return null;
      try {
        const body = await officeAsync(Office, (cb) => item.body.getAsync(coercion, cb));
        return typeof body === "string" ? body : null;
      } catch (err) {
        return null;
      }
    }

    /**
     * What we send for the current item: the whole EML where Mailbox 1.14 offers it, else the
     * parts Outlook lets us read. The HTML body is preferred (it keeps links); the text body is
     * the fallback. Reads run against `deadline` so a slow Outlook call can't eat the budget.
     */
    async function readItem(deadline, maxBytes) {
      const item = currentItem();
      if (!item) throw new ServiceError("office", "no item selected");
      const common = { locale: locale(), client: clientInfo() };
      const remaining = () => (deadline ? deadline - now() : 5000);
      // maxBytes 0: the parts only (the whole message was already refused as too large).
      const limit = maxBytes === undefined || maxBytes === null ? DEFAULT_CONFIG.max_report_bytes : Number(maxBytes);
      if (limit <= 0) common.truncated = true;
      else if (supports(Office, "1.14") && typeof item.getAsFileAsync === "function") {
        try {
          const eml = await withTimeout(deadline ? Math.min(1500, remaining() - 800) : 60000, () => getEml(item));
          // Over the service's limit: the parts below, marked as a reduced copy.
          if (typeof eml === "string" && eml && decodedLength(eml) <= limit) return Object.assign({ eml }, common);
          if (typeof eml === "string" && eml) common.truncated = true;
        } catch (err) {
          // fall through to the parts: a slow or refused getAsFileAsync must not cost the verdict
        }
      }
      const partsTimeout = Math.max(200, Math.min(1000, remaining() - 600));
      const settle = (promise) => withTimeout(partsTimeout, () => promise).catch(() => null);
      // A copy already too large for the service goes without files.
      const fetchFiles = !common.truncated && supports(Office, "1.8") && typeof item.getAttachmentContentAsync === "function";
      const [headers, html, text, ...files] = await Promise.all([
        settle(getHeaders(item)),
        settle(getBody(item, Office.CoercionType.Html)),
        settle(getBody(item, Office.CoercionType.Text)),
        ...(fetchFiles ? readableFiles(item).map((a) => settle(getFile(item, a))) : []),
      ]);
      const useHtml = typeof html === "string" && html.trim() !== "";
      return Object.assign(
        {
          headers: headers || headersFromItem(item),
          body: useHtml ? html : text || "",
          body_type: useHtml ? "html" : "text",
          ics: null,
          item: itemFields(item),
          files: files.filter(Boolean),
        },
        common,
      );
    }

    /**
     * Analyze the current item within TOTAL_BUDGET_MS. One quick retry if a network error leaves
     * enough time. Rejects with ServiceError; callers must show a neutral message, never "safe".
     */
    async function analyze() {
      const start = now();
      const deadline = start + TOTAL_BUDGET_MS;
      const left = () => deadline - now();
      const config = await loadConfig(Math.min(1000, left()));
      const [payload, headers] = await Promise.all([readItem(deadline, config.max_report_bytes), authHeaders(config)]);
      for (let attempt = 1; ; attempt++) {
        const timeoutMs = Math.min(Number(config.timeout_ms) || DEFAULT_CONFIG.timeout_ms, left());
        if (timeoutMs < 150) throw new ServiceError("timeout", "out of time for this message");
        try {
          return await request("POST", "/api/v1/analyze", payload, { headers, timeoutMs });
        } catch (err) {
          if (!(attempt === 1 && err.kind === "network" && left() > 900)) throw err;
          await sleep(150);
        }
      }
    }

    /** The reporting options the user ticked, as category ids (first one is the primary). */
    function categoriesFrom(options) {
      if (!Array.isArray(options)) return [];
      const picked = [];
      options.forEach((value, i) => {
        if (value === true && REPORT_CATEGORIES[i]) picked.push(REPORT_CATEGORIES[i]);
        else if (typeof value === "string" && REPORT_CATEGORIES.includes(value)) picked.push(value);
      });
      return picked;
    }

    /**
     * The report's category and comment from the reasons the user picked (ids of
     * REPORT_CATEGORIES, first is primary) and their free text. Reasons the service's category
     * doesn't already say are kept for the SOC as "[callback, invoice] ..." in the comment.
     */
    function reportFields(categories, freeText) {
      const picked = (categories || []).filter((id) => REPORT_CATEGORIES.includes(id));
      const category = SERVICE_CATEGORY[picked[0]] || "other";
      const text = String(freeText || "").trim();
      const says = picked.length === 1 && picked[0] === category;
      const prefix = picked.length && !says ? `[${picked.join(", ")}]` : "";
      return { category, comment: [prefix, text].filter(Boolean).join(" ") };
    }

    function reporter() {
      const profile = Office.context && Office.context.mailbox && Office.context.mailbox.userProfile;
      return (profile && profile.emailAddress) || "";
    }

    /**
     * POST a report ({categories, comment} as the user gave them), retrying with backoff (and
     * the service's Retry-After) on errors that may pass. onAttempt({attempt, total, error})
     * lets the caller show each retry.
     */
    async function report(payload, details, onAttempt) {
      const total = REPORT_RETRY_DELAYS_MS.length + 1;
      let lastError = null;
      let sending = payload;
      for (let attempt = 1; attempt <= total; attempt++) {
        if (onAttempt) onAttempt({ attempt, total, error: lastError });
        try {
          const config = await loadConfig(2000);
          const headers = await authHeaders(config);
          const body = Object.assign({}, sending, reportFields(details.categories, details.comment));
          const who = reporter();
          if (who) body.reporter = who;
          const result = await request("POST", "/api/v1/reports", body, { headers, timeoutMs: REPORT_ATTEMPT_TIMEOUT_MS });
          return Object.assign({}, result, { truncated: sending.truncated === true });
        } catch (err) {
          lastError = err;
          if (err instanceof ServiceError && err.status === 413 && sending.eml) {
            // The service takes less than config.json said (a proxy's limit): send the reduced copy.
            sending = await readItem(null, 0);
            continue;
          }
          if (!(err instanceof ServiceError) || !err.retryable || attempt === total) throw err;
          const backoff = REPORT_RETRY_DELAYS_MS[attempt - 1];
          await sleep(Math.max(backoff, Math.min(err.retryAfterMs || 0, MAX_RETRY_AFTER_MS)));
        }
      }
      throw lastError;
    }

    /** The infobar: ErrorMessage for phishing, InformationalMessage for suspicious, none for clean. */
    function showVerdictNotification(result) {
      const item = currentItem();
      if (!item || !item.notificationMessages) return Promise.resolve("unsupported");
      const messages = item.notificationMessages;
      const t = strings();
      const verdict = result && result.verdict;
      const banner = (result && result.banner) || {};
      const types = Office.MailboxEnums.ItemNotificationMessageType;
      if (verdict === "clean") {
        return officeAsync(Office, (cb) => messages.removeAsync(NOTIFICATION_KEY, cb))
          .then(() => "removed")
          .catch(() => "removed"); // nothing to remove is fine
      }
      let details;
      if (verdict === "phishing") {
        details = {
          type: types.ErrorMessage,
          message: truncateNotification(banner.notification || t.notificationPhishing),
        };
      } else {
        // suspicious, or no verdict at all (service trouble): informational, never "safe"
        const text = verdict === "suspicious" ? banner.notification || t.notificationSuspicious : t.unavailable;
        details = {
          type: types.InformationalMessage,
          message: truncateNotification(text),
          icon: "Icon.16",
          persistent: false,
        };
      }
      return officeAsync(Office, (cb) => messages.replaceAsync(NOTIFICATION_KEY, details, cb)).then(() => details);
    }

    /** Classic Outlook on Windows older than Version 2308, which wants postProcessingAction. */
    function wantsPostProcessingAction() {
      const diagnostics = Office.context && Office.context.mailbox && Office.context.mailbox.diagnostics;
      const onWindows = Office.context && Office.PlatformType && Office.context.platform === Office.PlatformType.PC;
      if (!onWindows || !diagnostics || diagnostics.hostName !== "Outlook") return false;
      const build = Number(String(diagnostics.hostVersion || "").split(".")[2]);
      return Number.isFinite(build) && build > 0 && build < MOVE_ITEM_TO_BUILD;
    }

    /** event.completed options: move to Junk (or leave it) in the property this Outlook understands. */
    function spamOutcome(toJunk, description) {
      const outcome = { onErrorDeleteItem: false, showPostProcessingDialog: { title: strings().reportDialogTitle, description } };
      if (wantsPostProcessingAction()) {
        outcome.postProcessingAction = toJunk ? "moveToSpamFolder" : "noMove";
      } else {
        const e = Office.MailboxEnums && Office.MailboxEnums.MoveSpamItemTo;
        outcome.moveItemTo = toJunk ? (e && e.JunkFolder) || "junkFolder" : (e && e.NoMove) || "noMove";
      }
      return outcome;
    }

    /**
     * Integrated spam reporting (Mailbox 1.14): the EML goes to /api/v1/reports with the ticked
     * reasons and the free text (a reduced copy when it is over the service's limit); the message
     * moves to Junk only once the service has it.
     */
    async function onSpamReport(event) {
      const t = strings();
      const categories = categoriesFrom(event && event.options);
      let outcome;
      try {
        const config = await loadConfig(2000);
        const payload = await readItem(null, config.max_report_bytes);
        const result = await report(payload, { categories, comment: event && event.freeText });
        const said = result.simulation ? t.reportSimulation : t.reportThanks;
        outcome = spamOutcome(true, result.truncated ? `${said} ${t.reportReduced}` : said);
      } catch (err) {
        // Not stored: leave the message where it is and say so; the user can report again.
        outcome = spamOutcome(false, t.reportFailed);
      }
      event.completed(outcome);
      return outcome;
    }

    return {
      baseUrl,
      locale,
      strings,
      loadConfig,
      itemAccess,
      readItem,
      analyze,
      report,
      categoriesFrom,
      reportFields,
      showVerdictNotification,
      onSpamReport,
    };
  }

  return {
    VERSION,
    NOTIFICATION_KEY,
    TOTAL_BUDGET_MS,
    REPORT_CATEGORIES,
    ServiceError,
    createClient,
    clientIn,
    baseUrlFrom,
    decodedLength,
    readableFiles,
    headersFromItem,
    truncateNotification,
    officeAsync,
    strings: i18n,
  };
});
