// The report contract (JSON, reporter, client, reporter token, reduced copies, try again), relay
// stamps, host permissions and the display script's port, against a fake `messenger` and a stub
// service that implements the service's side of each contract.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { headerBlock, MAX_REDUCED_BODY_CHARS, MAX_REPORT_BYTES } from "../../../../static/thunderbird/core.mjs";
import { loadLocale } from "./fake_messenger.mjs";
import { INBOX, JUNK, lastRender, PHISH_EML, PLAIN_EML, setup } from "./harness.mjs";
import { useStubService } from "./stub_service.mjs";

const de = loadLocale("de");

const stub = useStubService();

const reports = () => stub.requests.filter((r) => r.path === "/api/v1/reports");
const report = (fake, tabId, extra = {}) =>
  fake.messenger.runtime.sendMessage({ type: "inviteguard:report", tabId, ...extra });

// A message over the report limit: the lure plus a big attachment.
function hugeMessage() {
  const filler = "QUJD".repeat(Math.ceil((MAX_REPORT_BYTES + 1024) / 4)).replace(/(.{76})/g, "$1\r\n");
  return PHISH_EML.replace(/\r?\n\r?\n/, "\r\nX-Big: yes\r\n\r\n") + `\r\n--att\r\n${filler}\r\n`;
}

describe("who reports", () => {
  test("the identity the message was addressed to is the reporter", async () => {
    const { fake } = setup({
      serviceUrl: stub.url,
      fake: { identities: { acc1: [{ email: "first@example.org" }, { email: "All-Staff@example.org" }] } },
    });
    await fake.display(1, [1]);
    assert.equal((await report(fake, 1)).ok, true);
    assert.equal(reports()[0].json.reporter, "all-staff@example.org");
  });

  test("an account without identities (Local Folders) uses the default account's", async () => {
    const LOCAL = { id: "local://Inbox", accountId: "local", name: "Inbox", specialUse: ["inbox"] };
    const { fake } = setup({
      serviceUrl: stub.url,
      fake: {
        messages: { 1: { raw: PHISH_EML, folder: LOCAL } },
        accounts: { local: [LOCAL], acc1: [INBOX, JUNK] },
        identities: { acc1: [{ email: "bob@example.org" }] },
        defaultAccount: "acc1",
      },
    });
    await fake.display(1, [1]);
    await report(fake, 1);
    assert.equal(reports()[0].json.reporter, "bob@example.org");
  });

  test("the reporter token from the options page goes in its header, only on reports", async () => {
    const { fake } = setup({ serviceUrl: stub.url, fake: { local: { reporterToken: "rt-secret-1" } } });
    await fake.display(1, [1]);
    await report(fake, 1);
    const analyze = stub.requests.find((r) => r.path === "/api/v1/analyze");
    assert.equal(analyze.headers["x-inviteguard-reporter-token"], undefined);
    assert.equal(reports()[0].headers["x-inviteguard-reporter-token"], "rt-secret-1");
    assert.ok(!JSON.stringify(reports()[0].json).includes("rt-secret-1"), "the token never goes in the body");
  });
});

describe("large messages", () => {
  test("over the limit: the header block and the text are sent, marked truncated, and the reader is told", async () => {
    const big = hugeMessage();
    const { fake } = setup({
      serviceUrl: stub.url,
      fake: {
        messages: { 1: { raw: big, folder: INBOX } },
        textParts: { 1: [{ contentType: "text/html", content: "<p>html</p>" },
          { contentType: "text/plain", content: "Call +1 808 555 0199 now" }] },
      },
    });
    await fake.display(1, [1]);
    const result = await report(fake, 1);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.truncated, true);
    const [sent] = reports();
    assert.equal(sent.json.eml, undefined);
    assert.equal(sent.json.truncated, true);
    assert.equal(sent.json.headers, headerBlock(Buffer.from(big, "utf8")));
    assert.match(sent.json.headers, /X-Big: yes/);
    assert.ok(!sent.json.headers.includes("QUJD"), "no body in the header block");
    assert.equal(sent.json.body, "Call +1 808 555 0199 now");
    assert.equal(sent.json.body_type, "text");
    assert.equal(sent.json.reporter, "alice@example.org");
    assert.ok(sent.body.length < MAX_REPORT_BYTES);
    assert.ok(result.message.endsWith(de.reportReduced.message), result.message);
    assert.equal(fake.notifications.at(-1).message, result.message.slice(0, 250));
    assert.equal(fake.messages.get(1).folder.id, JUNK.id);
  });

  test("the text of a reduced copy is bounded; HTML when there is no plain text", async () => {
    const { fake } = setup({
      serviceUrl: stub.url,
      fake: {
        messages: { 1: { raw: hugeMessage(), folder: INBOX } },
        textParts: { 1: [{ contentType: "text/html", content: "x".repeat(MAX_REDUCED_BODY_CHARS + 10) }] },
      },
    });
    await fake.display(1, [1]);
    await report(fake, 1);
    assert.equal(reports()[0].json.body_type, "html");
    assert.equal(reports()[0].json.body.length, MAX_REDUCED_BODY_CHARS);
  });

  test("a service with a lower limit (413) gets the reduced copy instead", async () => {
    stub.behaviour.maxReportBytes = 1000;
    const { fake } = setup({
      serviceUrl: stub.url,
      fake: { textParts: { 1: [{ contentType: "text/plain", content: "the notes" }] } },
    });
    await fake.display(1, [1]);
    const result = await report(fake, 1);
    assert.equal(result.ok, true);
    assert.equal(result.truncated, true);
    assert.deepEqual(reports().map((r) => Boolean(r.json.eml)), [true, false]);
    assert.equal(reports()[1].json.body, "the notes");
  });
});

describe("large messages on display", () => {
  test("a message too large to upload is checked by its header block, text and invitation", async () => {
    const big = hugeMessage();
    const { fake } = setup({
      serviceUrl: stub.url,
      fake: {
        messages: { 1: { raw: big, folder: INBOX } },
        textParts: { 1: [{ contentType: "text/html", content: "<p>Invitation</p>" },
          { contentType: "text/calendar", content: "BEGIN:VCALENDAR\r\nDESCRIPTION:call +1 808 555 0199\r\nEND:VCALENDAR" }] },
      },
    });
    const [state] = await fake.display(1, [1]);
    assert.equal(state.status, "done", JSON.stringify(state));
    const [sent] = stub.requests;
    assert.equal(sent.path, "/api/v1/analyze");
    assert.equal(sent.headers["content-type"], "application/json");
    assert.equal(sent.json.headers, headerBlock(Buffer.from(big, "utf8")));
    assert.deepEqual([sent.json.body, sent.json.body_type, sent.json.locale], ["<p>Invitation</p>", "html", "de"]);
    assert.match(sent.json.ics, /call \+1 808/);
    assert.ok(sent.body.length < 10_000, "the attachment stays on the reader's machine");
    assert.equal(lastRender(fake, 1).kind, "banner");
  });
});

describe("try again", () => {
  test("an unreachable service keeps the message where it is and offers to try again", async () => {
    const { fake } = setup({ serviceUrl: stub.url });
    await fake.display(1, [1]);
    const down = setup({ serviceUrl: "http://127.0.0.1:9" });
    await down.fake.display(1, [1]);
    const result = await report(down.fake, 1);
    assert.equal(result.ok, false);
    assert.equal(result.code, "network");
    assert.equal(result.retry, true);
    assert.equal(down.fake.callsOf("messages.move").length, 0);
    assert.equal(fake.callsOf("messages.move").length, 0);
  });

  test("503 offers to try again; a refused report (400) does not pretend it would help", async () => {
    stub.behaviour.reportStatus = 503;
    const { fake } = setup({ serviceUrl: stub.url });
    await fake.display(1, [1]);
    const busy = await report(fake, 1);
    assert.deepEqual([busy.ok, busy.retry, busy.message], [false, true, de.reportRetryLater.message]);
    stub.behaviour.reportStatus = 202;
    const again = await report(fake, 1);
    assert.equal(again.ok, true);
    assert.equal(reports().length, 2);
  });
});

describe("relay stamps", () => {
  const STAMPED = PHISH_EML.replace(/\r?\n\r?\n/,
    "\r\nX-InviteGuard-Verdict: phishing\r\nX-InviteGuard-Signature: v1=abc\r\n\r\n");

  test("a stamped message is answered from its stamp: only the header block is sent", async () => {
    stub.behaviour.stampStatus = 200;
    const { fake } = setup({ serviceUrl: stub.url, fake: { messages: { 1: { raw: STAMPED, folder: INBOX } } } });
    const [state] = await fake.display(1, [1]);
    assert.equal(state.status, "done");
    assert.equal(state.result.stamped, true);
    assert.deepEqual(stub.requests.map((r) => r.path), ["/api/v1/stamp"]);
    const [sent] = stub.requests;
    assert.equal(sent.headers["content-type"], "application/json");
    assert.deepEqual(sent.json, { headers: headerBlock(Buffer.from(STAMPED, "utf8")), locale: "de" });
    assert.ok(!sent.json.headers.includes("call +1"), "the body stays on the reader's machine");
    assert.equal(lastRender(fake, 1).html, "<p>Stamped warning</p>");
  });

  for (const status of [404, 409, 422]) {
    test(`stamp answered ${status}: the message is analysed as usual`, async () => {
      stub.behaviour.stampStatus = status;
      const { fake } = setup({ serviceUrl: stub.url, fake: { messages: { 1: { raw: STAMPED, folder: INBOX } } } });
      const [state] = await fake.display(1, [1]);
      assert.equal(state.status, "done");
      assert.deepEqual(stub.requests.map((r) => r.path), ["/api/v1/stamp", "/api/v1/analyze"]);
      assert.equal(lastRender(fake, 1).kind, "banner");
    });
  }

  test("no stamp header (a body line that looks like one does not count): no stamp call", async () => {
    const bodyOnly = PLAIN_EML + "\r\nX-InviteGuard-Signature: v1=forged-in-the-body\r\n";
    const { fake } = setup({ serviceUrl: stub.url, fake: { messages: { 2: { raw: bodyOnly, folder: INBOX } } } });
    await fake.display(1, [2]);
    assert.deepEqual(stub.requests.map((r) => r.path), ["/api/v1/analyze"]);
  });
});

describe("host permission", () => {
  test("without it nothing is sent and the note says how to fix it; granting it re-checks", async () => {
    const { fake, ig, fetches } = setup({ serviceUrl: stub.url, fake: { hostPermission: false } });
    const [state] = await fake.display(1, [1]);
    assert.equal(state.code, "no_permission");
    assert.equal(fetches.length, 0);
    const note = lastRender(fake, 1);
    assert.equal(note.kind, "note");
    assert.equal(note.text, de.noteNoPermission.message.replace("$1", stub.url));
    const popup = await fake.messenger.runtime.sendMessage({ type: "inviteguard:get-state", tabId: 1 });
    assert.equal(popup.note, note.text);
    const refused = await report(fake, 1);
    assert.deepEqual([refused.ok, refused.code], [false, "no_permission"]);
    assert.equal(reports().length, 0);

    await fake.messenger.permissions.request({ origins: ["http://127.0.0.1/*"] });
    await ig.onSettingsChanged();
    assert.equal(lastRender(fake, 1).kind, "banner");
    assert.deepEqual(fake.callsOf("permissions.contains").at(-1).args[0], { origins: ["http://127.0.0.1/*"] });
  });
});

describe("the display script's port", () => {
  test("a banner finished for the previous message is never pushed to the next one's page", async () => {
    stub.behaviour.delayMs = 300;
    const { fake } = setup({ serviceUrl: stub.url });
    const first = fake.display(1, [1]);
    await new Promise((r) => setTimeout(r, 50));
    stub.behaviour.delayMs = 0;
    await fake.display(1, [2]);
    await first;
    const pages = fake.displayPorts.filter((p) => p.tabId === 1);
    assert.equal(pages.length, 2);
    assert.ok(pages[1].received.every((m) => m.payload.kind === "none"), JSON.stringify(pages[1].received));
    assert.ok(pages[0].received.every((m) => m.payload.kind !== "banner"), "the old page had gone");
  });

  test("a banner the message hides makes the background warn once by notification", async () => {
    const { fake } = setup({ serviceUrl: stub.url });
    await fake.display(1, [1]);
    const page = fake.displayPorts.at(-1);
    // Both arrive before the first is handled; the second is dropped at once, not after a race.
    page.post({ type: "inviteguard:banner-hidden" });
    page.post({ type: "inviteguard:banner-hidden" });
    for (let i = 0; i < 200 && !fake.notifications.length; i++) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(fake.notifications.map((n) => n.message), [de.bannerHiddenWarning.message]);
  });
});
