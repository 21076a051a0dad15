/*
 * InviteGuard report triage (/admin/reports): GET /api/v1/reports, grouped by campaign, newest
 * first. Subjects, reporters, comments and delivery errors come from whoever sent or reported the
 * message, so every one of them goes into the page with textContent, never as HTML; and no inline
 * script anywhere (the page's CSP forbids it). The filters live in the page's query string, so a
 * filtered list can be reloaded or shared. Each campaign can be confirmed as phishing (every
 * reader's copy then says so, and its numbers flag other mail) or cleared (reports no longer
 * raise it): POST /api/v1/reports/campaigns/<fingerprint>/confirm|clear with the session's CSRF token.
 */
"use strict";

(() => {
  const PAGE_SIZE = 50;
  const FILTERS = ["since", "until", "verdict", "status"];
  const byId = (id) => document.getElementById(id);

  const state = {
    campaigns: new Map(), // fingerprint -> campaign, in the order of their newest report
    destinations: [],
    reportCount: 0,
    simulationReports: 0,
    filters: {},
    nextBefore: null,
    seq: 0, // answers to superseded requests are dropped
  };

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function plural(count, word) {
    return `${count} ${word}${count === 1 ? "" : "s"}`;
  }

  // ------------------------------------------------------------------ filters

  function pageSize() {
    // ?limit= is honoured for links that want a shorter page; the API clamps it.
    const asked = Number.parseInt(new URLSearchParams(window.location.search).get("limit"), 10);
    return asked > 0 ? asked : PAGE_SIZE;
  }

  function formFilters() {
    const filters = {};
    for (const name of FILTERS) filters[name] = byId(name).value;
    return filters;
  }

  function fillForm() {
    const params = new URLSearchParams(window.location.search);
    // A date input drops a value that is not a date, so a tampered link cannot reach the query.
    for (const name of FILTERS) byId(name).value = params.get(name) || "";
  }

  function rememberFilters(filters) {
    const params = new URLSearchParams(window.location.search);
    for (const name of FILTERS) {
      if (filters[name]) params.set(name, filters[name]);
      else params.delete(name);
    }
    const query = params.toString();
    window.history.replaceState(null, "", query ? `?${query}` : window.location.pathname);
  }

  function localDay(date, daysLater) {
    const [year, month, day] = date.split("-").map(Number);
    return new Date(year, month - 1, day + daysLater);
  }

  function apiQuery(filters, before) {
    const query = new URLSearchParams({ limit: String(pageSize()) });
    // The reader picks days in their own time zone; the API takes instants.
    if (filters.since) query.set("since", localDay(filters.since, 0).toISOString());
    if (filters.until) query.set("until", new Date(localDay(filters.until, 1).getTime() - 1).toISOString());
    if (filters.verdict) query.set("verdict", filters.verdict);
    if (filters.status) query.set("status", filters.status);
    if (before) query.set("before", before);
    return query;
  }

  async function fetchPage(filters, before) {
    const response = await fetch(`/api/v1/reports?${apiQuery(filters, before)}`, {
      headers: { Accept: "application/json" }, credentials: "same-origin",
    });
    if (response.status === 401) {
      const back = window.location.pathname + window.location.search;
      window.location.assign(`/admin/login?next=${encodeURIComponent(back)}`);
      return null;
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const message = data && data.error && data.error.message;
      throw new Error(message || `The reports could not be loaded (HTTP ${response.status}).`);
    }
    return data;
  }

  // ------------------------------------------------------------------ one report

  function receivedCell(report) {
    const moment = new Date(report.received_at * 1000);
    const cell = el("td");
    cell.appendChild(el("time", { datetime: moment.toISOString() }, moment.toLocaleString()));
    return cell;
  }

  function badge(kind, word) {
    return el("span", { class: `badge ${kind}-${word}` }, word);
  }

  function verdictCell(verdict) {
    const cell = el("td");
    cell.appendChild(badge("verdict", verdict.level));
    if (typeof verdict.score === "number") cell.append(` (score ${verdict.score})`);
    return cell;
  }

  function deliveryText(delivery) {
    const parts = [];
    if (delivery.attempts) parts.push(plural(delivery.attempts, "attempt"));
    if (delivery.last_error) parts.push(`last error: ${delivery.last_error}`);
    return parts.length ? ` (${parts.join("; ")})` : "";
  }

  function deliveryCell(report) {
    const cell = el("td", { class: "delivery" });
    if (!state.destinations.length) {
      cell.textContent = "stored (no destination configured)";
      return cell;
    }
    const list = el("ul", { class: "deliveries" });
    for (const name of state.destinations) {
      const delivery = report.deliveries[name] || { state: "pending" };
      const item = el("li", { "data-destination": name });
      item.append(`${name}: `, badge("state", delivery.state));
      const detail = deliveryText(delivery);
      if (detail) item.appendChild(el("span", { class: "delivery-detail" }, detail));
      list.appendChild(item);
    }
    cell.appendChild(list);
    return cell;
  }

  function originalCell(report) {
    const cell = el("td");
    if (!report.eml_bytes) {
      cell.textContent = "not kept";
      return cell;
    }
    const link = el("a", { class: "download", href: report.eml_url, download: `report-${report.report_id}.eml` },
      "Download .eml");
    // Every row has this link; the hidden words tell screen-reader users which report it is.
    link.appendChild(el("span", { class: "visually-hidden" },
      ` reported by ${report.reporter}, ${new Date(report.received_at * 1000).toLocaleString()}`));
    cell.appendChild(link);
    return cell;
  }

  function reporterCell(report) {
    // Only a signed-in reporter's reports change verdicts; a self-asserted name is a clue, not a fact.
    const cell = el("td");
    cell.append(el("span", { class: "reporter" }, report.reporter), " ",
      badge("trust", report.reporter_verified ? "verified" : "self-asserted"));
    return cell;
  }

  function reportRow(report) {
    const row = el("tr", { "data-report-id": report.report_id });
    row.appendChild(receivedCell(report));
    row.appendChild(reporterCell(report));
    row.appendChild(el("td", {}, report.category));
    row.appendChild(el("td", { class: "comment" }, report.comment || "—"));
    row.appendChild(verdictCell(report.verdict));
    row.appendChild(el("td", {}, report.simulation ? "simulation" : "no"));
    row.appendChild(deliveryCell(report));
    row.appendChild(originalCell(report));
    return row;
  }

  // ------------------------------------------------------------------ one campaign

  const COLUMNS = ["Received", "Reporter", "Category", "Comment", "Verdict", "Simulation", "Delivery", "Original"];

  function reportTable(campaign, headingId) {
    // A wide table scrolls on its own; focusable and named so keyboard users can scroll it too.
    const wrap = el("div", { class: "table-wrap", role: "region", tabindex: "0", "aria-labelledby": headingId });
    const table = el("table", { class: "reports" });
    table.appendChild(el("caption", { class: "visually-hidden" }, "Reports of this campaign, newest first"));
    const head = el("tr");
    for (const column of COLUMNS) head.appendChild(el("th", { scope: "col" }, column));
    table.appendChild(el("thead")).appendChild(head);
    const body = table.appendChild(el("tbody"));
    for (const report of campaign.reports) body.appendChild(reportRow(report));
    wrap.appendChild(table);
    return wrap;
  }

  function fact(list, term, value) {
    const pair = el("div");
    pair.append(el("dt", {}, term), el("dd", {}, value));
    list.appendChild(pair);
  }

  function decisionText(campaign) {
    const when = campaign.decided_at ? ` on ${new Date(campaign.decided_at * 1000).toLocaleString()}` : "";
    if (campaign.decision === "confirmed") return `confirmed as phishing by ${campaign.decided_by}${when}`;
    if (campaign.decision === "cleared") return `cleared by ${campaign.decided_by}${when}`;
    return "none yet";
  }

  function csrfToken() {
    const field = document.querySelector("form.logout input[name=csrf_token]");
    return field ? field.value : "";
  }

  async function decide(campaign, action) {
    byId("error").textContent = "";
    const response = await fetch(`/api/v1/reports/campaigns/${encodeURIComponent(campaign.fingerprint)}/${action}`, {
      method: "POST", credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": csrfToken() },
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      byId("error").textContent = (data && data.error && data.error.message) || `Not saved (HTTP ${response.status}).`;
      return;
    }
    Object.assign(campaign, data);
    render();
    byId("summary").textContent = `Campaign “${campaign.subject || "(no subject)"}”: ${decisionText(campaign)}. ` +
      "Every reader sees it the next time they open the message.";
  }

  function decisionButtons(campaign) {
    const bar = el("div", { class: "toolbar decision" });
    const confirm = el("button", { type: "button", class: "confirm" }, "Confirm as phishing");
    const clear = el("button", { type: "button", class: "secondary clear-campaign" }, "Clear: not phishing");
    confirm.disabled = campaign.decision === "confirmed";
    clear.disabled = campaign.decision === "cleared";
    confirm.addEventListener("click", () => decide(campaign, "confirm"));
    clear.addEventListener("click", () => decide(campaign, "clear"));
    bar.append(confirm, clear);
    return bar;
  }

  function campaignCard(campaign, index) {
    // The campaign is judged as its newest report was: the verdict readers see now.
    const verdict = campaign.reports[0].verdict.level;
    const headingId = `campaign-${index}`;
    const card = el("article", { class: "campaign", "aria-labelledby": headingId,
      "data-fingerprint": campaign.fingerprint });
    const heading = el("h3", { id: headingId });
    heading.append(badge("verdict", verdict), " ", el("span", { class: "subject" }, campaign.subject || "(no subject)"));
    card.appendChild(heading);
    const facts = el("dl", { class: "facts" });
    fact(facts, "Reports", String(campaign.reports_total));
    fact(facts, "Distinct reporters", String(campaign.reporters_total));
    fact(facts, "Verified reporters", String(campaign.verified_reporters || 0));
    fact(facts, "Analyst decision", decisionText(campaign));
    fact(facts, "Fingerprint", campaign.fingerprint);
    card.appendChild(facts);
    card.appendChild(decisionButtons(campaign));
    card.appendChild(reportTable(campaign, headingId));
    return card;
  }

  // ------------------------------------------------------------------ the list

  function merge(page) {
    // A later page holds only older reports: a campaign shown already gets them at its end, and
    // a new campaign's newest report is older than any shown one's, so the order stays right.
    for (const campaign of page.campaigns) {
      const shown = state.campaigns.get(campaign.fingerprint);
      if (shown) shown.reports.push(...campaign.reports);
      else state.campaigns.set(campaign.fingerprint, campaign);
    }
    state.destinations = page.destinations;
    state.reportCount += page.reports.length;
    state.simulationReports = page.simulation_reports;
    state.nextBefore = page.next_before;
  }

  function summaryText() {
    if (!state.reportCount) return "No reports match these filters.";
    let text = `${plural(state.reportCount, "report")} in ${plural(state.campaigns.size, "campaign")}, newest first.`;
    if (state.nextBefore) text += " Older reports are not loaded yet.";
    if (state.simulationReports) {
      text += ` ${plural(state.simulationReports, "simulation report")} kept apart (not listed, not forwarded).`;
    }
    return text;
  }

  function render() {
    const container = byId("campaigns");
    container.replaceChildren(...[...state.campaigns.values()].map(campaignCard));
    byId("summary").textContent = summaryText();
    byId("older").hidden = !state.nextBefore;
  }

  async function load(fresh) {
    const seq = ++state.seq;
    // Older pages follow the filters the list was loaded with, not unapplied edits in the form.
    if (fresh) state.filters = formFilters();
    const filters = state.filters;
    byId("triage").setAttribute("aria-busy", "true");
    byId("error").textContent = "";
    try {
      const page = await fetchPage(filters, fresh ? null : state.nextBefore);
      if (!page || seq !== state.seq) return;
      if (fresh) {
        state.campaigns = new Map();
        state.reportCount = 0;
      }
      merge(page);
      render();
      // The last page hides the button that had the focus; keep keyboard users next to the list.
      if (!fresh && !state.nextBefore) byId("summary").focus();
    } catch (error) {
      if (seq === state.seq) byId("error").textContent = error.message;
    } finally {
      if (seq === state.seq) byId("triage").setAttribute("aria-busy", "false");
    }
  }

  function apply(event) {
    event.preventDefault();
    rememberFilters(formFilters());
    load(true);
  }

  function clear() {
    for (const name of FILTERS) byId(name).value = "";
    rememberFilters(formFilters());
    load(true);
  }

  function start() {
    fillForm();
    byId("filters").addEventListener("submit", apply);
    byId("clear").addEventListener("click", clear);
    byId("older").addEventListener("click", () => load(false));
    load(true);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
