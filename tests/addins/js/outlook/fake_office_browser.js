// A fake Outlook `Office` for the task pane in real Chromium (tests/test_outlook_addin.py injects
// it with page.add_init_script after window.__IG_FAKE = {sets, locale, theme, items, current}).
// It records what the pane asks of Outlook in window.__igRecord; window.__igSelect(name) changes
// the selected message and fires ItemChanged like a pinned pane sees it.
(() => {
  "use strict";
  const cfg = window.__IG_FAKE;
  const record = (window.__igRecord = { replace: [], remove: [], handlers: {}, csp: [], calls: [] });
  document.addEventListener("securitypolicyviolation", (e) => {
    record.csp.push({ directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI });
  });
  const ok = (value) => ({ status: "succeeded", value });
  const failed = (message) => ({ status: "failed", error: { code: 9000, message } });
  const [major, minor] = cfg.sets.split(".").map(Number);
  const later = (cb, result) => setTimeout(() => cb(result), 5);

  function makeItem(name) {
    const m = cfg.items[name];
    const item = {
      itemClass: m.item.item_class,
      subject: m.item.subject,
      from: m.item.from,
      start: m.item.start ? new Date(m.item.start) : undefined,
      end: m.item.end ? new Date(m.item.end) : undefined,
      location: m.item.location || "",
      getAllInternetHeadersAsync(...args) {
        record.calls.push(`${name}:headers`);
        later(args[args.length - 1], ok(m.headers));
      },
      body: {
        getAsync(coercion, ...rest) {
          record.calls.push(`${name}:body:${coercion}`);
          const value = coercion === "html" ? m.html : m.text;
          later(rest[rest.length - 1], value == null ? failed("no body") : ok(value));
        },
      },
      notificationMessages: {
        replaceAsync(key, details, ...rest) {
          record.replace.push({ item: name, key, details });
          later(rest[rest.length - 1], ok());
        },
        removeAsync(key, ...rest) {
          record.remove.push({ item: name, key });
          later(rest[rest.length - 1], ok());
        },
      },
    };
    if (major > 1 || minor >= 14) {
      item.getAsFileAsync = (...args) => {
        record.calls.push(`${name}:eml`);
        later(args[args.length - 1], ok(m.eml));
      };
    }
    return item;
  }

  const mailbox = {
    item: cfg.current ? makeItem(cfg.current) : null,
    addHandlerAsync(type, handler, ...rest) {
      record.handlers[type] = handler;
      const cb = rest[rest.length - 1];
      if (typeof cb === "function") later(cb, ok());
    },
  };

  window.Office = {
    onReady(callback) {
      const info = { host: "Outlook", platform: "OfficeOnline" };
      setTimeout(() => callback && callback(info), 0);
      return Promise.resolve(info);
    },
    context: {
      displayLanguage: cfg.locale,
      officeTheme: cfg.theme || undefined,
      requirements: {
        isSetSupported(name, version) {
          const [a, b] = String(version).split(".").map(Number);
          return name === "Mailbox" && (a < major || (a === major && b <= minor));
        },
      },
      mailbox,
    },
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    CoercionType: { Text: "text", Html: "html" },
    EventType: { ItemChanged: "olkItemSelectedChanged", OfficeThemeChanged: "officeThemeChanged" },
    MailboxEnums: {
      ItemNotificationMessageType: { ErrorMessage: "errorMessage", InformationalMessage: "informationalMessage" },
      MoveSpamItemTo: { JunkFolder: "junkFolder", NoMove: "noMove" },
    },
  };

  window.__igSelect = (name) => {
    mailbox.item = name ? makeItem(name) : null;
    const handler = record.handlers.olkItemSelectedChanged;
    if (handler) handler({ type: "olkItemSelectedChanged" });
  };
})();
