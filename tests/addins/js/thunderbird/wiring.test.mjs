// The real background.js, loaded as Thunderbird loads it: with a global `messenger` and the real
// fetch, reading its service URL from the packaged defaults.json.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { createFakeMessenger } from "./fake_messenger.mjs";
import { INBOX, JUNK, PHISH_EML } from "./harness.mjs";
import { startStubService } from "./stub_service.mjs";

let stub;
before(async () => {
  stub = await startStubService();
});
after(async () => {
  await stub.close();
  delete globalThis.messenger;
});

test("background.js registers its listeners, the display script, and analyses what is shown", async () => {
  const fake = createFakeMessenger({
    uiLanguage: "fr-FR",
    defaults: { serviceUrl: stub.url, clientKey: "from-defaults", version: "0.1.0" },
    messages: { 1: { raw: PHISH_EML, folder: INBOX } },
    accounts: { acc1: [INBOX, JUNK] },
    tabs: [{ id: 1, type: "mail", displayed: [1] }],
  });
  globalThis.messenger = fake.messenger;
  await import("../../../../static/thunderbird/background.js");

  assert.equal(fake.messenger.messageDisplay.onMessagesDisplayed.listeners.length, 1);
  assert.equal(fake.messenger.runtime.onMessage.listeners.length, 1);
  assert.equal(fake.messenger.tabs.onRemoved.listeners.length, 1);
  assert.equal(fake.messenger.storage.onChanged.listeners.length, 1);

  // start() runs on load: it registers the display script and sweeps the already-open tab.
  const deadline = Date.now() + 5000;
  while (fake.badges.get(1)?.text !== "!" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(fake.registered.map((s) => s.id), ["inviteguard-banner"]);
  assert.equal(fake.badges.get(1).text, "!");
  assert.equal(stub.requests[0].headers["x-inviteguard-key"], "from-defaults");
  assert.equal(stub.requests[0].query.locale, "fr");

  const payload = await fake.contentRequest(1);
  assert.equal(payload.kind, "banner");
});
