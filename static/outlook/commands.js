/* InviteGuard Outlook add-in: function commands (integrated spam reporting).
 *
 * Runs in the function page (commands.html: Outlook on the web, new Outlook, Mac) and, with
 * locales.js and core.js prepended by the service (GET /addin/outlook/runtime.js), in classic
 * Outlook on Windows' JavaScript-only runtime. Office.actions.associate must run at load time. */
(function (root) {
  "use strict";
  const Office = root.Office;
  const IG = root.InviteGuardOutlook;
  if (!Office || !Office.actions || !IG) return;

  let client = null;
  function getClient() {
    if (!client) {
      client = IG.clientIn(root, Office);
    }
    return client;
  }

  function onSpamReport(event) {
    let pending;
    try {
      pending = getClient().onSpamReport(event);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.catch(() => {
      // client.onSpamReport completes the event itself; this only covers a client that could not
      // start. The message stays put and the user is told, so no report is silently lost.
      const t = IG.strings.stringsFor(Office.context && Office.context.displayLanguage);
      const moveTo = Office.MailboxEnums && Office.MailboxEnums.MoveSpamItemTo;
      event.completed({
        onErrorDeleteItem: false,
        moveItemTo: (moveTo && moveTo.NoMove) || "noMove",
        showPostProcessingDialog: { title: t.reportDialogTitle, description: t.reportFailed },
      });
    });
  }

  Office.actions.associate("onSpamReport", onSpamReport);
})(typeof globalThis !== "undefined" ? globalThis : this);
