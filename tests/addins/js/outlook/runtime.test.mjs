// The files as Outlook loads them: classic Windows' JavaScript-only runtime gets one script
// (locales.js + core.js + commands.js, joined by GET /addin/outlook/runtime.js) with no DOM, no
// window and no location; Office.actions.associate must wire "onSpamReport" at load time.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import vm from "node:vm";

import { IG, REPO, STATIC, STRINGS, makeOffice, spamEvent, startStubService } from "./helpers.mjs";

let stub;
before(async () => {
  stub = await startStubService();
});
after(async () => {
  await stub.close();
});

function runtimeSource(baseUrl) {
  const parts = ["locales.js", "core.js", "commands.js"].map((f) => readFileSync(path.join(STATIC, f), "utf8"));
  return [`globalThis.InviteGuardBaseUrl = ${JSON.stringify(baseUrl)};`, ...parts].join("\n");
}

function jsRuntime(Office) {
  const associated = new Map();
  Office.actions = { associate: (name, fn) => associated.set(name, fn) };
  // Only what a JavaScript-only runtime offers: no window, document, location or module.
  const sandbox = { Office, fetch, AbortController, setTimeout, clearTimeout, console, URL };
  vm.createContext(sandbox);
  return { sandbox, associated };
}

test("the joined runtime script registers onSpamReport and reports through the service", async () => {
  const { Office } = makeOffice({ locale: "de-DE" });
  const { sandbox, associated } = jsRuntime(Office);
  vm.runInContext(runtimeSource(stub.url), sandbox, { filename: "runtime.js" });
  assert.deepEqual([...associated.keys()], ["onSpamReport"]);
  const event = spamEvent([false, false, false, true, false], "Werbung");
  associated.get("onSpamReport")(event);
  for (let i = 0; i < 100 && !event.completedWith; i++) await new Promise((r) => setTimeout(r, 20));
  const [post] = stub.posts("/api/v1/reports");
  assert.equal(post.body.category, "spam");
  assert.equal(post.body.comment, "Werbung");
  assert.equal(post.body.locale, "de-DE");
  assert.equal(event.completedWith.moveItemTo, "junkFolder");
  assert.equal(event.completedWith.showPostProcessingDialog.description, STRINGS.STRINGS.de.reportThanks);
});

test("a runtime that cannot find its service still completes the event and says so", async () => {
  const { Office } = makeOffice();
  const { sandbox, associated } = jsRuntime(Office);
  const source = runtimeSource("x").replace(/^globalThis\.InviteGuardBaseUrl = .*$/m, "");
  vm.runInContext(source, sandbox, { filename: "runtime.js" });
  const event = spamEvent([true], "");
  associated.get("onSpamReport")(event);
  for (let i = 0; i < 50 && !event.completedWith; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(event.completedWith.moveItemTo, "noMove");
  assert.equal(event.completedWith.showPostProcessingDialog.description, STRINGS.STRINGS.en.reportFailed);
});

test("the add-in's report categories say what the manifest's reporting options say, in every language", () => {
  const manifestStrings = JSON.parse(readFileSync(path.join(REPO, "addin_manifest/outlook/strings.json"), "utf8"));
  const optionIds = { callback: "Option.Callback", phishing: "Option.Phishing", invoice: "Option.Invoice", spam: "Option.Spam", other: "Option.Other" };
  const manifestXml = readFileSync(path.join(REPO, "addin_manifest/outlook/manifest.xml"), "utf8");
  const order = [...manifestXml.matchAll(/<Option resid="([^"]+)"\/>/g)].map((m) => m[1]);
  assert.deepEqual(order, IG.REPORT_CATEGORIES.map((id) => optionIds[id]));
  for (const lang of ["en", "de", "fr", "es"]) {
    for (const [id, resid] of Object.entries(optionIds)) {
      assert.equal(STRINGS.STRINGS[lang].categories[id], manifestStrings.short[resid][lang], `${lang} ${id}`);
    }
  }
});

test("every language has every string the English one has", () => {
  const keys = (o) => Object.keys(o).sort();
  for (const lang of ["de", "fr", "es"]) {
    assert.deepEqual(keys(STRINGS.STRINGS[lang]), keys(STRINGS.STRINGS.en), lang);
    assert.deepEqual(keys(STRINGS.STRINGS[lang].categories), keys(STRINGS.STRINGS.en.categories), lang);
    for (const key of ["unavailable", "notificationPhishing", "notificationSuspicious"]) {
      assert.ok(STRINGS.STRINGS[lang][key].length <= 150, `${lang}.${key} fits the infobar`);
    }
  }
  assert.equal(STRINGS.languageOf("de-AT"), "de");
  assert.equal(STRINGS.languageOf("pt-BR"), "en");
});
