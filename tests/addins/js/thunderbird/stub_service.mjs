// A tiny stand-in for the InviteGuard service that implements the v1 contract for analyze and
// reports, records every request, and can be told to be slow or to fail. The tests that need the
// real service use INVITEGUARD_URL instead (see live_service.test.mjs).
import { createServer } from "node:http";

export async function startStubService() {
  const requests = [];
  const behaviour = { delayMs: 0, analyzeStatus: 200, reportStatus: 202, simulation: false, duplicate: false };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const url = new URL(req.url, "http://stub");
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body });
      if (behaviour.delayMs) await new Promise((r) => setTimeout(r, behaviour.delayMs));
      if (res.destroyed) return;
      const send = (status, json, headers = {}) => {
        res.writeHead(status, { "Content-Type": "application/json", ...headers });
        res.end(JSON.stringify(json));
      };
      if (req.method !== "POST") return send(405, { error: { code: "method_not_allowed", message: "POST only" } });
      if (req.headers["content-type"] !== "message/rfc822") {
        return send(415, { error: { code: "unsupported_media_type", message: "expected message/rfc822" } });
      }
      const text = body.toString("utf8");
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
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}
