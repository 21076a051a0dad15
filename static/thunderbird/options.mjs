// Options page: service URL and client key in storage.local. Values set by enterprise policy
// (storage.managed) win, so their fields are shown read-only.
import { loadSettings, normalizeBaseUrl, originPattern } from "./core.mjs";

const TEST_TIMEOUT_MS = 3000;

export async function initOptions({ messenger, document: doc, fetch, loadDefaults }) {
  const t = (name) => messenger.i18n.getMessage(name) || name;
  for (const el of doc.querySelectorAll("[data-i18n]")) {
    const text = messenger.i18n.getMessage(el.dataset.i18n);
    if (text) el.textContent = text;
  }
  const urlInput = doc.getElementById("serviceUrl");
  const keyInput = doc.getElementById("clientKey");
  const status = doc.getElementById("status");
  const say = (text, isError = false) => {
    status.textContent = text;
    status.className = isError ? "error" : "";
  };

  const settings = await loadSettings(messenger, loadDefaults);
  urlInput.value = settings.serviceUrl;
  keyInput.value = settings.clientKey;
  urlInput.disabled = settings.sources.serviceUrl === "managed";
  keyInput.disabled = settings.sources.clientKey === "managed";
  doc.getElementById("managed-note").hidden = !(urlInput.disabled || keyInput.disabled);

  doc.getElementById("options").addEventListener("submit", async (event) => {
    event.preventDefault();
    const serviceUrl = normalizeBaseUrl(urlInput.value);
    if (!urlInput.disabled && !serviceUrl) {
      say(t("optionsInvalidUrl"), true);
      return;
    }
    const values = {};
    if (!urlInput.disabled) values.serviceUrl = serviceUrl;
    if (!keyInput.disabled) values.clientKey = keyInput.value.trim();
    if (values.serviceUrl && messenger.permissions) {
      // A URL other than the one this package was built for needs its host permission granted.
      const origins = [originPattern(values.serviceUrl)];
      const has = await messenger.permissions.contains({ origins }).catch(() => false);
      const granted = has || (await messenger.permissions.request({ origins }).catch(() => false));
      if (!granted) {
        say(t("optionsPermissionDenied"), true);
        return;
      }
    }
    await messenger.storage.local.set(values);
    say(t("optionsSaved"));
  });

  doc.getElementById("test").addEventListener("click", async () => {
    const base = normalizeBaseUrl(urlInput.value);
    if (!base) {
      say(t("optionsInvalidUrl"), true);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TEST_TIMEOUT_MS);
    try {
      const response = await fetch(`${base}/healthz`, { signal: controller.signal, cache: "no-store" });
      say(response.ok ? t("optionsTestOk") : `${t("optionsTestFailed")} (HTTP ${response.status})`, !response.ok);
    } catch {
      say(t("optionsTestFailed"), true);
    } finally {
      clearTimeout(timer);
    }
  });
  return settings;
}

if (globalThis.messenger && globalThis.document) {
  initOptions({
    messenger: globalThis.messenger,
    document: globalThis.document,
    fetch: (...args) => globalThis.fetch(...args),
    loadDefaults: async () => (await globalThis.fetch(globalThis.messenger.runtime.getURL("defaults.json"))).json(),
  });
}
