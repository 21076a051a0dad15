// The event-based variant's handler (static/outlook/readevent.js) as classic Outlook on Windows runs
// it: joined into the JavaScript-only runtime after core.js and commands.js, associated at load time,
// woken by OnMessageReadWithCustomHeader on X-InviteGuard-Verdict. It asks the service and shows the
// notification; it always completes the event.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, beforeEach, test } from "node:test";
import vm from "node:vm";

import { IG, STATIC, makeOffice, startStubService } from "./helpers.mjs";

let stub;
before(async () => {
  stub = await startStubService();
});
after(async () => {
  await stub.close();
});
beforeEach(() => stub.reset());

function loadRuntime(Office, baseUrl) {
  const associated = new Map();
  Office.actions = { associate: (name, fn) => associated.set(name, fn) };
  const sandbox = { Office, fetch, AbortController, setTimeout, clearTimeout, console, URL };
  vm.createContext(sandbox);
  const parts = ["locales.js", "core.js", "commands.js", "readevent.js"].map((f) =>
    readFileSync(path.join(STATIC, f), "utf8"),
  );
  vm.runInContext([`globalThis.InviteGuardBaseUrl = ${JSON.stringify(baseUrl)};`, ...parts].join("\n"), sandbox);
  return associated;
}

async function fire(handler) {
  const event = { completedTimes: 0, completed() { this.completedTimes += 1; } };
  handler(event);
  for (let i = 0; i < 200 && !event.completedTimes; i++) await new Promise((r) => setTimeout(r, 10));
  return event;
}

test("a stamped phishing message shows the service's warning without a click", async () => {
  const { Office, calls } = makeOffice({ locale: "de-DE" });
  const associated = loadRuntime(Office, stub.url);
  assert.deepEqual([...associated.keys()], ["onSpamReport", "onStampedMessageRead"]);
  const event = await fire(associated.get("onStampedMessageRead"));
  assert.equal(event.completedTimes, 1);
  assert.equal(stub.posts("/api/v1/analyze").length, 1);
  assert.equal(calls.replace.length, 1);
  assert.equal(calls.replace[0].key, IG.NOTIFICATION_KEY);
  assert.equal(calls.replace[0].details.type, "errorMessage");
});

test("a clean verdict removes any notification", async () => {
  stub.behaviour.analyze = { verdict: "clean", banner: { level: "none", notification: "" } };
  const { Office, calls } = makeOffice();
  const event = await fire(loadRuntime(Office, stub.url).get("onStampedMessageRead"));
  assert.equal(event.completedTimes, 1);
  assert.deepEqual(calls.remove, [IG.NOTIFICATION_KEY]);
  assert.equal(calls.replace.length, 0);
});

test("service trouble: a neutral message, never 'safe', and the event still completes", async () => {
  stub.behaviour.analyzeStatuses = [503, 503];
  const { Office, calls } = makeOffice({ locale: "fr-FR" });
  const event = await fire(loadRuntime(Office, stub.url).get("onStampedMessageRead"));
  assert.equal(event.completedTimes, 1);
  assert.equal(calls.remove.length, 0);
  assert.equal(calls.replace[0].details.type, "informationalMessage");
  assert.equal(calls.replace[0].details.message, IG.strings.STRINGS.fr.unavailable);
});
