// Background (MV3 event page). All logic lives in core.mjs; this file only wires the real
// Thunderbird APIs in and registers the listeners synchronously, as an event page must.
import { createInviteGuard } from "./core.mjs";

const inviteGuard = createInviteGuard({
  messenger,
  fetch: (...args) => fetch(...args),
  // defaults.json is generated per deployment by the service (service URL, client key, version).
  loadDefaults: async () => {
    const response = await fetch(messenger.runtime.getURL("defaults.json"));
    return response.ok ? response.json() : {};
  },
  log: (...args) => console.debug("InviteGuard:", ...args),
});

messenger.messageDisplay.onMessagesDisplayed.addListener((tab, displayed) => {
  inviteGuard.onMessagesDisplayed(tab, displayed);
});
messenger.runtime.onMessage.addListener((message) => inviteGuard.onRuntimeMessage(message));
messenger.runtime.onConnect.addListener((port) => inviteGuard.onConnect(port));
messenger.tabs.onRemoved.addListener((tabId) => inviteGuard.onTabRemoved(tabId));
messenger.storage.onChanged.addListener((_changes, area) => {
  if (area === "local" || area === "managed") inviteGuard.onSettingsChanged();
});
messenger.permissions.onAdded.addListener(() => inviteGuard.onSettingsChanged());
messenger.permissions.onRemoved.addListener(() => inviteGuard.onSettingsChanged());

inviteGuard.start();
