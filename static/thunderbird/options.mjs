// Options page: service URL, client key and the personal reporter token in storage.local. Values
// set by enterprise policy (storage.managed) win, so their fields are shown read-only.
//
// permissions.request needs the user's click: Thunderbird refuses it after any `await`, so both
// the Save and the "Allow access" handlers ask first, synchronously, and only then await.
import { hasHostPermission, loadSettings, normalizeBaseUrl, originPattern } from "./core.mjs";

const TEST_TIMEOUT_MS = 3000;
export const SIGN_IN_PATH = "/reporter/sign-in";

export async function initOptions({ messenger, document: doc, fetch, loadDefaults }) {
  const t = (name, subs) => messenger.i18n.getMessage(name, subs) || name;
  for (const el of doc.querySelectorAll("[data-i18n]")) {
    const text = messenger.i18n.getMessage(el.dataset.i18n);
    if (text) el.textContent = text;
  }
  const urlInput = doc.getElementById("serviceUrl");
  const keyInput = doc.getElementById("clientKey");
  const tokenInput = doc.getElementById("reporterToken");
  const signIn = doc.getElementById("sign-in");
  const status = doc.getElementById("status");
  const say = (text, isError = false) => {
    status.textContent = text;
    status.className = isError ? "error" : "";
  };

  const settings = await loadSettings(messenger, loadDefaults);
  urlInput.value = settings.serviceUrl;
  keyInput.value = settings.clientKey;
  tokenInput.value = settings.reporterToken;
  urlInput.disabled = settings.sources.serviceUrl === "managed";
  keyInput.disabled = settings.sources.clientKey === "managed";
  doc.getElementById("managed-note").hidden = !(urlInput.disabled || keyInput.disabled);

  const showSignIn = () => {
    const base = normalizeBaseUrl(urlInput.value);
    signIn.textContent = base ? base + SIGN_IN_PATH : "";
    signIn.href = base ? base + SIGN_IN_PATH : "#";
    doc.getElementById("unverified-note").hidden = tokenInput.value.trim() !== "";
  };
  urlInput.addEventListener("input", showSignIn);
  tokenInput.addEventListener("input", showSignIn);
  showSignIn();

  // The URL saved last (or baked in): whether Thunderbird lets the add-on reach it.
  const missing = doc.getElementById("permission-missing");
  const showPermission = async (base) => {
    const granted = !base || (await hasHostPermission(messenger, base));
    missing.hidden = granted;
    if (!granted) doc.getElementById("permission-text").textContent = t("optionsPermissionMissing", [new URL(base).origin]);
    return granted;
  };
  await showPermission(settings.serviceUrl);

  doc.getElementById("allow").addEventListener("click", () => {
    const base = normalizeBaseUrl(urlInput.value) || settings.serviceUrl;
    if (!base) return;
    messenger.permissions
      .request({ origins: [originPattern(base)] })
      .catch(() => false)
      .then(async (granted) => {
        await showPermission(base);
        say(granted ? t("optionsPermissionGranted") : t("optionsPermissionDenied"), !granted);
      });
  });

  doc.getElementById("options").addEventListener("submit", (event) => {
    event.preventDefault();
    const serviceUrl = normalizeBaseUrl(urlInput.value);
    if (!urlInput.disabled && !serviceUrl) {
      say(t("optionsInvalidUrl"), true);
      return;
    }
    const values = { reporterToken: tokenInput.value.trim() };
    if (!urlInput.disabled) values.serviceUrl = serviceUrl;
    if (!keyInput.disabled) values.clientKey = keyInput.value.trim();
    // Asked right here, in the click: a URL other than the one this package was built for needs
    // its host permission (an already granted one is answered at once, without a prompt).
    const asking = values.serviceUrl && messenger.permissions
      ? messenger.permissions.request({ origins: [originPattern(values.serviceUrl)] }).catch(() => false)
      : Promise.resolve(true);
    asking.then(async (granted) => {
      if (!granted) {
        say(t("optionsPermissionDenied"), true);
        return;
      }
      await messenger.storage.local.set(values);
      await showPermission(values.serviceUrl || settings.serviceUrl);
      say(t("optionsSaved"));
    });
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
