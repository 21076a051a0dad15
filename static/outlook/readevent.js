/* InviteGuard Outlook add-in: the warning without a click (opt-in preview, classic Outlook on Windows).
 *
 * With the event-based manifest (GET /addin/outlook/manifest-event-based.xml) Outlook runs
 * onStampedMessageRead when a message that carries X-InviteGuard-Verdict (stamped by
 * `inviteguard relay` or `inviteguard milter`) opens: the OnMessageReadWithCustomHeader event.
 * The handler asks the service for the verdict, as the task pane does (the gateway already put the
 * campaign in the verdict cache, so this is a lookup), and shows it in the notification bar. The
 * header only wakes the add-in: anyone can write one on a path that skipped the gateway, so its
 * value decides nothing. Loaded after core.js, in commands.html and in the JavaScript-only runtime. */
(function (root) {
  "use strict";
  const Office = root.Office;
  const IG = root.InviteGuardOutlook;
  if (!Office || !Office.actions || !IG) return;

  async function onStampedMessageRead(event) {
    try {
      const client = IG.clientIn(root, Office);
      let result = null;
      try {
        result = await client.analyze();
      } catch (err) {
        result = null; // shown as "could not check", never as safe
      }
      await client.showVerdictNotification(result);
    } catch (err) {
      // The notification helps; it is never a reason to leave the event open.
    }
    event.completed();
  }

  Office.actions.associate("onStampedMessageRead", onStampedMessageRead);
})(typeof globalThis !== "undefined" ? globalThis : this);
