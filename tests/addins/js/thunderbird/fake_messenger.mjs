// A fake Thunderbird `messenger` namespace: just the API surface the add-on uses, recording every
// call so tests can assert on what the add-on did to the mail store and the UI.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = join(HERE, "..", "..", "..", "..");
export const LOCALES = join(REPO, "addin_manifest", "thunderbird", "_locales");

export function loadLocale(lang) {
  return JSON.parse(readFileSync(join(LOCALES, lang, "messages.json"), "utf8"));
}

function event() {
  const listeners = [];
  return {
    listeners,
    addListener: (fn) => listeners.push(fn),
    removeListener: (fn) => listeners.splice(listeners.indexOf(fn) >>> 0, 1),
    hasListener: (fn) => listeners.includes(fn),
    fire: (...args) => listeners.map((fn) => fn(...args)),
  };
}

function storageArea(initial, { absent = false } = {}) {
  const data = { ...initial };
  return {
    data,
    async get(keys) {
      if (absent) throw new Error("Managed storage manifest not found");
      if (keys == null) return { ...data };
      const list = typeof keys === "string" ? [keys] : Array.isArray(keys) ? keys : Object.keys(keys);
      return Object.fromEntries(list.filter((k) => k in data).map((k) => [k, structuredClone(data[k])]));
    },
    async set(values) {
      Object.assign(data, structuredClone(values));
    },
    async remove(keys) {
      for (const k of [].concat(keys)) delete data[k];
    },
  };
}

/**
 * options:
 *   messages: {id: {raw: string, folder: MailFolder, subject}}
 *   tabs: [{id, type, displayed: [messageId...]}]
 *   accounts: {accountId: [MailFolder...]}   flat folder list per account
 *   rawAs: "file" | "string"                 what getRaw returns (TB 128 MV3 default is File)
 *   local / managed (null = no policy) / uiLanguage
 *   identities: {accountId: [{email}]}       an account's identities (accounts.get)
 *   defaultAccount: accountId                what accounts.getDefault answers
 *   hostPermission: false                    permissions.contains answers false until request()
 *   textParts: {id: [{contentType, content}]} what messages.listInlineTextParts answers
 *   messages[id].vacant: true                 the emptied slot Thunderbird shows after a move
 */
export function createFakeMessenger(options = {}) {
  const calls = [];
  const record = (name, ...args) => calls.push({ name, args: structuredClone(args) });
  const lang = options.uiLanguage || "en-US";
  const strings = loadLocale(lang.split("-")[0] === "de" ? "de" : "en");
  const messages = new Map(Object.entries(options.messages || {}).map(([id, m]) => [Number(id), { ...m }]));
  const tabs = new Map((options.tabs || []).map((t) => [t.id, { ...t }]));
  const accounts = options.accounts || {};
  const badges = new Map();
  const notifications = [];
  const registered = [];
  const displayPorts = []; // the content side of every display-script port
  let hostPermission = options.hostPermission !== false;
  const identities = options.identities || {};

  const header = (id) => {
    const m = messages.get(id);
    if (!m) return null;
    // A vacant slot (what Thunderbird announces after a move) has no size and no Message-ID.
    return { id, subject: m.subject || "", folder: m.folder || null, junk: Boolean(m.junk),
      recipients: m.recipients || [], ccList: m.ccList || [],
      size: m.vacant ? 0 : Buffer.byteLength(m.raw || "", "utf8"),
      headerMessageId: m.vacant ? "" : m.headerMessageId || `fake-${id}@example.test` };
  };
  const badge = (tabId) => {
    if (!badges.has(tabId)) badges.set(tabId, {});
    return badges.get(tabId);
  };

  const messenger = {
    i18n: {
      getUILanguage: () => lang,
      // Like the real one: "$1".."$9" take the substitutions.
      getMessage: (name, subs) =>
        strings[name] ? strings[name].message.replace(/\$([1-9])/g, (_, n) => String([].concat(subs ?? [])[n - 1] ?? "")) : "",
    },
    runtime: {
      // defaults.json becomes a data: URL so the real background.js can fetch() it under Node.
      getURL: (path) =>
        path === "defaults.json" && options.defaults
          ? `data:application/json,${encodeURIComponent(JSON.stringify(options.defaults))}`
          : `moz-extension://fake-uuid/${path.replace(/^\//, "")}`,
      onMessage: event(),
      onConnect: event(),
      async sendMessage(message) {
        record("runtime.sendMessage", message);
        for (const fn of messenger.runtime.onMessage.listeners) {
          const reply = fn(message, {});
          if (reply !== undefined) return reply;
        }
        return undefined;
      },
    },
    storage: {
      local: storageArea(options.local || {}),
      managed: storageArea(options.managed || {}, { absent: options.managed == null }),
      session: storageArea({}),
      onChanged: event(),
    },
    messages: {
      async get(id) {
        record("messages.get", id);
        const h = header(id);
        if (!h) throw new Error(`Message not found: ${id}`);
        return h;
      },
      async getRaw(id, opts) {
        record("messages.getRaw", id, opts);
        const m = messages.get(id);
        if (!m) throw new Error(`Message not found: ${id}`);
        if (m.rawError) throw new Error(m.rawError);
        if (m.vacant) throw new Error("NS_ERROR_FAILURE [nsIMsgMessageService.streamMessage]");
        const binary = Buffer.from(m.raw, "utf8").toString("latin1"); // one char per byte
        if (options.rawAs === "string") return binary;
        return new File([Buffer.from(m.raw, "utf8")], "message.eml", { type: "message/rfc822" });
      },
      async listInlineTextParts(id) {
        record("messages.listInlineTextParts", id);
        return (options.textParts || {})[id] || [];
      },
      async update(id, props) {
        record("messages.update", id, props);
        const m = messages.get(id);
        if (!m) throw new Error(`Message not found: ${id}`);
        Object.assign(m, props);
      },
      async move(ids, destination) {
        record("messages.move", ids, destination);
        const folderId = typeof destination === "string" ? destination : destination.id;
        const all = Object.values(accounts).flat();
        const folder = all.find((f) => f.id === folderId);
        if (!folder) throw new Error(`Folder not found: ${folderId}`);
        for (const id of ids) messages.get(id).folder = folder;
      },
    },
    messageDisplay: {
      onMessagesDisplayed: event(),
      async getDisplayedMessages(tabId) {
        const tab = tabs.get(tabId);
        if (!tab) throw new Error(`Invalid tab: ${tabId}`);
        return { id: null, messages: (tab.displayed || []).map(header).filter(Boolean) };
      },
    },
    messageDisplayAction: {
      async setBadgeText({ tabId, text }) {
        badge(tabId).text = text;
      },
      async setBadgeBackgroundColor({ tabId, color }) {
        badge(tabId).color = color;
      },
      async setTitle({ tabId, title }) {
        badge(tabId).title = title;
      },
      async setIcon({ tabId, path }) {
        badge(tabId).icon = path;
      },
      async setLabel({ tabId, label }) {
        badge(tabId).label = label;
      },
    },
    scripting: {
      messageDisplay: {
        async getRegisteredScripts(filter) {
          record("scripting.messageDisplay.getRegisteredScripts", filter);
          const ids = filter && filter.ids;
          // Thunderbird logs an error for an id that is not registered; the fake refuses it.
          if (ids && ids.some((id) => !registered.some((s) => s.id === id))) throw new Error(`Unknown script id ${ids}`);
          return registered.filter((s) => !ids || ids.includes(s.id));
        },
        async registerScripts(scripts) {
          record("scripting.messageDisplay.registerScripts", scripts);
          for (const s of scripts) {
            if (registered.some((r) => r.id === s.id)) throw new Error(`Script ID "${s.id}" is already registered`);
          }
          registered.push(...scripts);
        },
      },
      async executeScript(injection) {
        record("scripting.executeScript", injection);
        return [];
      },
    },
    tabs: {
      onRemoved: event(),
      async query(info) {
        record("tabs.query", info);
        return [...tabs.values()].map((t) => ({ id: t.id, type: t.type, active: Boolean(t.active) }));
      },
    },
    folders: {
      async query({ accountId, specialUse }) {
        record("folders.query", { accountId, specialUse });
        return (accounts[accountId] || []).filter(
          (f) => !specialUse || specialUse.every((use) => (f.specialUse || []).includes(use)),
        );
      },
    },
    accounts: {
      async get(accountId) {
        if (!accounts[accountId]) return null;
        return { id: accountId, identities: identities[accountId] || [],
          rootFolder: { id: `${accountId}://`, subFolders: accounts[accountId] } };
      },
      async getDefault() {
        return options.defaultAccount ? messenger.accounts.get(options.defaultAccount) : null;
      },
    },
    notifications: {
      async create(id, opts) {
        notifications.push({ id, ...opts });
        return id;
      },
    },
    permissions: {
      onAdded: event(),
      onRemoved: event(),
      async contains(perms) {
        record("permissions.contains", perms);
        return hostPermission;
      },
      async request(perms) {
        record("permissions.request", perms);
        hostPermission = true;
        return true;
      },
    },
  };

  /**
   * Thunderbird shows `messageIds` in `tabId`: the previous message page goes (its display script's
   * port disconnects), the new page's display script connects and asks what to render, and
   * onMessagesDisplayed fires. Resolves to the listeners' results.
   */
  async function display(tabId, messageIds) {
    const tab = tabs.get(tabId) || { id: tabId, type: "mail" };
    tab.displayed = messageIds;
    tabs.set(tabId, tab);
    for (const content of displayPorts) if (content.tabId === tabId && content.connected) content.disconnect();
    if (!options.noDisplayScript && messageIds.length === 1) {
      connectDisplay(tabId).post({ type: "inviteguard:render-request" });
    }
    const list = { id: null, messages: messageIds.map(header) };
    return Promise.all(messenger.messageDisplay.onMessagesDisplayed.fire({ id: tabId, type: tab.type }, list));
  }

  /**
   * A display script loads in `tabId`: it connects a port (as runtime.connect does) and asks what
   * to render. Returns the content side: every message the background posted to it, in order.
   */
  function connectDisplay(tabId, { name = "inviteguard-display" } = {}) {
    const toBackground = event();
    const backgroundDisconnect = event();
    const content = { tabId, received: [], connected: true };
    const port = {
      name,
      sender: { tab: { id: tabId } },
      onMessage: toBackground,
      onDisconnect: backgroundDisconnect,
      postMessage(message) {
        if (!content.connected) throw new Error("Attempt to postMessage on disconnected port");
        content.received.push(structuredClone(message));
      },
    };
    content.post = (message) => toBackground.fire(message);
    content.disconnect = () => {
      content.connected = false;
      backgroundDisconnect.fire(port);
    };
    displayPorts.push(content);
    messenger.runtime.onConnect.fire(port);
    return content;
  }

  /** The display script in `tabId` asks the background what to render; resolves to the answer. */
  async function contentRequest(tabId) {
    const content = connectDisplay(tabId);
    content.post({ type: "inviteguard:render-request" });
    for (let i = 0; i < 2000 && !content.received.length; i++) await new Promise((r) => setTimeout(r, 5));
    content.disconnect();
    return content.received.length ? content.received[0].payload : undefined;
  }

  return {
    messenger,
    calls,
    callsOf: (name) => calls.filter((c) => c.name === name),
    badges,
    notifications,
    registered,
    displayPorts,
    messages,
    display,
    connectDisplay,
    contentRequest,
  };
}
