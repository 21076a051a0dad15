// The Outlook add-in's client logic (static/outlook/core.js) under office-addin-mock, against a
// stand-in service that speaks the v1 JSON contract. live.test.mjs runs the same paths against
// the real service.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { IG, PHISHING, clientFor, makeOffice, spamEvent, startStubService } from "./helpers.mjs";

let stub;
before(async () => {
  stub = await startStubService();
});
after(async () => {
  await stub.close();
});
beforeEach(() => stub.reset());

describe("reading the item", () => {
  test("Mailbox 1.14: sends the EML from getAsFileAsync instead of the parts", async () => {
    const { Office, calls } = makeOffice({ sets: "1.14", locale: "de-DE" });
    const { client } = clientFor(Office, stub.url);
    const payload = await client.readItem(null);
    assert.equal(payload.eml, Buffer.from("Subject: hi\r\n\r\nhello\r\n").toString("base64"));
    assert.equal(payload.locale, "de-DE");
    assert.deepEqual(payload.client, { name: "outlook", version: IG.VERSION });
    assert.equal(payload.headers, undefined);
    assert.equal(calls.getAsFile, 1);
    assert.equal(calls.headers, 0);
  });

  test("Mailbox 1.8: internet headers, HTML body and the item fields", async () => {
    const { Office, calls } = makeOffice({ sets: "1.8", headers: "Received: x\r\nFrom: PayPal <noreply@email.apple.com>\r\n" });
    const { client } = clientFor(Office, stub.url);
    const payload = await client.readItem(null);
    assert.equal(payload.eml, undefined);
    assert.equal(payload.headers, "Received: x\r\nFrom: PayPal <noreply@email.apple.com>\r\n");
    assert.equal(payload.body, "<p>hello</p>");
    assert.equal(payload.body_type, "html");
    assert.equal(payload.ics, null);
    assert.deepEqual(payload.item, {
      item_class: "IPM.Schedule.Meeting.Request",
      subject: "Your PayPal Payment Receipt",
      from: '"PayPal" <noreply@email.apple.com>',
      start: "2025-11-05T17:00:00.000Z",
      end: "2025-11-05T18:00:00.000Z",
      location: "",
      attachments: [],
    });
    assert.equal(calls.getAsFile, 0);
    assert.equal(calls.headers, 1);
    assert.deepEqual([...calls.body].sort(), ["html", "text"]);
  });

  test("an empty header string means 'unavailable': the item's own fields stand in", async () => {
    const { Office } = makeOffice({ sets: "1.8", headers: "" });
    const { client } = clientFor(Office, stub.url);
    const payload = await client.readItem(null);
    assert.equal(payload.headers, 'From: "PayPal" <noreply@email.apple.com>\r\nSubject: Your PayPal Payment Receipt\r\n');
    assert.equal(payload.body_type, "html");
  });

  test("mobile (Mailbox 1.5): every field the item offers, one line each; text body when there is no HTML", async () => {
    const { Office, calls } = makeOffice({
      sets: "1.5", html: undefined, text: "Call +1 808 555 0199",
      item: {
        subject: "Your receipt\r\nX-Injected: yes",
        sender: { displayName: "Apple", emailAddress: "noreply@email.apple.com" },
        to: [{ displayName: "All Staff", emailAddress: "all-staff@contoso.com" }],
        cc: [{ displayName: "", emailAddress: "it@contoso.com" }],
        dateTimeCreated: new Date("2025-11-04T16:01:13Z"),
        internetMessageId: "<abc@email.apple.com>",
      },
    });
    const { client } = clientFor(Office, stub.url);
    const payload = await client.readItem(null);
    assert.equal(calls.headers, 0);
    assert.equal(calls.getAsFile, 0);
    assert.equal(client.itemAccess(), "fields");
    assert.equal(payload.headers, [
      'From: "PayPal" <noreply@email.apple.com>',
      'Sender: "Apple" <noreply@email.apple.com>',
      'To: "All Staff" <all-staff@contoso.com>',
      "Cc: it@contoso.com",
      "Subject: Your receipt X-Injected: yes",
      "Date: Tue, 04 Nov 2025 16:01:13 GMT",
      "Message-ID: <abc@email.apple.com>",
      "",
    ].join("\r\n"));
    assert.equal(payload.body, "Call +1 808 555 0199");
    assert.equal(payload.body_type, "text");
    assert.equal(payload.item.subject, "Your receipt\r\nX-Injected: yes");
  });

  test("the attachments' names go with the item fields, inline images and blanks left out", async () => {
    const { Office } = makeOffice({
      sets: "1.8",
      item: {
        attachments: [
          { name: "Refund_call_+1-866-555-0177.pdf", isInline: false },
          { name: "image001.png", isInline: true },
          { name: "  ", isInline: false },
          { name: `${"x".repeat(300)}.pdf`, isInline: false },
        ],
      },
    });
    const { client } = clientFor(Office, stub.url);
    const payload = await client.readItem(null);
    assert.deepEqual(payload.item.attachments, ["Refund_call_+1-866-555-0177.pdf", "x".repeat(255)]);
  });

  test("Mailbox 1.8: the bytes of readable attachments go as files; archives, links, big and failed ones do not", async () => {
    const pdf = Buffer.from("%PDF-1.4 refund desk +1 866 555 0177").toString("base64");
    const card = Buffer.from("BEGIN:VCARD\r\nFN:PayPal Support\r\nTEL:+18665550177\r\nEND:VCARD\r\n").toString("base64");
    const { Office, calls } = makeOffice({
      sets: "1.8",
      item: {
        attachments: [
          { id: "a1", name: "Invoice_4471.pdf", contentType: "application/pdf", size: 30000, attachmentType: "file" },
          { id: "a2", name: "scans.7z", contentType: "application/x-7z-compressed", size: 4000, attachmentType: "file" },
          { id: "a3", name: "Statement.pdf", contentType: "application/pdf", size: 2500000, attachmentType: "file" },
          { id: "a4", name: "Shared notes.docx", size: 1000, attachmentType: "cloud" },
          { id: "a5", name: "contact", contentType: "text/vcard", size: 200, attachmentType: "file" },
          { id: "a6", name: "Refund.txt", contentType: "text/plain", size: 100, attachmentType: "file" },
        ],
      },
      files: { a1: { format: "base64", content: pdf }, a5: { format: "base64", content: card } },
    });
    const { client } = clientFor(Office, stub.url);
    const payload = await client.readItem(null);
    // a6 was asked for and refused by Outlook; the archive, the 2.5 MB PDF and the cloud link never were.
    assert.deepEqual([...calls.attachments].sort(), ["a1", "a5", "a6"]);
    assert.deepEqual(payload.files, [
      { name: "Invoice_4471.pdf", content_type: "application/pdf", content: pdf },
      { name: "contact", content_type: "text/vcard", content: card },
    ]);
  });

  test("Mailbox 1.8: a picture drawn in the body goes with its content id, as the body's cid: names it", async () => {
    const png = Buffer.from("\x89PNG fake").toString("base64");
    const { Office } = makeOffice({
      sets: "1.8",
      item: {
        attachments: [
          { id: "p1", name: "image001.png", contentType: "image/png", size: 300, attachmentType: "file", isInline: true,
            contentId: "<s1@gs360>" },
          { id: "p2", name: "photo.png", contentType: "image/png", size: 300, attachmentType: "file", isInline: false,
            contentId: "ignored@x" },
        ],
      },
      files: { p1: { format: "base64", content: png }, p2: { format: "base64", content: png } },
    });
    const payload = await clientFor(Office, stub.url).client.readItem(null);
    assert.deepEqual(payload.files, [
      { name: "image001.png", content_type: "image/png", content: png, content_id: "s1@gs360" },
      { name: "photo.png", content_type: "image/png", content: png },
    ]);
  });

  test("Mailbox 1.8: an attached message goes as message/rfc822, its .eml text in UTF-8 base64", async () => {
    const eml = "From: Cathay <alerts@example.com>\r\nSubject: 轉帳圈存通知\r\n\r\n請致電 02 2745 1836\r\n";
    const { Office, calls } = makeOffice({
      sets: "1.8",
      item: {
        attachments: [
          { id: "m1", name: "notice", size: 900, attachmentType: "item" },
          { id: "m2", name: "dragged in Outlook on the web", size: 900, attachmentType: "item" },
        ],
      },
      files: { m1: { format: "eml", content: eml } },
    });
    const payload = await clientFor(Office, stub.url).client.readItem(null);
    assert.deepEqual([...calls.attachments].sort(), ["m1", "m2"]);
    assert.deepEqual(payload.files, [
      { name: "notice", content_type: "message/rfc822", content: Buffer.from(eml, "utf8").toString("base64") },
    ]);
  });

  test("Excel, PowerPoint, OpenDocument, RTF, ZIP and tar files are fetched as Word and PDF files are; other archives are not", () => {
    const named = (name, contentType = "application/octet-stream") => ({ id: name, name, contentType, size: 100, attachmentType: "file" });
    const chosen = IG.readableFiles({ attachments: [
      named("Rates.xlsx"), named("Avviso.odt"), named("docs.rar"), named("Avis.rtf"), named("notice", "text/rtf"),
    ] });
    assert.deepEqual(chosen.map((a) => a.id), ["Rates.xlsx", "Avviso.odt", "Avis.rtf", "notice"]);
    const slides = IG.readableFiles({ attachments: [
      named("Deck.PPTX"), named("deck", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
      named("old.ppt"), named("Factura", "application/x-zip-compressed"), named("logs.tar.gz"), named("docs.ZIP"),
    ] });
    assert.deepEqual(slides.map((a) => a.id), ["Deck.PPTX", "deck", "Factura", "logs.tar.gz"]);  // four at most
    const packed = IG.readableFiles({ attachments: [
      named("docs.ZIP"), named("notes.tgz"), named("Factura.pdf.gz"), named("packed", "application/x-tar"), named("x.rar"),
    ] });
    assert.deepEqual(packed.map((a) => a.id), ["docs.ZIP", "notes.tgz", "Factura.pdf.gz", "packed"]);
    const others = IG.readableFiles({ attachments: [
      named("scan", "application/vnd.oasis.opendocument.text"), named("photos.7z", "application/x-7z-compressed"),
      named("Posten", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), named("Tool.XLSM"),
    ] });
    assert.deepEqual(others.map((a) => a.id), ["scan", "Posten", "Tool.XLSM"]);
  });

  test("SVG pictures are fetched (their words are text); other drawings are not", () => {
    const named = (name, contentType = "application/octet-stream") => ({ id: name, name, contentType, size: 100, attachmentType: "file" });
    const chosen = IG.readableFiles({ attachments: [
      named("summary.svg"), named("drawing.bmp", "image/bmp"), named("drawing", "image/svg+xml"), named("scan.tiff"),
    ] });
    assert.deepEqual(chosen.map((a) => a.id), ["summary.svg", "drawing"]);
  });

  test("PNG, JPEG and GIF pictures are fetched, inline ones too, after the documents", () => {
    const named = (name, contentType = "application/octet-stream", more = {}) => ({ id: name, name, contentType, size: 100, attachmentType: "file", ...more });
    const chosen = IG.readableFiles({ attachments: [
      named("image001.png", "image/png", { isInline: true }), named("scan.JPG"), named("logo", "image/gif", { isInline: true }),
      named("Invoice.pdf", "application/pdf"), named("photo.jpeg", "image/jpeg"), named("diagram.bmp", "image/bmp"),
    ] });
    assert.deepEqual(chosen.map((a) => a.id), ["Invoice.pdf", "image001.png", "scan.JPG", "logo"]);
    const big = IG.readableFiles({ attachments: [named("poster.png", "image/png", { size: 2500000 })] });
    assert.deepEqual(big, []);  // past FILE_BYTES_MAX, as any file
  });

  test("at most four files within 4 MB are fetched, and none on mobile (Mailbox below 1.8)", async () => {
    const attachments = Array.from({ length: 6 }, (_, i) => ({
      id: `f${i}`, name: `doc${i}.pdf`, contentType: "application/pdf", size: 1500000, attachmentType: "file",
    }));
    const { Office, calls } = makeOffice({ sets: "1.8", item: { attachments } });
    await clientFor(Office, stub.url).client.readItem(null);
    assert.deepEqual(calls.attachments, ["f0", "f1"]);  // a third 1.5 MB file would pass 4 MB
    assert.equal(IG.readableFiles({ attachments: attachments.map((a) => ({ ...a, size: 100 })) }).length, 4);
    const mobile = makeOffice({ sets: "1.5", item: { attachments } });
    const payload = await clientFor(mobile.Office, stub.url).client.readItem(null);
    assert.deepEqual(payload.files, []);
    assert.deepEqual(mobile.calls.attachments, []);
  });

  test("what the item access says per client", () => {
    assert.equal(clientFor(makeOffice({ sets: "1.14" }).Office, stub.url).client.itemAccess(), "eml");
    assert.equal(clientFor(makeOffice({ sets: "1.8" }).Office, stub.url).client.itemAccess(), "headers");
    assert.equal(clientFor(makeOffice({ sets: "1.5" }).Office, stub.url).client.itemAccess(), "fields");
  });

  test("a message over the service's limit is read as its parts, marked truncated", async () => {
    const { Office, calls } = makeOffice({ sets: "1.14", eml: Buffer.alloc(3000, 65).toString("base64") });
    const { client } = clientFor(Office, stub.url);
    const whole = await client.readItem(null, 3000);
    assert.ok(whole.eml);
    assert.equal(whole.truncated, undefined);
    const reduced = await client.readItem(null, 2999);
    assert.equal(reduced.eml, undefined);
    assert.equal(reduced.truncated, true);
    assert.equal(reduced.headers, "Subject: hi\r\nFrom: a@example.com\r\n");
    assert.equal(reduced.body, "<p>hello</p>");
    assert.equal(calls.getAsFile, 2);
    assert.equal(IG.decodedLength(Buffer.alloc(3001, 1).toString("base64")), 3001);
    assert.equal(IG.decodedLength("QUI=\r\n"), 2);
  });

  test("a refused getAsFileAsync falls back to the parts", async () => {
    const { Office, calls } = makeOffice({ sets: "1.14", eml: undefined });
    const { client } = clientFor(Office, stub.url);
    const payload = await client.readItem(null);
    assert.equal(calls.getAsFile, 1);
    assert.equal(payload.eml, undefined);
    assert.equal(payload.body, "<p>hello</p>");
  });
});

describe("analyze and the infobar", () => {
  test("phishing: POSTs the EML with the locale, ErrorMessage infobar of at most 150 characters", async () => {
    const long = `${"Scam risk: call +1 808 555 0199 now ".repeat(8)}`;
    stub.behaviour.analyze = { ...PHISHING, banner: { ...PHISHING.banner, notification: long } };
    const { Office, calls } = makeOffice({ locale: "fr-FR" });
    const { client } = clientFor(Office, stub.url);
    const result = await client.analyze();
    assert.equal(result.verdict, "phishing");
    const [post] = stub.posts("/api/v1/analyze");
    assert.equal(post.headers["content-type"], "application/json");
    assert.equal(post.body.locale, "fr-FR");
    assert.ok(post.body.eml);
    assert.equal(post.headers.authorization, undefined);
    const shown = await client.showVerdictNotification(result);
    assert.equal(calls.replace.length, 1);
    assert.equal(calls.replace[0].key, IG.NOTIFICATION_KEY);
    assert.equal(shown.type, "errorMessage");
    assert.ok(shown.message.length <= 150, shown.message.length);
    assert.ok(shown.message.endsWith("…"));
    assert.ok(shown.message.startsWith("Scam risk: call +1 808 555 0199 now"));
  });

  test("suspicious: InformationalMessage with the manifest's icon, not persistent", async () => {
    const suspicious = { ...PHISHING, verdict: "suspicious", banner: { ...PHISHING.banner, level: "warning", notification: "Looks odd" } };
    const { Office, calls } = makeOffice();
    const { client } = clientFor(Office, stub.url);
    await client.showVerdictNotification(suspicious);
    assert.deepEqual(calls.replace[0].details, {
      type: "informationalMessage",
      message: "Looks odd",
      icon: "Icon.16",
      persistent: false,
    });
  });

  test("clean: the infobar is removed", async () => {
    const { Office, calls } = makeOffice();
    const { client } = clientFor(Office, stub.url);
    assert.equal(await client.showVerdictNotification({ verdict: "clean", banner: { level: "none" } }), "removed");
    assert.deepEqual(calls.remove, [IG.NOTIFICATION_KEY]);
    assert.equal(calls.replace.length, 0);
  });

  test("no verdict (service trouble): a neutral informational message, never removal", async () => {
    const { Office, calls } = makeOffice({ locale: "de-DE" });
    const { client } = clientFor(Office, stub.url);
    await client.showVerdictNotification(null);
    assert.equal(calls.remove.length, 0);
    assert.equal(calls.replace[0].details.type, "informationalMessage");
    assert.equal(calls.replace[0].details.message, IG.strings.STRINGS.de.unavailable);
  });

  test("client key deployments send X-InviteGuard-Key", async () => {
    stub.behaviour.config = { auth: "key", client_key: "k-123", timeout_ms: 2500 };
    const { Office } = makeOffice();
    const { client } = clientFor(Office, stub.url);
    await client.analyze();
    const [post] = stub.posts("/api/v1/analyze");
    assert.equal(post.headers["x-inviteguard-key"], "k-123");
    assert.equal(post.headers.authorization, undefined);
  });

  test("Entra deployments send the Office SSO token as a bearer token", async () => {
    stub.behaviour.config = { auth: "entra", client_key: "", timeout_ms: 2500 };
    const { Office, calls } = makeOffice({ token: "eyJ.sso.token" });
    const { client } = clientFor(Office, stub.url);
    await client.analyze();
    const [post] = stub.posts("/api/v1/analyze");
    assert.equal(post.headers.authorization, "Bearer eyJ.sso.token");
    assert.equal(post.headers["x-inviteguard-key"], undefined);
    assert.equal(calls.token[0].forMSGraphAccess, false);
  });

  test("a missing config route falls back to no auth instead of failing", async () => {
    stub.behaviour.configStatus = 404;
    const { Office } = makeOffice();
    const { client } = clientFor(Office, stub.url);
    assert.equal((await client.analyze()).verdict, "phishing");
  });

  test("a slow service is cut off: the whole round trip stays under 3 s and rejects as timeout", async () => {
    stub.behaviour.delayMs = 6000;
    const { Office } = makeOffice();
    const { client } = clientFor(Office, stub.url);
    const started = Date.now();
    await assert.rejects(client.analyze(), (err) => err instanceof IG.ServiceError && err.kind === "timeout");
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3000, `took ${elapsed} ms`);
  });

  test("an unreachable service rejects (the pane shows 'unavailable', never 'safe')", async () => {
    const { Office } = makeOffice();
    const { client } = clientFor(Office, "http://127.0.0.1:9");
    await assert.rejects(client.analyze(), (err) => ["network", "timeout"].includes(err.kind));
  });

  test("a 4xx from the service is an error with its code", async () => {
    stub.behaviour.analyzeStatuses = [422];
    const { Office } = makeOffice();
    const { client } = clientFor(Office, stub.url);
    await assert.rejects(client.analyze(), (err) => err.kind === "http" && err.status === 422 && !err.retryable);
  });
});

describe("integrated spam reporting (onSpamReport)", () => {
  test("EML, ticked reasons and free text go to /api/v1/reports; then Junk and the thank-you dialog", async () => {
    const { Office, calls } = makeOffice();
    const { client } = clientFor(Office, stub.url);
    const event = spamEvent([true, false, true, false, false], "They called me twice");
    await client.onSpamReport(event);
    const [post] = stub.posts("/api/v1/reports");
    assert.ok(post.body.eml);
    assert.equal(post.body.category, "phishing");
    assert.equal(post.body.comment, "[callback, invoice] They called me twice");
    assert.equal(post.body.reporter, "j.morgan@contoso.com");
    assert.equal(calls.getAsFile, 1);
    assert.deepEqual(event.completedWith, {
      onErrorDeleteItem: false,
      moveItemTo: "junkFolder",
      showPostProcessingDialog: { title: "InviteGuard", description: "Thanks — our security team has it." },
    });
  });

  test("a phishing simulation gets the training-exercise dialog", async () => {
    stub.behaviour.simulation = true;
    const { Office } = makeOffice();
    const { client } = clientFor(Office, stub.url);
    const event = spamEvent([false, true, false, false, false], "");
    await client.onSpamReport(event);
    const [post] = stub.posts("/api/v1/reports");
    assert.equal(post.body.category, "phishing");
    assert.equal(post.body.comment, "", "the service's category already says it");
    assert.equal(
      event.completedWith.showPostProcessingDialog.description,
      "Well spotted — this was a training exercise.",
    );
  });

  test("503 with Retry-After is retried with backoff until the service stores it", async () => {
    stub.behaviour.reportStatuses = [503, 503];
    stub.behaviour.reportHeaders = { "Retry-After": "2" };
    const { Office } = makeOffice({ locale: "es-ES" });
    const { client, sleeps } = clientFor(Office, stub.url);
    const event = spamEvent([false, false, false, false, true], "");
    await client.onSpamReport(event);
    assert.equal(stub.posts("/api/v1/reports").length, 3);
    assert.deepEqual(sleeps, [2000, 2000]);
    assert.equal(event.completedWith.moveItemTo, "junkFolder");
    assert.equal(event.completedWith.showPostProcessingDialog.description, IG.strings.STRINGS.es.reportThanks);
  });

  test("when every attempt fails the message stays put and the user is told", async () => {
    stub.behaviour.reportStatuses = [503, 503, 503, 503, 503];
    const { Office } = makeOffice();
    const { client, sleeps } = clientFor(Office, stub.url);
    const event = spamEvent([], "");
    await client.onSpamReport(event);
    assert.equal(stub.posts("/api/v1/reports").length, 4);
    assert.equal(sleeps.length, 3);
    assert.ok(sleeps[1] > sleeps[0] && sleeps[2] > sleeps[1], `backoff grows: ${sleeps}`);
    assert.equal(event.completedWith.moveItemTo, "noMove");
    assert.equal(event.completedWith.onErrorDeleteItem, false);
    assert.equal(event.completedWith.showPostProcessingDialog.description, IG.strings.STRINGS.en.reportFailed);
  });

  test("a 4xx is not retried", async () => {
    stub.behaviour.reportStatuses = [400];
    const { Office } = makeOffice();
    const { client } = clientFor(Office, stub.url);
    const event = spamEvent([true], "");
    await client.onSpamReport(event);
    assert.equal(stub.posts("/api/v1/reports").length, 1);
    assert.equal(event.completedWith.moveItemTo, "noMove");
  });

  test("a message over config.json's max_report_bytes is reported as a reduced copy, and the dialog says so", async () => {
    stub.behaviour.config = { ...stub.behaviour.config, max_report_bytes: 10 };
    const { Office } = makeOffice();
    const { client } = clientFor(Office, stub.url);
    const event = spamEvent([true], "");
    await client.onSpamReport(event);
    const [post] = stub.posts("/api/v1/reports");
    assert.equal(post.body.eml, undefined);
    assert.equal(post.body.truncated, true);
    assert.equal(post.body.headers, "Subject: hi\r\nFrom: a@example.com\r\n");
    assert.equal(post.body.body, "<p>hello</p>");
    assert.equal(post.body.reporter, "j.morgan@contoso.com");
    assert.deepEqual(post.body.client, { name: "outlook", version: IG.VERSION });
    assert.equal(event.completedWith.moveItemTo, "junkFolder");
    assert.equal(event.completedWith.showPostProcessingDialog.description,
      `${IG.strings.STRINGS.en.reportThanks} ${IG.strings.STRINGS.en.reportReduced}`);
  });

  test("a 413 (a proxy with a lower limit) sends the reduced copy instead", async () => {
    stub.behaviour.reportStatuses = [413];
    const { Office } = makeOffice();
    const { client } = clientFor(Office, stub.url);
    const event = spamEvent([true], "");
    await client.onSpamReport(event);
    const posts = stub.posts("/api/v1/reports");
    assert.deepEqual(posts.map((p) => [Boolean(p.body.eml), p.body.truncated === true]), [[true, false], [false, true]]);
    assert.equal(event.completedWith.moveItemTo, "junkFolder");
  });

  test("classic Outlook on Windows before Version 2308 gets postProcessingAction, later builds moveItemTo", async () => {
    const old = makeOffice({ platform: "PC", diagnostics: { hostName: "Outlook", hostVersion: "16.0.16626.20170" } });
    const event = spamEvent([true], "");
    await clientFor(old.Office, stub.url).client.onSpamReport(event);
    assert.equal(event.completedWith.postProcessingAction, "moveToSpamFolder");
    assert.equal(event.completedWith.moveItemTo, undefined);

    stub.behaviour.reportStatuses = [400];
    const refused = spamEvent([true], "");
    await clientFor(old.Office, stub.url).client.onSpamReport(refused);
    assert.equal(refused.completedWith.postProcessingAction, "noMove");

    const current = makeOffice({ platform: "PC", diagnostics: { hostName: "Outlook", hostVersion: "16.0.16724.10000" } });
    const later = spamEvent([true], "");
    await clientFor(current.Office, stub.url).client.onSpamReport(later);
    assert.equal(later.completedWith.moveItemTo, "junkFolder");
    assert.equal(later.completedWith.postProcessingAction, undefined);

    // Outlook on Mac reports hostName "Outlook" too, with its own version numbers.
    const mac = makeOffice({ platform: "Mac", diagnostics: { hostName: "Outlook", hostVersion: "16.81.1217.0" } });
    const onMac = spamEvent([true], "");
    await clientFor(mac.Office, stub.url).client.onSpamReport(onMac);
    assert.equal(onMac.completedWith.moveItemTo, "junkFolder");
  });

  test("without getAsFileAsync the report carries the parts Outlook can read", async () => {
    const { Office } = makeOffice({ sets: "1.8" });
    const { client } = clientFor(Office, stub.url);
    const progress = [];
    const payload = await client.readItem(null);
    const result = await client.report(payload, { categories: ["spam"], comment: "" }, (p) => progress.push(p.attempt));
    assert.equal(result.duplicate, false);
    const [post] = stub.posts("/api/v1/reports");
    assert.equal(post.body.eml, undefined);
    assert.equal(post.body.headers, "Subject: hi\r\nFrom: a@example.com\r\n");
    assert.equal(post.body.category, "spam");
    assert.deepEqual(progress, [1]);
  });
});

describe("report fields", () => {
  test("fine reasons map onto the service's phishing/spam/other and stay in the comment", () => {
    const { Office } = makeOffice();
    const { client } = clientFor(Office, stub.url);
    assert.deepEqual(client.reportFields(["callback"], " call me "), { category: "phishing", comment: "[callback] call me" });
    assert.deepEqual(client.reportFields(["spam"], ""), { category: "spam", comment: "" });
    assert.deepEqual(client.reportFields([], "odd"), { category: "other", comment: "odd" });
    assert.deepEqual(client.reportFields(["bogus"], ""), { category: "other", comment: "" });
    assert.deepEqual(client.reportFields(["invoice", "spam"], ""), { category: "phishing", comment: "[invoice, spam]" });
  });
});

describe("notification text", () => {
  test("never over 150 UTF-16 units, never splits a surrogate pair", () => {
    const emoji = "💳".repeat(100);
    const out = IG.truncateNotification(emoji);
    assert.ok(out.length <= 150);
    assert.ok(!/[\ud800-\udbff]…$/.test(out), "dangling high surrogate");
    assert.ok(out.endsWith("…"));
  });

  test("bidi overrides and control characters are removed, whitespace collapsed", () => {
    assert.equal(IG.truncateNotification("Call\u202e 9910 555 808 1+\u202c\n\nnow"), "Call 9910 555 808 1+ now");
  });

  test("short text is left alone", () => {
    assert.equal(IG.truncateNotification("Scam risk"), "Scam risk");
  });
});

describe("service URL", () => {
  test("from the page location, from the injected base, from the JS runtime URL", () => {
    assert.equal(IG.baseUrlFrom({ location: { href: "https://ig.example.com/p/static/outlook/taskpane.html" } }), "https://ig.example.com/p");
    assert.equal(IG.baseUrlFrom({ InviteGuardBaseUrl: "https://ig.example.com/" }), "https://ig.example.com");
    const Office = { context: { urls: { javascriptRuntimeUrl: "https://ig.example.com/addin/outlook/runtime.js" } } };
    assert.equal(IG.baseUrlFrom({}, Office), "https://ig.example.com");
  });
});
