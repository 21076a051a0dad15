// The demo page: send a dropped, chosen or pasted message to the analyze API and show the answer
// the way the add-ins do. Server-rendered banner HTML is already escaped; everything else this
// script shows is set with textContent, never parsed as HTML.
"use strict";

const byId = (id) => document.getElementById(id);

function setStatus(text) {
  byId("status").textContent = text;
}

// The add-ins show the three strongest reasons and fold the rest; so does the demo.
const SHOWN_REASONS = 3;

function reasonItem(reason) {
  const item = document.createElement("li");
  const title = document.createElement("strong");
  title.textContent = reason.title;
  const detail = document.createElement("p");
  detail.textContent = reason.detail;
  const id = document.createElement("code");
  id.textContent = reason.id;
  item.append(title, " ", id, detail);
  return item;
}

function renderReasons(reasons) {
  byId("reasons").replaceChildren(...reasons.slice(0, SHOWN_REASONS).map(reasonItem));
  const folded = reasons.slice(SHOWN_REASONS);
  const list = byId("more-reasons-list");
  list.replaceChildren(...folded.map(reasonItem));
  list.start = SHOWN_REASONS + 1;
  byId("more-reasons-summary").textContent = `${folded.length} more reason${folded.length === 1 ? "" : "s"}`;
  byId("more-reasons").hidden = folded.length === 0;
  byId("more-reasons").open = false;
}

function renderResult(data) {
  const hasBanner = data.banner.level !== "none";
  byId("banner").innerHTML = data.banner.html;
  byId("banner").hidden = !hasBanner;
  byId("no-banner").hidden = hasBanner;
  const bar = byId("notification");
  bar.textContent = data.banner.notification || "(no notification)";
  bar.dataset.level = data.banner.level;
  byId("verdict").textContent = data.verdict + (data.degraded ? " (degraded: Redis unavailable)" : "");
  byId("score").textContent = String(data.score) + " / 100";
  byId("cached").textContent = data.cached ? "yes" : "no";
  byId("fingerprint").textContent = data.fingerprint;
  byId("rules-version").textContent = data.rules_version;
  renderReasons(data.reasons);
  byId("result").hidden = false;
}

async function analyze(body) {
  setStatus("Analyzing…");
  const locale = byId("locale").value;
  try {
    const response = await fetch("/api/v1/analyze?locale=" + encodeURIComponent(locale), {
      method: "POST",
      headers: { "Content-Type": "message/rfc822" },
      body,
    });
    const data = await response.json();
    if (!response.ok) {
      setStatus("The server could not analyze this: " + data.error.message);
      return;
    }
    renderResult(data);
    setStatus("Done: " + data.verdict + ".");
  } catch (error) {
    setStatus("The server could not be reached: " + error.message);
  }
}

async function analyzeFile(file) {
  if (file) {
    await analyze(await file.arrayBuffer());
  }
}

function init() {
  const zone = byId("drop-zone");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("drop-zone--over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("drop-zone--over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("drop-zone--over");
    analyzeFile(event.dataTransfer.files[0]);
  });
  byId("eml-file").addEventListener("change", (event) => analyzeFile(event.target.files[0]));
  byId("analyze-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = byId("eml-text").value;
    if (text.trim()) {
      analyze(new TextEncoder().encode(text));
    } else {
      analyzeFile(byId("eml-file").files[0]);
    }
  });
  byId("locale").addEventListener("change", () => {
    if (!byId("result").hidden) {
      byId("analyze-form").requestSubmit();
    }
  });
  document.body.dataset.ready = "true";
}

init();
