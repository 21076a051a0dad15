// Background logic against a fake `messenger` and a stub service implementing the v1 contract.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { loadSettings, normalizeBaseUrl, rawToBytes } from "../../../../static/thunderbird/core.mjs";
import { createFakeMessenger, loadLocale } from "./fake_messenger.mjs";
import { INBOX, JUNK, lastRender, PHISH_EML, PLAIN_EML, setup } from "./harness.mjs";
import { useStubService } from "./stub_service.mjs";

const en = loadLocale("en");
const de = loadLocale("de");

const stub = useStubService();

describe("analyze on display", () => {
  test("posts the raw message as message/rfc822 with locale and client key, then badges and injects", async () => {
    const { fake } = setup({ serviceUrl: stub.url, clientKey: "ck-123" });
    const [state] = await fake.display(7, [1]);
    assert.equal(state.status, "done");
    assert.equal(state.result.verdict, "phishing");

    const [req] = stub.requests;
    assert.equal(req.path, "/api/v1/analyze");
    assert.equal(req.headers["content-type"], "message/rfc822");
    assert.equal(req.headers["x-inviteguard-locale"], "de");
    assert.equal(req.query.locale, "de");
    assert.equal(req.headers["x-inviteguard-key"], "ck-123");
    assert.match(req.headers["x-inviteguard-client"], /^thunderbird\//);
    assert.deepEqual(req.body, Buffer.from(PHISH_EML, "utf8"), "raw bytes, UTF-8 8bit body intact");

    const badge = fake.badges.get(7);
    assert.equal(badge.text, "!");
    assert.equal(badge.color, "#b3261e");
    assert.equal(badge.icon[16], "icons/danger-16.png");
    assert.ok(badge.title.startsWith(de.actionTitlePhishing.message), badge.title);
    // The button's text is a short label; the long title is its tooltip.
    assert.equal(badge.label, de.actionLabelPhishing.message);
    assert.ok(badge.label.length <= 16, badge.label);

    const pushed = lastRender(fake, 7);
    assert.equal(pushed.kind, "banner");
    assert.equal(pushed.level, "danger");
    assert.match(pushed.html, /Don't call the number/);
    assert.equal(pushed.label, de.bannerLabel.message);

    // The display script's own request (pull) gets the same payload, without a second POST.
    const pulled = await fake.contentRequest(7);
    assert.deepEqual(pulled, pushed);
    assert.equal(stub.requests.length, 1);
  });

  test("getRaw returning a binary string (not a File) sends the same bytes", async () => {
    const { fake } = setup({ serviceUrl: stub.url, fake: { rawAs: "string" } });
    await fake.display(3, [1]);
    assert.deepEqual(stub.requests[0].body, Buffer.from(PHISH_EML, "utf8"));
    assert.deepEqual(fake.callsOf("messages.getRaw")[0].args, [1, { data_format: "File" }]);
  });

  test("a clean verdict shows no banner and never a 'safe' badge", async () => {
    const { fake } = setup({ serviceUrl: stub.url });
    const [state] = await fake.display(4, [2]);
    assert.equal(state.result.verdict, "clean");
    assert.deepEqual(lastRender(fake, 4), { kind: "none" });
    assert.equal(fake.badges.get(4).text, "");
    assert.equal(fake.badges.get(4).title, de.actionTitleClean.message);
  });

  test("no client key configured: no key header", async () => {
    const { fake } = setup({ serviceUrl: stub.url });
    await fake.display(4, [2]);
    assert.equal(stub.requests[0].headers["x-inviteguard-key"], undefined);
  });

  test("several messages selected: nothing is uploaded", async () => {
    const { fake } = setup({ serviceUrl: stub.url });
    const [state] = await fake.display(5, [1, 2]);
    assert.equal(state.status, "none");
    assert.equal(stub.requests.length, 0);
    assert.deepEqual(fake.badges.get(5), { text: "", color: "#4a4a4a", title: de.actionTitle.message,
      icon: { 16: "icons/shield-16.png", 32: "icons/shield-32.png" }, label: de.actionLabel.message });
  });

  test("the slot a moved message leaves is never read; the next message is", async () => {
    const { fake } = setup({ serviceUrl: stub.url, fake: { messages: {
      1: { raw: PHISH_EML, folder: INBOX, subject: "Invitation: PayPal Invoice" },
      2: { raw: PLAIN_EML, folder: INBOX, subject: "Lunch on Thursday?" },
      4: { vacant: true, folder: INBOX },
    } } });
    await fake.display(6, [1]);
    // Thunderbird 153 announces the vacated slot (size 0, no Message-ID), then the next message.
    const [vacated] = await fake.display(6, [4]);
    assert.equal(vacated.status, "none");
    assert.equal(fake.badges.get(6).text, "", "a neutral badge, not 'unavailable'");
    assert.deepEqual(fake.callsOf("messages.getRaw").map((c) => c.args[0]), [1]);
    const [next] = await fake.display(6, [2]);
    assert.equal(next.result.verdict, "clean");
    assert.deepEqual(fake.callsOf("messages.getRaw").map((c) => c.args[0]), [1, 2]);
  });

  test("the display script of a newly shown message never gets the previous message's banner", async () => {
    const { fake } = setup({ serviceUrl: stub.url });
    await fake.display(8, [1]);
    assert.equal(lastRender(fake, 8).kind, "banner");
    // Thunderbird swaps the message and the new page's script asks before onMessagesDisplayed fires.
    fake.messenger.messageDisplay.getDisplayedMessages = async () => ({ id: null, messages: [{ id: 2 }] });
    const payload = await fake.contentRequest(8);
    assert.deepEqual(payload, { kind: "none" });
    assert.equal(stub.requests.at(-1).body.toString("utf8").includes("Lunch on Thursday"), true);
  });

  test("re-selecting a message uses the local result cache", async () => {
    const { fake } = setup({ serviceUrl: stub.url });
    await fake.display(9, [1]);
    await fake.display(9, [2]);
    await fake.display(9, [1]);
    assert.equal(stub.requests.length, 2);
    assert.equal(fake.badges.get(9).text, "!");
  });
});

describe("never blocks reading", () => {
  test("a slow service times out quickly and leaves a neutral note, not a verdict", async () => {
    stub.behaviour.delayMs = 1500;
    const { fake } = setup({ serviceUrl: stub.url, timeouts: { analyzeMs: 250, reportMs: 250 } });
    const started = Date.now();
    const [state] = await fake.display(10, [1]);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1200, `took ${elapsed} ms`);
    assert.equal(state.status, "error");
    assert.equal(state.code, "timeout");
    const payload = lastRender(fake, 10);
    assert.deepEqual(payload, { kind: "note", text: de.noteUnavailable.message });
    assert.equal(fake.badges.get(10).text, "–");
    assert.equal(fake.badges.get(10).title, de.actionTitleUnavailable.message);
  });

  test("the default analyze timeout is about three seconds", async () => {
    const { DEFAULT_TIMEOUTS } = await import("../../../../static/thunderbird/core.mjs");
    assert.ok(DEFAULT_TIMEOUTS.analyzeMs <= 3000);
  });

  test("service errors and an unreachable service become the same neutral note", async () => {
    stub.behaviour.analyzeStatus = 500;
    const { fake } = setup({ serviceUrl: stub.url });
    const [state] = await fake.display(11, [1]);
    assert.equal(state.status, "error");
    assert.equal(lastRender(fake, 11).kind, "note");

    const down = setup({ serviceUrl: "http://127.0.0.1:9" });
    const [downState] = await down.fake.display(12, [1]);
    assert.equal(downState.status, "error");
    assert.equal(downState.code, "network");
    assert.equal(lastRender(down.fake, 12).text, de.noteUnavailable.message);
  });

  test("a refused client key and an oversized message get notes that say so", async () => {
    stub.behaviour.requiredKey = "the-right-key";
    const wrong = setup({ serviceUrl: stub.url, clientKey: "stale-key" });
    const [state] = await wrong.fake.display(16, [1]);
    assert.equal(state.code, "http_401");
    assert.deepEqual(lastRender(wrong.fake, 16), { kind: "note", text: de.noteNotAuthorized.message });
    const right = setup({ serviceUrl: stub.url, clientKey: "the-right-key" });
    assert.equal((await right.fake.display(17, [1]))[0].status, "done");

    stub.behaviour.requiredKey = "";
    stub.behaviour.analyzeStatus = 413;
    const big = setup({ serviceUrl: stub.url });
    await big.fake.display(18, [1]);
    assert.equal(lastRender(big.fake, 18).text, de.noteTooLarge.message);
  });

  test("no service URL configured: nothing is sent and the note says so", async () => {
    const { fake, fetches } = setup({ serviceUrl: "" });
    const [state] = await fake.display(13, [1]);
    assert.equal(state.code, "not_configured");
    assert.equal(fetches.length, 0);
    assert.equal(lastRender(fake, 13).text, de.noteNotConfigured.message);
  });

  test("a message that cannot be read becomes a note", async () => {
    const { fake } = setup({
      serviceUrl: stub.url,
      fake: { messages: { 1: { raw: "", rawError: "boom", folder: INBOX } } },
    });
    const [state] = await fake.display(14, [1]);
    assert.equal(state.status, "error");
    assert.equal(lastRender(fake, 14).kind, "note");
  });

  test("a display script that is not there yet does not break analysis", async () => {
    const { fake } = setup({ serviceUrl: stub.url, fake: { noDisplayScript: true } });
    const [state] = await fake.display(15, [1]);
    assert.equal(state.status, "done");
    assert.equal((await fake.contentRequest(15)).kind, "banner");
  });
});

describe("start-up", () => {
  test("registers the message display script once and sweeps already-open messages", async () => {
    const { fake, ig } = setup({
      serviceUrl: stub.url,
      fake: {
        tabs: [
          { id: 1, type: "mail", displayed: [1] },
          { id: 2, type: "messageDisplay", displayed: [2] },
          { id: 3, type: "addressBook" },
          { id: 4, type: "mail", displayed: [] },
        ],
      },
    });
    const states = (await ig.start()).filter(Boolean);
    assert.deepEqual(fake.registered, [{ id: "inviteguard-banner", js: ["display.js"], runAt: "document_end" }]);
    // Never asked for an id that may not be registered (Thunderbird logs an error for that).
    assert.ok(fake.callsOf("scripting.messageDisplay.getRegisteredScripts").every((c) => c.args[0] === undefined));
    assert.deepEqual(
      fake.callsOf("scripting.executeScript").map((c) => c.args[0]),
      [
        { target: { tabId: 1 }, files: ["display.js"] },
        { target: { tabId: 2 }, files: ["display.js"] },
      ],
    );
    assert.deepEqual(states.map((s) => [s.tabId, s.status]), [[1, "done"], [2, "done"]]);
    assert.equal(fake.badges.get(1).text, "!");
    assert.equal(stub.requests.length, 2);

    // The event page wakes up again in the same session: no second registration, no re-sweep.
    await ig.start();
    assert.equal(fake.callsOf("scripting.messageDisplay.registerScripts").length, 1);
    assert.equal(stub.requests.length, 2);
  });
});

describe("settings", () => {
  test("enterprise policy beats the options page, which beats the packaged defaults", async () => {
    const defaults = async () => ({ serviceUrl: "https://baked.example", clientKey: "baked", version: "1.0" });
    const both = createFakeMessenger({
      managed: { serviceUrl: "https://policy.example/", clientKey: "policy", reporterToken: "not-personal" },
      local: { serviceUrl: "https://local.example", clientKey: "local", reporterToken: " mine " },
    });
    assert.deepEqual(await loadSettings(both.messenger, defaults), {
      serviceUrl: "https://policy.example",
      clientKey: "policy",
      reporterToken: "mine", // personal: only ever from the options page
      sources: { serviceUrl: "managed", clientKey: "managed" },
      version: "1.0",
    });
    const localOnly = createFakeMessenger({ local: { clientKey: "local" } }); // no policy: managed throws
    const settings = await loadSettings(localOnly.messenger, defaults);
    assert.equal(settings.serviceUrl, "https://baked.example");
    assert.equal(settings.clientKey, "local");
    assert.deepEqual(settings.sources, { serviceUrl: "default", clientKey: "local" });
  });

  test("service URLs are validated", () => {
    assert.equal(normalizeBaseUrl("https://ig.example.com/"), "https://ig.example.com");
    assert.equal(normalizeBaseUrl("https://ig.example.com/sub/"), "https://ig.example.com/sub");
    assert.equal(normalizeBaseUrl("javascript:alert(1)"), "");
    assert.equal(normalizeBaseUrl("https://user:pw@ig.example.com"), "");
    assert.equal(normalizeBaseUrl("https://ig.example.com/?x=1"), "");
    assert.equal(normalizeBaseUrl(""), "");
  });

  test("rawToBytes accepts File, binary string and byte arrays", async () => {
    const expected = Buffer.from("Grüße\r\n", "utf8");
    assert.deepEqual(Buffer.from(await rawToBytes(new File([expected], "m.eml"))), expected);
    assert.deepEqual(Buffer.from(await rawToBytes(expected.toString("latin1"))), expected);
    assert.deepEqual(Buffer.from(await rawToBytes(new Uint8Array(expected))), expected);
    await assert.rejects(rawToBytes(42), TypeError);
  });
});

describe("popup and report", () => {
  test("the popup gets the reasons in full", async () => {
    const { fake } = setup({ serviceUrl: stub.url });
    await fake.display(20, [1]);
    const state = await fake.messenger.runtime.sendMessage({ type: "inviteguard:get-state", tabId: 20 });
    assert.equal(state.verdict, "phishing");
    assert.equal(state.canReport, true);
    assert.deepEqual(state.reasons.map((r) => r.id), ["trusted_relay", "callback_phone"]);
    assert.equal(state.reasons[1].detail, "The notes ask you to call +1 808 555 0199 <b>now</b>.");
  });

  test("the popup of an unreachable service still offers Report", async () => {
    stub.behaviour.analyzeStatus = 503;
    const { fake } = setup({ serviceUrl: stub.url });
    await fake.display(21, [1]);
    const state = await fake.messenger.runtime.sendMessage({ type: "inviteguard:get-state", tabId: 21 });
    assert.equal(state.status, "error");
    assert.equal(state.note, de.noteUnavailable.message);
    assert.equal(state.canReport, true);
  });

  test("Report posts the raw message, marks it junk, moves it to the junk folder and confirms", async () => {
    const { fake } = setup({ serviceUrl: stub.url, clientKey: "ck-9" });
    await fake.display(22, [1]);
    const result = await fake.messenger.runtime.sendMessage({
      type: "inviteguard:report",
      tabId: 22,
      comment: "Got this on my phone too",
    });
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.simulation, false);
    assert.ok(result.reportId);
    assert.equal(result.junked, true);
    assert.equal(result.moved, true);

    // The contract: JSON with the base64 message, the reader's own address and the client;
    // nothing in the query string (the service neither reads nor logs it there).
    const req = stub.requests.at(-1);
    assert.equal(req.path, "/api/v1/reports");
    assert.equal(req.headers["content-type"], "application/json");
    assert.equal(req.headers["x-inviteguard-key"], "ck-9");
    assert.equal(req.headers["x-inviteguard-reporter-token"], undefined);
    assert.deepEqual(req.query, {});
    assert.deepEqual(req.json, {
      eml: Buffer.from(PHISH_EML, "utf8").toString("base64"),
      reporter: "alice@example.org",
      client: { name: "thunderbird", version: "0.1.0" },
      category: "phishing",
      comment: "Got this on my phone too",
    });

    assert.deepEqual(fake.callsOf("messages.update").map((c) => c.args), [[1, { junk: true }]]);
    assert.deepEqual(fake.callsOf("folders.query").map((c) => c.args[0]), [{ accountId: "acc1", specialUse: ["junk"] }]);
    assert.deepEqual(fake.callsOf("messages.move").map((c) => c.args), [[[1], JUNK.id]]);
    assert.equal(fake.messages.get(1).folder.id, JUNK.id);
    assert.equal(fake.notifications.length, 1);
    assert.equal(fake.notifications[0].message, de.reportThanks.message);
    assert.equal(fake.notifications[0].type, "basic");

    const popup = await fake.messenger.runtime.sendMessage({ type: "inviteguard:get-state", tabId: 22 });
    assert.equal(popup.reported, true);
  });

  test("a simulated phish is answered with 'Well spotted'", async () => {
    stub.behaviour.simulation = true;
    const { fake } = setup({ serviceUrl: stub.url, fake: { uiLanguage: "en-US" } });
    await fake.display(23, [1]);
    const result = await fake.messenger.runtime.sendMessage({ type: "inviteguard:report", tabId: 23 });
    assert.equal(result.simulation, true);
    assert.equal(fake.notifications.at(-1).message, en.reportSimulation.message);
    assert.equal(en.reportSimulation.message, "Well spotted — this was a training exercise.");
    assert.equal(en.reportThanks.message, "Thanks — our security team has it.");
  });

  test("if the service cannot store the report, nothing is moved and the reader is told to retry", async () => {
    stub.behaviour.reportStatus = 503;
    const { fake } = setup({ serviceUrl: stub.url });
    await fake.display(24, [1]);
    const result = await fake.messenger.runtime.sendMessage({ type: "inviteguard:report", tabId: 24 });
    assert.equal(result.ok, false);
    assert.equal(result.status, 503);
    assert.equal(result.retryAfter, "30");
    assert.equal(result.message, de.reportRetryLater.message);
    assert.equal(fake.callsOf("messages.update").length, 0);
    assert.equal(fake.callsOf("messages.move").length, 0);
    assert.equal(fake.notifications.at(-1).message, de.reportRetryLater.message);
  });

  test("a rate-limited report is not moved either and asks to retry", async () => {
    stub.behaviour.reportStatus = 429;
    const { fake } = setup({ serviceUrl: stub.url });
    await fake.display(28, [1]);
    const result = await fake.messenger.runtime.sendMessage({ type: "inviteguard:report", tabId: 28 });
    assert.equal(result.ok, false);
    assert.equal(result.status, 429);
    assert.equal(result.message, de.reportRetryLater.message);
    assert.equal(fake.callsOf("messages.move").length, 0);
  });

  test("a report that times out is not silently dropped", async () => {
    const { fake } = setup({ serviceUrl: stub.url, timeouts: { analyzeMs: 3000, reportMs: 200 } });
    await fake.display(25, [1]);
    stub.behaviour.delayMs = 1000;
    const result = await fake.messenger.runtime.sendMessage({ type: "inviteguard:report", tabId: 25 });
    assert.equal(result.ok, false);
    assert.equal(result.code, "timeout");
    assert.equal(result.message, de.reportFailed.message);
    assert.equal(fake.callsOf("messages.move").length, 0);
  });

  test("a message already in the junk folder is not moved again; no junk folder is not fatal", async () => {
    const inJunk = setup({ serviceUrl: stub.url, fake: { messages: { 1: { raw: PHISH_EML, folder: JUNK } } } });
    await inJunk.fake.display(26, [1]);
    const r1 = await inJunk.fake.messenger.runtime.sendMessage({ type: "inviteguard:report", tabId: 26 });
    assert.equal(r1.ok, true);
    assert.equal(r1.moved, true);
    assert.equal(inJunk.fake.callsOf("messages.move").length, 0);

    const noJunk = setup({ serviceUrl: stub.url, fake: { accounts: { acc1: [INBOX] } } });
    await noJunk.fake.display(27, [1]);
    const r2 = await noJunk.fake.messenger.runtime.sendMessage({ type: "inviteguard:report", tabId: 27 });
    assert.equal(r2.ok, true);
    assert.equal(r2.junked, true);
    assert.equal(r2.moved, false);
    assert.equal(noJunk.fake.notifications.length, 1);
  });
});
