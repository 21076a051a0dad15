// A tiny stand-in for the InviteGuard service that implements the v1 contract for analyze (raw
// message), reports (JSON only, as the service reads them) and stamp verification, records every
// request, and can be told to be slow or to fail. The tests that need the real service use
// INVITEGUARD_URL instead (see live_service.test.mjs).
import { createServer } from "node:http";
import { after, before, beforeEach } from "node:test";

export async function startStubService() {
  const requests = [];
  const defaults = () => ({
    delayMs: 0, analyzeStatus: 200, reportStatus: 202, simulation: false, duplicate: false, requiredKey: "",
    stampStatus: 404, maxReportBytes: Infinity,
  });
  const behaviour = defaults();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const url = new URL(req.url, "http://stub");
      const body = Buffer.concat(chunks);
      let json = null;
      if (req.headers["content-type"] === "application/json") {
        try {
          json = JSON.parse(body.toString("utf8"));
        } catch {
          json = null;
        }
      }
      requests.push({ method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body, json });
      if (behaviour.delayMs) await new Promise((r) => setTimeout(r, behaviour.delayMs));
      if (res.destroyed) return;
      const send = (status, json, headers = {}) => {
        res.writeHead(status, { "Content-Type": "application/json", ...headers });
        res.end(JSON.stringify(json));
      };
      if (req.method !== "POST") return send(405, { error: { code: "method_not_allowed", message: "POST only" } });
      // Analyze takes the raw message or JSON parts; reports and stamps take JSON only.
      const wants = url.pathname === "/api/v1/analyze" ? ["message/rfc822", "application/json"] : ["application/json"];
      if (!wants.includes(req.headers["content-type"])) {
        return send(415, { error: { code: "unsupported_media_type", message: `expected ${wants.join(" or ")}` } });
      }
      const text = json ? `${json.headers || ""}\n${json.body || ""}\n${json.ics || ""}` : body.toString("utf8");
      if (url.pathname === "/api/v1/stamp") {
        if (behaviour.stampStatus !== 200) {
          return send(behaviour.stampStatus, { error: { code: "stamp_invalid", message: "stub says no" } });
        }
        return send(200, {
          verdict: "phishing", score: 97, stamped: true,
          reasons: [{ id: "stamped", title: "Checked when it arrived", detail: "The mail gateway checked it.", evidence: {} }],
          banner: { level: "danger", title: "Stamped: don't call", text: "Checked on arrival.", html: "<p>Stamped warning</p>",
            notification: "Stamped" },
          fingerprint: "stamp", cached: false, rules_version: "stub-1",
        });
      }
      if (url.pathname === "/api/v1/analyze") {
        if (behaviour.requiredKey && req.headers["x-inviteguard-key"] !== behaviour.requiredKey) {
          return send(401, { error: { code: "unauthorized", message: "bad client key" } });
        }
        if (behaviour.analyzeStatus !== 200) {
          return send(behaviour.analyzeStatus, { error: { code: "unavailable", message: "stub says no" } });
        }
        const phishing = /call \+1/i.test(text);
        return send(200, {
          verdict: phishing ? "phishing" : "clean",
          score: phishing ? 92 : 3,
          reasons: phishing
            ? [
                { id: "trusted_relay", title: "Apple really sent this", detail: "Anyone with an iCloud account can make Apple send an invite.", evidence: {} },
                { id: "callback_phone", title: "It asks you to call a number", detail: "The notes ask you to call +1 808 555 0199 <b>now</b>.", evidence: {} },
              ]
            : [],
          banner: phishing
            ? {
                level: "danger",
                title: "Don't call the number in this invite",
                text: "Apple really sent this, but the notes are written by a scammer.",
                html: "<p><strong>Don't call the number in this invite.</strong></p><p>The notes claim you paid $599 &lt;script&gt;.</p><script>document.title='pwned'</script><img src=x onerror=alert(1)>",
                notification: "Likely phishing: don't call the number.",
              }
            : { level: "none", title: "", text: "", html: "", notification: "" },
          fingerprint: "stub",
          cached: false,
          rules_version: "stub-1",
        });
      }
      if (url.pathname === "/api/v1/reports") {
        if (!json || typeof json !== "object") return send(400, { error: { code: "invalid_json", message: "not JSON" } });
        if (typeof json.eml === "string" && Buffer.from(json.eml, "base64").length > behaviour.maxReportBytes) {
          return send(413, { error: { code: "too_large", message: "too large" } });
        }
        if (behaviour.reportStatus === 503 || behaviour.reportStatus === 429) {
          const code = behaviour.reportStatus === 503 ? "unavailable" : "rate_limited";
          return send(behaviour.reportStatus, { error: { code, message: "not now" } }, { "Retry-After": "30" });
        }
        if (behaviour.simulation) return send(202, { simulation: true, report_id: "r-sim", duplicate: false });
        return send(202, { report_id: `r-${requests.length}`, duplicate: behaviour.duplicate, verdict: "phishing" });
      }
      return send(404, { error: { code: "not_found", message: "no such endpoint" } });
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    behaviour,
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

/** A stub started before a test file's tests, reset before each, closed after; use it as the stub. */
export function useStubService() {
  let started = null;
  before(async () => {
    started = await startStubService();
  });
  after(() => started.close());
  beforeEach(() => started.reset());
  return {
    get url() {
      return started.url;
    },
    get requests() {
      return started.requests;
    },
    get behaviour() {
      return started.behaviour;
    },
  };
}
