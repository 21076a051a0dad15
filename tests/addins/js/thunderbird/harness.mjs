// Shared set-up for the Thunderbird add-on tests: a fake messenger wired to core.mjs exactly the way
// background.js wires the real one.
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { createInviteGuard } from "../../../../static/thunderbird/core.mjs";
import { createFakeMessenger, REPO } from "./fake_messenger.mjs";

export const FIXTURES = join(REPO, "tests", "addins", "js", "thunderbird", "fixtures");
export const PHISH_EML = readFileSync(join(FIXTURES, "icloud_callback.eml"), "utf8");
export const PLAIN_EML = readFileSync(join(FIXTURES, "plain.eml"), "utf8");

export const INBOX = { id: "acc1://INBOX", accountId: "acc1", name: "Inbox", path: "/INBOX", specialUse: ["inbox"] };
export const JUNK = { id: "acc1://Junk", accountId: "acc1", name: "Junk", path: "/Junk", specialUse: ["junk"] };

export function setup({ serviceUrl, clientKey = "", timeouts, fake: fakeOptions = {} } = {}) {
  const fake = createFakeMessenger({
    uiLanguage: "de-DE",
    messages: {
      1: { raw: PHISH_EML, folder: INBOX, subject: "Invitation: PayPal Invoice", recipients: ["Staff <all-staff@example.org>"] },
      2: { raw: PLAIN_EML, folder: INBOX, subject: "Lunch on Thursday?", recipients: ["Alice <alice@example.org>"] },
    },
    accounts: { acc1: [INBOX, JUNK] },
    identities: { acc1: [{ email: "Alice@Example.org" }] },
    ...fakeOptions,
  });
  const fetches = [];
  const ig = createInviteGuard({
    messenger: fake.messenger,
    fetch: (url, init) => {
      fetches.push({ url, init });
      return fetch(url, init);
    },
    loadDefaults: async () => ({ serviceUrl: serviceUrl || "", clientKey, version: "0.1.0" }),
    timeouts: timeouts || { analyzeMs: 3000, reportMs: 8000 },
  });
  // Same wiring as background.js.
  fake.messenger.messageDisplay.onMessagesDisplayed.addListener((tab, list) => ig.onMessagesDisplayed(tab, list));
  fake.messenger.runtime.onMessage.addListener((message) => ig.onRuntimeMessage(message));
  fake.messenger.runtime.onConnect.addListener((port) => ig.onConnect(port));
  return { fake, ig, fetches };
}

/** What the display script now in `tabId` was last told to render (null: nothing yet). */
export function lastRender(fake, tabId) {
  const content = fake.displayPorts.filter((p) => p.tabId === tabId).at(-1);
  const renders = content ? content.received.filter((m) => m.type === "inviteguard:render") : [];
  return renders.length ? renders.at(-1).payload : null;
}
