// The Outlook add-in's client logic against the REAL InviteGuard service (real app, real Redis),
// started by pytest (tests/test_outlook_addin.py), which passes INVITEGUARD_URL and a JSON file of
// messages as Outlook would expose them (INVITEGUARD_OUTLOOK_FIXTURES: EML, header block, bodies).
// Run by hand without INVITEGUARD_URL these tests are skipped; pytest checks that they ran.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

import { IG, clientFor, makeOffice, spamEvent } from "./helpers.mjs";

const SERVICE = process.env.INVITEGUARD_URL || "";
const options = { skip: SERVICE ? false : "INVITEGUARD_URL not set (pytest sets it to the live server)" };

function fixtures() {
  const file = process.env.INVITEGUARD_OUTLOOK_FIXTURES;
  assert.ok(file, "INVITEGUARD_OUTLOOK_FIXTURES must name the fixture file when INVITEGUARD_URL is set");
  return JSON.parse(readFileSync(file, "utf8"));
}

/** Outlook showing `message`: `sets` decides whether it offers the EML or only the parts. */
function outlookShowing(message, sets, locale = "en-US") {
  return makeOffice({
    sets,
    locale,
    eml: message.eml,
    headers: message.headers,
    html: message.html ?? undefined,
    text: message.text,
    item: { itemClass: message.item.item_class, subject: message.item.subject, from: message.item.from },
  });
}

describe("against the real service", options, () => {
  test("live: the deployment's client config is served", async () => {
    const response = await fetch(`${SERVICE}/addin/outlook/config.json`);
    assert.equal(response.status, 200, "GET /addin/outlook/config.json (addins_outlook.register wired?)");
    const config = await response.json();
    assert.ok(["entra", "key", "none"].includes(config.auth), JSON.stringify(config));
    assert.ok(Number.isInteger(config.timeout_ms) && config.timeout_ms > 0 && config.timeout_ms <= 3000);
  });

  test("live: Mailbox 1.14 sends the EML; an iCloud callback scam gets the ErrorMessage infobar within 3 s", async () => {
    const { phish } = fixtures();
    const { Office, calls } = outlookShowing(phish, "1.14", "en-US");
    const { client } = clientFor(Office, SERVICE);
    const started = Date.now();
    const result = await client.analyze();
    const shown = await client.showVerdictNotification(result);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3000, `round trip took ${elapsed} ms`);
    assert.equal(calls.getAsFile, 1);
    assert.equal(result.verdict, "phishing", JSON.stringify(result).slice(0, 400));
    assert.equal(result.banner.level, "danger");
    assert.ok(result.reasons.length > 0);
    assert.equal(shown.type, "errorMessage");
    assert.ok(shown.message.length > 0 && shown.message.length <= 150);
    assert.equal(shown.message, IG.truncateNotification(result.banner.notification));
    assert.deepEqual(calls.replace.map((c) => c.key), [IG.NOTIFICATION_KEY]);
  });

  test("live: Mailbox 1.8 sends headers + body + item fields and still gets a warning", async () => {
    const { phish } = fixtures();
    const { Office, calls } = outlookShowing(phish, "1.8", "de-DE");
    const { client } = clientFor(Office, SERVICE);
    const result = await client.analyze();
    assert.equal(calls.getAsFile, 0);
    assert.equal(calls.headers, 1);
    assert.ok(["phishing", "suspicious"].includes(result.verdict), JSON.stringify(result).slice(0, 400));
    const shown = await client.showVerdictNotification(result);
    assert.equal(shown.type, result.verdict === "phishing" ? "errorMessage" : "informationalMessage");
    assert.ok(shown.message.length <= 150);
  });

  test("live: a colleague's lunch note is clean and the infobar is removed", async () => {
    const { clean } = fixtures();
    const { Office, calls } = outlookShowing(clean, "1.14");
    const { client } = clientFor(Office, SERVICE);
    const result = await client.analyze();
    assert.equal(result.verdict, "clean", JSON.stringify(result).slice(0, 400));
    assert.equal(await client.showVerdictNotification(result), "removed");
    assert.deepEqual(calls.remove, [IG.NOTIFICATION_KEY]);
    assert.equal(calls.replace.length, 0);
  });

  test("live: integrated spam report is stored (202) before the message moves to Junk", async () => {
    const { phish } = fixtures();
    const { Office } = outlookShowing(phish, "1.14");
    const { client } = clientFor(Office, SERVICE);
    const event = spamEvent([true, false, true, false, false], "Asked me to call about a $599 charge");
    const outcome = await client.onSpamReport(event);
    assert.equal(outcome.moveItemTo, "junkFolder", JSON.stringify(outcome));
    assert.equal(outcome.onErrorDeleteItem, false);
    assert.ok(
      ["Thanks — our security team has it.", "Well spotted — this was a training exercise."].includes(
        outcome.showPostProcessingDialog.description,
      ),
    );
  });
});
