// Shared pieces of the Outlook add-in's Node tests: the add-in's own modules, an Office object
// built with office-addin-mock, and a tiny stand-in for the InviteGuard service (JSON contract).
import { createServer } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { OfficeMockObject } from "office-addin-mock";

const require = createRequire(import.meta.url);
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
export const STATIC = path.join(REPO, "static", "outlook");
export const IG = require(path.join(STATIC, "core.js"));
export const STRINGS = require(path.join(STATIC, "locales.js"));

const SUCCEEDED = "succeeded";
const FAILED = "failed";

function ok(value) {
  return { status: SUCCEEDED, value };
}

function failed(message) {
  return { status: FAILED, error: { code: 9000, message } };
}

/**
 * An Outlook read-mode Office object. `sets` is the highest Mailbox requirement set the client
 * claims; `item` overrides item fields; `eml`, `headers`, `html`, `text` are what Outlook returns
 * (undefined = the call fails), `files` what getAttachmentContentAsync gives per attachment id;
 * `platform` and `diagnostics` say which Outlook it is. Every
 * notification and auth call is recorded in `calls`.
 */
export function makeOffice(options = {}) {
  const opts = {
    sets: "1.14",
    locale: "en-US",
    eml: Buffer.from("Subject: hi\r\n\r\nhello\r\n").toString("base64"),
    headers: "Subject: hi\r\nFrom: a@example.com\r\n",
    html: "<p>hello</p>",
    text: "hello",
    token: "token-from-office-sso",
    ...options,
  };
  const calls = { replace: [], remove: [], getAsFile: 0, headers: 0, body: [], token: [], attachments: [] };
  const [major, minor] = opts.sets.split(".").map(Number);
  const data = {
    AsyncResultStatus: { Succeeded: SUCCEEDED, Failed: FAILED },
    PlatformType: { PC: "PC", OfficeOnline: "OfficeOnline", Mac: "Mac", iOS: "iOS", Android: "Android" },
    CoercionType: { Text: "text", Html: "html" },
    EventType: { ItemChanged: "olkItemSelectedChanged" },
    MailboxEnums: {
      ItemNotificationMessageType: {
        ErrorMessage: "errorMessage",
        InformationalMessage: "informationalMessage",
        ProgressIndicator: "progressIndicator",
      },
      AttachmentContentFormat: { Base64: "base64", Url: "url", Eml: "eml", ICalendar: "iCalendar" },
      MoveSpamItemTo: {
        JunkFolder: "junkFolder",
        NoMove: "noMove",
        CustomFolder: "customFolder",
        DeletedItemsFolder: "deletedItemsFolder",
      },
    },
    auth: {
      getAccessToken: async (tokenOptions) => {
        calls.token.push(tokenOptions);
        if (!opts.token) throw Object.assign(new Error("no SSO"), { code: 13003 });
        return opts.token;
      },
    },
    context: {
      displayLanguage: opts.locale,
      platform: opts.platform || "OfficeOnline",
      requirements: {
        isSetSupported: (name, version) => {
          if (name !== "Mailbox") return false;
          const [a, b] = String(version).split(".").map(Number);
          return a < major || (a === major && b <= minor);
        },
      },
      mailbox: {
        userProfile: { emailAddress: opts.user || "j.morgan@contoso.com", displayName: "Jordan Morgan" },
        diagnostics: opts.diagnostics || { hostName: "OutlookWebApp", hostVersion: "15.20.9311.26" },
        item: {
          itemClass: "IPM.Schedule.Meeting.Request",
          subject: "Your PayPal Payment Receipt",
          from: { displayName: "PayPal", emailAddress: "noreply@email.apple.com" },
          start: new Date("2025-11-05T17:00:00Z"),
          end: new Date("2025-11-05T18:00:00Z"),
          location: "",
          ...(opts.item || {}),
          getAsFileAsync(...args) {
            calls.getAsFile += 1;
            const cb = args[args.length - 1];
            setImmediate(() => cb(opts.eml === undefined ? failed("getAsFileAsync refused") : ok(opts.eml)));
          },
          getAttachmentContentAsync(id, ...args) {
            calls.attachments.push(id);
            const cb = args[args.length - 1];
            const content = (opts.files || {})[id];
            setImmediate(() => cb(content === undefined ? failed("no such attachment") : ok(content)));
          },
          getAllInternetHeadersAsync(...args) {
            calls.headers += 1;
            const cb = args[args.length - 1];
            setImmediate(() => cb(opts.headers === undefined ? failed("no headers") : ok(opts.headers)));
          },
          body: {
            getAsync(coercion, ...rest) {
              calls.body.push(coercion);
              const cb = rest[rest.length - 1];
              const value = coercion === "html" ? opts.html : opts.text;
              setImmediate(() => cb(value === undefined ? failed("no body") : ok(value)));
            },
          },
          notificationMessages: {
            replaceAsync(key, details, ...rest) {
              calls.replace.push({ key, details });
              const cb = rest[rest.length - 1];
              setImmediate(() => cb(ok(undefined)));
            },
            removeAsync(key, ...rest) {
              calls.remove.push(key);
              const cb = rest[rest.length - 1];
              setImmediate(() => cb(ok(undefined)));
            },
          },
        },
      },
    },
  };
  if (major === 1 && minor < 14) delete data.context.mailbox.item.getAsFileAsync;
  const Office = new OfficeMockObject(data, "outlook");
  return { Office, calls };
}

/** A client wired like the real pages do it, but against `baseUrl`, with fast fake sleeps. */
export function clientFor(Office, baseUrl, extra = {}) {
  const sleeps = [];
  const client = IG.createClient({
    Office,
    baseUrl,
    fetch: globalThis.fetch,
    AbortController: globalThis.AbortController,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...extra,
  });
  return { client, sleeps };
}

/** A spam-reporting event as Outlook passes it to onSpamReport. */
export function spamEvent(options, freeText) {
  const event = {
    type: "SpamReporting",
    options,
    freeText,
    completedWith: null,
    completed(outcome) {
      event.completedWith = outcome;
    },
  };
  return event;
}

export const PHISHING = {
  verdict: "phishing",
  score: 97,
  reasons: [
    { id: "callback.phone", title: "Asks you to call a number", detail: "Call +1 808 555 0199 <b>now</b>", evidence: {} },
  ],
  banner: {
    level: "danger",
    title: "Scam warning",
    text: "Do not call.",
    html: '<div class="ig-banner" role="alert"><p>Scam warning</p></div>',
    notification: "Scam risk: asks you to call +1 808 555 0199 about a $599 PayPal charge",
  },
  fingerprint: "f",
  cached: false,
  rules_version: "test",
};

/**
 * The v1 contract with canned answers. `behaviour` can be changed by a test: per-path status
 * sequences (consumed one per request), a delay, extra response headers, the analyze body.
 */
export async function startStubService() {
  const requests = [];
  const defaults = () => ({
    config: { auth: "none", client_key: "", timeout_ms: 2500, max_report_bytes: 10485760 },
    configStatus: 200,
    analyze: PHISHING,
    analyzeStatuses: [],
    reportStatuses: [],
    reportHeaders: {},
    simulation: false,
    delayMs: 0,
  });
  const behaviour = defaults();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const url = new URL(req.url, "http://stub");
      const raw = Buffer.concat(chunks).toString("utf8");
      let body = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        body = raw;
      }
      requests.push({ method: req.method, path: url.pathname, headers: req.headers, body, at: Date.now() });
      const send = (status, json, headers = {}) => {
        if (res.destroyed) return;
        res.writeHead(status, { "Content-Type": "application/json", ...headers });
        res.end(JSON.stringify(json));
      };
      if (url.pathname === "/addin/outlook/config.json") {
        return behaviour.configStatus === 200
          ? send(200, behaviour.config)
          : send(behaviour.configStatus, { error: { code: "not_found", message: "no config" } });
      }
      if (behaviour.delayMs) await new Promise((r) => setTimeout(r, behaviour.delayMs));
      if (url.pathname === "/api/v1/analyze") {
        const status = behaviour.analyzeStatuses.shift() || 200;
        if (status !== 200) return send(status, { error: { code: "unavailable", message: "stub says no" } });
        return send(200, behaviour.analyze);
      }
      if (url.pathname === "/api/v1/reports") {
        const status = behaviour.reportStatuses.shift() || 202;
        if (status !== 202) {
          return send(status, { error: { code: "unavailable", message: "cannot store" } }, behaviour.reportHeaders);
        }
        const answer = { report_id: `r${requests.length}`, duplicate: false, verdict: "phishing" };
        if (behaviour.simulation) answer.simulation = true;
        return send(202, answer);
      }
      return send(404, { error: { code: "not_found", message: url.pathname } });
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    requests,
    behaviour,
    posts: (p) => requests.filter((r) => r.method === "POST" && r.path === p),
    /** Forget the requests and restore the default answers (between tests). */
    reset() {
      requests.length = 0;
      Object.assign(behaviour, defaults());
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}
