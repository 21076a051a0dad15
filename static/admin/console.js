/*
 * InviteGuard admin console. No inline script anywhere (the page's CSP forbids it); every
 * request carries the session's CSRF token; text from the server or from messages is put into
 * the page with textContent. The one exception is the banner's HTML, which the server renders
 * with the same sandboxed, autoescaping renderer as the analyze API.
 */
"use strict";

(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const byId = (id) => document.getElementById(id);
  const PREVIEW_DELAY_MS = 250;

  const state = {
    model: null,
    drafts: {}, // locale -> {banner: {level: {field: text}}, reasons: {id: {field: text}}}
    sampleEml: null, // base64 of an uploaded .eml
    previewTimer: null,
    previewSeq: 0,
  };

  function status(text, isError) {
    const el = byId("status");
    el.textContent = text;
    el.classList.toggle("error", Boolean(isError));
  }

  async function api(method, url, body, contentType) {
    const headers = { "X-CSRF-Token": csrf, Accept: "application/json" };
    let payload;
    if (body !== undefined) {
      headers["Content-Type"] = contentType || "application/json";
      payload = contentType ? body : JSON.stringify(body);
    }
    const response = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (response.status === 401) {
      window.location.assign("/admin/login");
    }
    return { ok: response.ok, status: response.status, data };
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ------------------------------------------------------------------ tabs

  function showTab(name) {
    for (const tab of document.querySelectorAll(".tab")) {
      tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
    }
    for (const panel of document.querySelectorAll("[data-panel]")) {
      panel.hidden = panel.dataset.panel !== name;
    }
    if (name === "history") loadVersions();
    if (name === "org") loadOrg();
    if (name === "users") loadUsers();
  }

  // ------------------------------------------------------------------ banner text editor

  const BANNER = "__banner__";

  function currentLocale() {
    return byId("locale").value;
  }

  function currentReason() {
    return byId("reason").value;
  }

  function liveText(locale, section, key, field) {
    const data = state.model.texts[locale] || {};
    return (((data[section] || {})[key] || {})[field]) || "";
  }

  function draftOf(locale) {
    if (!state.drafts[locale]) state.drafts[locale] = { banner: {}, reasons: {} };
    return state.drafts[locale];
  }

  function fieldText(locale, section, key, field) {
    const draft = ((draftOf(locale)[section] || {})[key] || {})[field];
    return draft !== undefined ? draft : liveText(locale, section, key, field);
  }

  function setDraft(locale, section, key, field, text) {
    const sectionDraft = draftOf(locale)[section];
    if (!sectionDraft[key]) sectionDraft[key] = {};
    if (text === liveText(locale, section, key, field)) {
      delete sectionDraft[key][field];
      if (!Object.keys(sectionDraft[key]).length) delete sectionDraft[key];
    } else {
      sectionDraft[key][field] = text;
    }
    updateSaveState();
  }

  function hasDrafts() {
    return Object.values(state.drafts).some(
      (d) => Object.keys(d.banner).length || Object.keys(d.reasons).length,
    );
  }

  function updateSaveState() {
    byId("save").disabled = !hasDrafts();
  }

  function placeholderList(placeholders) {
    const details = el("details", { class: "placeholders" });
    details.appendChild(el("summary", {}, `Placeholders (${placeholders.length})`));
    const list = el("dl");
    for (const p of placeholders) {
      list.appendChild(el("dt", {}, `{{ ${p.name} }}`));
      list.appendChild(el("dd", {}, p.meaning));
    }
    details.appendChild(list);
    return details;
  }

  function fieldEditor(locale, section, key, field, label, placeholders) {
    const path = `${locale}.${section}.${key}.${field}`;
    const id = `field-${section}-${key}-${field}`.replace(/[^A-Za-z0-9_-]/g, "_");
    const wrap = el("div", { class: "field", "data-path": path });
    wrap.appendChild(el("label", { for: id }, label));
    const area = el("textarea", { id, rows: field === "detail" || field === "text" ? "5" : "2", spellcheck: "true",
      "data-field": field });
    area.value = fieldText(locale, section, key, field);
    area.addEventListener("input", () => {
      setDraft(locale, section, key, field, area.value);
      schedulePreview();
    });
    wrap.appendChild(area);
    if (field === "notification") {
      wrap.appendChild(el("p", { class: "muted" },
        `Outlook shows at most ${state.model.notification_limit} characters; facts are shortened first.`));
    }
    wrap.appendChild(el("p", { class: "field-error", role: "alert", id: `${id}-error` }));
    wrap.appendChild(placeholderList(placeholders));
    return wrap;
  }

  function renderFields() {
    const locale = currentLocale();
    const reason = currentReason();
    const container = byId("fields");
    container.replaceChildren();
    if (reason === BANNER) {
      byId("reason-help").textContent =
        "The banner's title and text per level; the strongest reason's detail is shown under them.";
      for (const level of state.model.levels) {
        const group = el("fieldset", { class: "level" });
        group.appendChild(el("legend", {}, level === "phishing" ? "Phishing (danger)" : "Suspicious (warning)"));
        for (const field of state.model.fields.banner) {
          group.appendChild(fieldEditor(locale, "banner", level, field, `${level} ${field}`,
            state.model.placeholders.banner));
        }
        container.appendChild(group);
      }
    } else {
      byId("reason-help").textContent = `Reason ${reason}: the preview shows it as the strongest reason.`;
      for (const field of state.model.fields.reasons) {
        container.appendChild(fieldEditor(locale, "reasons", reason, field, field,
          state.model.placeholders[reason] || []));
      }
    }
  }

  function showProblems(problems) {
    for (const wrap of document.querySelectorAll("#fields .field")) {
      const message = problems[wrap.dataset.path] || "";
      const error = wrap.querySelector(".field-error");
      error.textContent = message;
      wrap.classList.toggle("invalid", Boolean(message));
    }
  }

  function sampleSpec() {
    if (byId("sample").value === "upload" && state.sampleEml) return { eml: state.sampleEml };
    return "builtin:icloud";
  }

  function schedulePreview() {
    clearTimeout(state.previewTimer);
    state.previewTimer = setTimeout(runPreview, PREVIEW_DELAY_MS);
  }

  async function runPreview() {
    const seq = ++state.previewSeq;
    const locale = currentLocale();
    const reason = currentReason();
    const result = await api("POST", "/admin/api/preview", {
      locale,
      level: byId("level").value,
      reason: reason === BANNER ? null : reason,
      sample: sampleSpec(),
      draft: draftOf(locale),
    });
    if (seq !== state.previewSeq) return; // a newer keystroke's preview is on its way
    if (!result.ok) {
      status((result.data && result.data.error && result.data.error.message) || "Preview failed", true);
      return;
    }
    showPreview(result.data);
  }

  function showPreview(data) {
    const banner = data.banner;
    const info = data.preview;
    byId("preview-notification").textContent = banner.notification;
    const counter = byId("notification-counter");
    counter.textContent = `${info.notification_length}/${info.notification_limit}` +
      (info.notification_untrimmed_length > info.notification_limit
        ? ` (shortened from ${info.notification_untrimmed_length})` : "");
    counter.classList.toggle("over", info.notification_untrimmed_length > info.notification_limit);
    byId("variant-infobar").dataset.level = banner.level;
    byId("taskpane-banner").innerHTML = banner.html; // rendered by the API's sandboxed renderer
    byId("thunderbird-banner").innerHTML = banner.html;
    byId("thunderbird-subject").textContent = data.subject || "";
    const reasons = byId("taskpane-reasons");
    reasons.replaceChildren();
    for (const r of data.reasons.slice(0, 3)) {
      const item = el("li");
      item.appendChild(el("strong", { class: "reason-title" }, r.title));
      item.appendChild(el("span", { class: "reason-detail" }, r.detail));
      reasons.appendChild(item);
    }
    byId("preview-note").textContent = info.focus_present
      ? `Sample verdict: ${info.sample_verdict}.`
      : `The sample does not trigger this reason: its placeholders are empty here (sample verdict: ${info.sample_verdict}).`;
    showProblems(data.problems || {});
  }

  async function loadModel() {
    const result = await api("GET", "/admin/api/texts");
    if (!result.ok) {
      status("Cannot load the banner texts", true);
      return;
    }
    state.model = result.data;
    byId("version").textContent = `live: version ${state.model.version}`;
    const localeSelect = byId("locale");
    if (!localeSelect.options.length) {
      for (const locale of state.model.locales) localeSelect.appendChild(el("option", { value: locale }, locale));
      const reasonSelect = byId("reason");
      reasonSelect.appendChild(el("option", { value: BANNER }, "Banner title and text (per level)"));
      for (const id of state.model.reasons) reasonSelect.appendChild(el("option", { value: id }, id));
    }
    renderFields();
    updateSaveState();
    schedulePreview();
  }

  async function save() {
    const edits = {};
    for (const [locale, draft] of Object.entries(state.drafts)) {
      if (Object.keys(draft.banner).length || Object.keys(draft.reasons).length) edits[locale] = draft;
    }
    const result = await api("POST", "/admin/api/texts", { base_version: state.model.version, edits });
    if (!result.ok) {
      const error = (result.data && result.data.error) || {};
      showProblems(error.fields || {});
      status(error.message || "Saving failed", true);
      return;
    }
    state.drafts = {};
    status(`Saved: version ${result.data.version} is live.`);
    await loadModel();
  }

  function readFile(input, asText) {
    return new Promise((resolve, reject) => {
      const file = input.files && input.files[0];
      if (!file) {
        resolve(null);
        return;
      }
      const reader = new FileReader();
      reader.onerror = () => reject(reader.error);
      reader.onload = () => resolve(asText ? reader.result : String(reader.result).split(",", 2)[1] || "");
      if (asText) reader.readAsText(file);
      else reader.readAsDataURL(file);
    });
  }

  async function importYaml() {
    const text = await readFile(byId("import-file"), true);
    if (text === null) return;
    const result = await api("POST", "/admin/api/texts/import", text, "application/yaml");
    const error = result.data && result.data.error;
    if (!result.ok) {
      const fields = error && error.fields ? Object.entries(error.fields).map(([k, v]) => `${k}: ${v}`) : [];
      byId("import-result").textContent = [error ? error.message : "Import failed", ...fields].join("\n");
      status("Import refused", true);
    } else {
      byId("import-result").textContent =
        `Imported as version ${result.data.version} (${result.data.changed_fields} texts differ from the defaults).`;
      state.drafts = {};
      await loadModel();
    }
    byId("import-file").value = "";
  }

  // ------------------------------------------------------------------ history

  async function loadVersions() {
    const result = await api("GET", "/admin/api/versions");
    if (!result.ok) return;
    const body = byId("versions");
    body.replaceChildren();
    for (const v of result.data.versions) {
      const row = el("tr", { "data-version": String(v.version) });
      row.appendChild(el("td", {}, `${v.version}${v.live ? " (live)" : ""}`));
      row.appendChild(el("td", {}, v.saved_at ? new Date(v.saved_at * 1000).toLocaleString() : "—"));
      row.appendChild(el("td", {}, v.author));
      row.appendChild(el("td", {}, v.note));
      const changes = el("td");
      const show = el("button", { type: "button", class: "secondary show-diff" }, "Show changes");
      const diff = el("pre", { class: "diff", hidden: "" });
      show.addEventListener("click", async () => {
        const d = await api("GET", `/admin/api/versions/${v.version}`);
        if (!d.ok) return;
        diff.textContent = d.data.changes.length
          ? d.data.changes.map((c) => `${c.field}\n- ${c.before}\n+ ${c.after}`).join("\n\n")
          : `No text changes against version ${d.data.previous}.`;
        diff.hidden = false;
      });
      changes.append(show, diff);
      row.appendChild(changes);
      const actions = el("td");
      if (!v.live) {
        const rollback = el("button", { type: "button", class: "rollback" }, "Roll back to this");
        rollback.addEventListener("click", async () => {
          const r = await api("POST", `/admin/api/versions/${v.version}/rollback`);
          if (r.ok) {
            status(`Rolled back: version ${r.data.version} restores version ${r.data.restored}.`);
            state.drafts = {};
            await loadModel();
            await loadVersions();
          } else {
            status((r.data && r.data.error && r.data.error.message) || "Rollback failed", true);
          }
        });
        actions.appendChild(rollback);
      }
      row.appendChild(actions);
      body.appendChild(row);
    }
  }

  // ------------------------------------------------------------------ organisation

  const ORG_FIELDS = {
    "org-name": "org_name", "org-soc": "soc_contact", "org-threshold": "report_reporters_needed",
    "org-own-domains": "own_domains",
    "org-sim-headers": "simulation_headers", "org-sim-domains": "simulation_sender_domains",
    "org-mailbox": "soc_smtp_to", "org-webhook": "report_webhook_url",
  };

  async function loadOrg() {
    const result = await api("GET", "/admin/api/org");
    if (!result.ok) return;
    for (const [id, name] of Object.entries(ORG_FIELDS)) {
      const value = result.data[name];
      byId(id).value = value === null || value === undefined ? "" : String(value);
    }
  }

  async function saveOrg(event) {
    event.preventDefault();
    const body = {};
    for (const [id, name] of Object.entries(ORG_FIELDS)) body[name] = byId(id).value;
    const result = await api("PUT", "/admin/api/org", body);
    byId("org-error").textContent = result.ok ? "" : (result.data && result.data.error.message) || "Not saved";
    if (result.ok) status("Organisation settings saved.");
  }

  async function testReport() {
    byId("org-test-result").textContent = "Sending…";
    const result = await api("POST", "/admin/api/org/test-report");
    byId("org-test-result").textContent = result.ok
      ? Object.entries(result.data.results).map(([k, v]) => `${k}: ${v}`).join("; ")
      : (result.data && result.data.error.message) || "Failed";
  }

  // ------------------------------------------------------------------ accounts

  async function loadUsers() {
    const result = await api("GET", "/admin/api/users");
    if (!result.ok) return;
    const body = byId("users");
    body.replaceChildren();
    for (const user of result.data.users) {
      const row = el("tr", { "data-user": user.name });
      // A single-sign-on account is named by its identity; the provider's name for it is shown beside.
      row.appendChild(el("td", {}, user.display ? `${user.display} (${user.name})` : user.name));
      const roles = el("td");
      for (const role of ["editor", "analyst", "admin"]) {
        const label = el("label", { class: "inline" });
        const box = el("input", { type: "checkbox", value: role });
        box.checked = user.roles.includes(role);
        label.append(box, ` ${role} `);
        roles.appendChild(label);
      }
      row.appendChild(roles);
      row.appendChild(el("td", {}, user.source === "oidc" ? "single sign-on" : "password"));
      const actions = el("td");
      const saveRoles = el("button", { type: "button", class: "secondary" }, "Save roles");
      saveRoles.addEventListener("click", async () => {
        const chosen = [...roles.querySelectorAll("input:checked")].map((b) => b.value);
        const r = await api("PUT", `/admin/api/users/${encodeURIComponent(user.name)}`, { roles: chosen });
        status(r.ok ? `Roles of ${user.name} saved.` : r.data.error.message, !r.ok);
      });
      const remove = el("button", { type: "button", class: "danger" }, "Delete");
      remove.addEventListener("click", async () => {
        const r = await api("DELETE", `/admin/api/users/${encodeURIComponent(user.name)}`);
        status(r.ok ? `${user.name} deleted.` : r.data.error.message, !r.ok);
        if (r.ok) loadUsers();
      });
      actions.append(saveRoles, remove);
      row.appendChild(actions);
      body.appendChild(row);
    }
  }

  async function createUser(event) {
    event.preventDefault();
    const form = byId("user-form");
    const roles = [...form.querySelectorAll('input[name="roles"]:checked')].map((b) => b.value);
    const result = await api("POST", "/admin/api/users", {
      name: byId("new-user").value, password: byId("new-password").value, roles,
    });
    byId("user-error").textContent = result.ok ? "" : result.data.error.message;
    if (result.ok) {
      form.reset();
      status(`Account ${result.data.name} added.`);
      loadUsers();
    }
  }

  // ------------------------------------------------------------------ start

  function start() {
    for (const tab of document.querySelectorAll(".tab")) {
      tab.addEventListener("click", () => showTab(tab.dataset.tab));
    }
    if (byId("panel-texts")) {
      for (const id of ["locale", "reason"]) {
        byId(id).addEventListener("change", () => {
          renderFields();
          schedulePreview();
        });
      }
      byId("level").addEventListener("change", schedulePreview);
      byId("sample").addEventListener("change", schedulePreview);
      byId("sample-file").addEventListener("change", async () => {
        state.sampleEml = await readFile(byId("sample-file"), false);
        byId("sample").value = "upload";
        schedulePreview();
      });
      byId("save").addEventListener("click", save);
      byId("import-file").addEventListener("change", importYaml);
      byId("org-form").addEventListener("submit", saveOrg);
      byId("org-test").addEventListener("click", testReport);
      loadModel();
    }
    if (byId("user-form")) {
      byId("user-form").addEventListener("submit", createUser);
      if (!byId("panel-texts")) showTab("users");
    }
  }

  document.addEventListener("DOMContentLoaded", start);
})();
