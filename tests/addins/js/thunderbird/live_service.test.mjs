// The add-on's background logic against the REAL InviteGuard service (real app, real Redis),
// started by pytest (tests/test_thunderbird_addon.py) and passed in as INVITEGUARD_URL.
// Run alone without that variable, these tests are skipped; pytest checks that they ran.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { loadLocale } from "./fake_messenger.mjs";
import { JUNK, lastRender, setup } from "./harness.mjs";

const SERVICE = process.env.INVITEGUARD_URL || "";
const KEY = process.env.INVITEGUARD_CLIENT_KEY || "";
const de = loadLocale("de");
const options = { skip: SERVICE ? false : "INVITEGUARD_URL not set (pytest sets it to the live server)" };

describe("against the real service", options, () => {
  test("live: analyze on display puts the service's danger banner into the message", async () => {
    const { fake } = setup({ serviceUrl: SERVICE, clientKey: KEY });
    const [state] = await fake.display(1, [1]);
    assert.equal(state.status, "done", JSON.stringify(state));
    assert.ok(["phishing", "suspicious"].includes(state.result.verdict), state.result.verdict);
    assert.ok(state.result.reasons.length > 0);
    assert.equal(typeof state.result.rules_version, "string");
    const payload = await fake.contentRequest(1);
    assert.equal(payload.kind, "banner");
    assert.ok(["danger", "warning"].includes(payload.level));
    assert.ok(payload.html.length > 0);
    assert.deepEqual(lastRender(fake, 1), payload);
    assert.ok(["!", "?"].includes(fake.badges.get(1).text));
    const popup = await fake.messenger.runtime.sendMessage({ type: "inviteguard:get-state", tabId: 1 });
    assert.equal(popup.reasons.length, state.result.reasons.length);
    assert.ok(popup.reasons.every((r) => r.title || r.detail));
  });

  test("live: a colleague's lunch invitation gets no banner", async () => {
    const { fake } = setup({ serviceUrl: SERVICE, clientKey: KEY });
    const [state] = await fake.display(2, [2]);
    assert.equal(state.status, "done", JSON.stringify(state));
    assert.equal(state.result.verdict, "clean");
    assert.deepEqual(await fake.contentRequest(2), { kind: "none" });
    assert.equal(fake.badges.get(2).text, "");
  });

  test("live: the same raw bytes analysed twice are served from the service's cache", async () => {
    const first = setup({ serviceUrl: SERVICE, clientKey: KEY });
    await first.fake.display(3, [1]);
    const second = setup({ serviceUrl: SERVICE, clientKey: KEY });
    const [state] = await second.fake.display(3, [1]);
    assert.equal(state.result.cached, true);
  });

  test("live: a timeout against the real service is a neutral note", async () => {
    const { fake } = setup({ serviceUrl: SERVICE, clientKey: KEY, timeouts: { analyzeMs: 1, reportMs: 1 } });
    const [state] = await fake.display(4, [2]);
    assert.equal(state.status, "error");
    assert.equal(state.code, "timeout");
    assert.deepEqual(lastRender(fake, 4), { kind: "note", text: de.noteUnavailable.message });
  });

  test("live: Report stores the message, marks it junk, moves it to junk and confirms", async () => {
    const { fake } = setup({ serviceUrl: SERVICE, clientKey: KEY });
    await fake.display(5, [1]);
    const result = await fake.messenger.runtime.sendMessage({
      type: "inviteguard:report",
      tabId: 5,
      comment: "Kalendereinladung mit Telefonnummer",
    });
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.ok(result.simulation || result.reportId, JSON.stringify(result));
    assert.equal(result.junked, true);
    assert.equal(result.moved, true);
    assert.equal(fake.messages.get(1).junk, true);
    assert.equal(fake.messages.get(1).folder.id, JUNK.id);
    const expected = result.simulation
      ? de.reportSimulation.message
      : result.duplicate
        ? de.reportDuplicate.message
        : de.reportThanks.message;
    assert.equal(fake.notifications.at(-1).message, expected);
  });
});
