/* InviteGuard Outlook add-in: the task pane.
 *
 * Shows the service's banner and reasons for the selected message, follows the selection when
 * the pane is pinned (ItemChanged), sets the Outlook infobar, and offers a Report button for
 * clients without integrated spam reporting. Text from the message or the service reaches the
 * DOM only through textContent; the one exception is banner.html, which the service escapes and
 * which we still pass through an allow-list (sanitizeBannerHtml) before inserting it. */
(function (root) {
  "use strict";

  const ALLOWED_TAGS = new Set([
    "div", "span", "p", "br", "hr", "strong", "b", "em", "i", "u", "small", "mark", "code",
    "h1", "h2", "h3", "h4", "ul", "ol", "li", "dl", "dt", "dd", "a", "section", "header",
    "footer", "aside", "details", "summary", "blockquote", "abbr", "time", "style",
  ]);
  // The banner's icon is inline SVG; only plain shapes survive.
  const SVG_NS = "http://www.w3.org/2000/svg";
  const SVG_TAGS = new Set(["svg", "g", "path", "circle", "rect", "line", "polygon", "polyline"]);
  const ALLOWED_ATTRS = new Set(["class", "role", "lang", "dir", "title", "href", "style", "datetime", "open"]);
  const SVG_ATTRS = new Set([
    "viewbox", "d", "fill", "stroke", "stroke-width", "cx", "cy", "r", "x", "y", "x1", "y1", "x2",
    "y2", "width", "height", "points", "focusable", "class", "role", "transform", "fill-rule",
  ]);
  const SAFE_HREF = /^(https?:|mailto:|tel:)/i;
  const SHOWN_REASONS = 3;

  /**
   * An inert copy of the banner HTML: allowed tags and attributes only; everything else
   * (script, iframes, forms, event handlers, javascript: links, images) is dropped with its content.
   */
  function sanitizeBannerHtml(doc, html) {
    const parsed = new DOMParser().parseFromString(String(html || ""), "text/html");
    const fragment = doc.createDocumentFragment();
    function copy(node, parent) {
      if (node.nodeType === 3) {
        parent.appendChild(doc.createTextNode(node.nodeValue));
        return;
      }
      if (node.nodeType !== 1) return;
      const tag = node.localName;
      const isSvg = node.namespaceURI === SVG_NS;
      if (isSvg ? !SVG_TAGS.has(tag) : !ALLOWED_TAGS.has(tag)) return;
      const target = isSvg ? doc.createElementNS(SVG_NS, tag) : doc.createElement(tag);
      for (const attr of Array.from(node.attributes)) {
        const name = attr.name.toLowerCase();
        const allowed = name.startsWith("aria-") || (isSvg ? SVG_ATTRS : ALLOWED_ATTRS).has(name);
        if (!allowed) continue;
        if (name === "href" && !SAFE_HREF.test(attr.value.trim())) continue;
        target.setAttribute(attr.name, attr.value);
      }
      if (tag === "a") {
        target.setAttribute("target", "_blank");
        target.setAttribute("rel", "noopener noreferrer");
      }
      parent.appendChild(target);
      for (const child of Array.from(node.childNodes)) copy(child, target);
    }
    const sources = [...Array.from(parsed.head.childNodes), ...Array.from(parsed.body.childNodes)];
    for (const child of sources) copy(child, fragment);
    return fragment;
  }

  function isDarkColor(hex) {
    const match = /^#?([0-9a-f]{6})$/i.exec(String(hex || "").trim());
    if (!match) return null;
    const n = parseInt(match[1], 16);
    const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 128;
  }

  function start(win, Office) {
    const doc = win.document;
    const IG = win.InviteGuardOutlook;
    const $ = (id) => doc.getElementById(id);
    const client = IG.clientIn(win, Office);
    const t = client.strings();
    const mailbox = Office.context.mailbox;
    let generation = 0;
    let reportInFlight = false;

    const systemDark = win.matchMedia ? win.matchMedia("(prefers-color-scheme: dark)") : null;

    /** The Office theme when Outlook tells us one, else the system's light/dark setting. */
    function applyTheme() {
      const theme = Office.context.officeTheme;
      let dark = theme ? isDarkColor(theme.bodyBackgroundColor) : null;
      if (dark === null) dark = Boolean(systemDark && systemDark.matches);
      doc.documentElement.setAttribute("data-theme", dark ? "dark" : "light");
    }

    function applyStrings() {
      doc.documentElement.lang = client.locale();
      $("app-name").textContent = t.appName;
      $("reasons-heading").textContent = t.reasonsHeading;
      $("error-title").textContent = t.unavailableTitle;
      $("retry").textContent = t.tryAgain;
      $("report-heading").textContent = t.reportHeading;
      $("report-category-label").textContent = t.reportCategoryLabel;
      $("report-comment-label").textContent = t.reportCommentLabel;
      $("report-button").textContent = t.reportButton;
      const select = $("report-category");
      select.replaceChildren();
      for (const id of IG.REPORT_CATEGORIES) {
        const option = doc.createElement("option");
        option.value = id;
        option.textContent = t.categories[id];
        select.appendChild(option);
      }
    }

    function show(state) {
      $("app").setAttribute("aria-busy", state === "loading" ? "true" : "false");
      $("status").hidden = state !== "loading" && state !== "no-item";
      $("result").hidden = state !== "result";
      $("error").hidden = state !== "error";
      $("report").hidden = state === "no-item";
      doc.body.setAttribute("data-state", state);
    }

    function renderResult(result) {
      const banner = result.banner || {};
      const box = $("banner");
      const level = ["danger", "warning", "none"].includes(banner.level) ? banner.level : "warning";
      box.setAttribute("data-level", level);
      box.setAttribute("data-verdict", String(result.verdict || ""));
      box.replaceChildren();
      if (banner.html) {
        box.appendChild(sanitizeBannerHtml(doc, banner.html));
      }
      if (!box.textContent.trim()) {
        // No banner HTML (e.g. clean): say it in our own words, as text.
        const wrap = doc.createElement("div");
        wrap.setAttribute("role", level === "none" ? "status" : "alert");
        const title = doc.createElement("strong");
        title.textContent = banner.title || (level === "none" ? t.cleanTitle : t.notificationSuspicious);
        const text = doc.createElement("p");
        text.textContent = banner.text || (level === "none" ? t.cleanText : "");
        wrap.append(title, text);
        box.appendChild(wrap);
      }
      const reasons = Array.isArray(result.reasons) ? result.reasons : [];
      const list = $("reasons");
      const more = $("more-reasons");
      list.replaceChildren();
      more.querySelector("ul").replaceChildren();
      reasons.forEach((reason, index) => {
        // The strongest reasons first; the rest one click away so Report stays in view.
        const target = index < SHOWN_REASONS ? list : more.querySelector("ul");
        const li = doc.createElement("li");
        li.setAttribute("data-reason", String(reason.id || ""));
        const title = doc.createElement("span");
        title.className = "ig-reason-title";
        title.textContent = String(reason.title || "");
        li.appendChild(title);
        if (reason.detail) {
          const detail = doc.createElement("p");
          detail.className = "ig-reason-detail";
          detail.textContent = String(reason.detail);
          li.appendChild(detail);
        }
        target.appendChild(li);
      });
      const hiddenCount = reasons.length - list.children.length;
      more.hidden = hiddenCount <= 0;
      more.open = false;
      more.querySelector("summary").textContent = IG.strings.format(t.moreReasons, { count: hiddenCount });
      $("reasons-section").hidden = reasons.length === 0;
      // Outlook on iOS/Android (and older Exchange) give the add-in no header block: say so.
      const weaker = $("weaker");
      weaker.textContent = t.weakerCheck;
      weaker.hidden = client.itemAccess() !== "fields";
      show("result");
    }

    function renderError(err) {
      $("error-text").textContent = t.unavailable;
      $("error").setAttribute("data-error-kind", String((err && err.kind) || "unknown"));
      show("error");
    }

    async function check() {
      const mine = ++generation;
      if (!reportInFlight) setReportStatus("", "");
      if (!mailbox.item) {
        $("status-text").textContent = t.noItem;
        show("no-item");
        return;
      }
      $("status-text").textContent = t.checking;
      show("loading");
      let result = null;
      let failure = null;
      try {
        result = await client.analyze();
      } catch (err) {
        failure = err;
      }
      if (mine !== generation) return; // the user moved on; this answer is for another message
      if (result) renderResult(result);
      else renderError(failure);
      try {
        await client.showVerdictNotification(result);
      } catch (err) {
        // The infobar is a convenience; the pane already shows everything.
      }
    }

    function setReportStatus(text, state) {
      const status = $("report-status");
      status.textContent = text;
      status.setAttribute("data-state", state);
    }

    async function submitReport(event) {
      event.preventDefault();
      if (reportInFlight) return;
      reportInFlight = true;
      const button = $("report-button");
      button.disabled = true;
      setReportStatus(t.reportSending, "sending");
      try {
        const config = await client.loadConfig(2000);
        const payload = await client.readItem(null, config.max_report_bytes);
        const result = await client.report(
          payload,
          { categories: [$("report-category").value], comment: $("report-comment").value },
          ({ attempt, total }) => {
            if (attempt > 1) setReportStatus(IG.strings.format(t.reportRetrying, { attempt, total }), "retrying");
          },
        );
        const said = result.simulation ? t.reportSimulation : t.reportThanks;
        setReportStatus(result.truncated ? `${said} ${t.reportReduced}` : said, "done");
        $("report-comment").value = "";
        button.textContent = t.reportButton;
      } catch (err) {
        // Nothing was lost: the form keeps what the user wrote, and the button sends it again.
        setReportStatus(t.reportFailedPane, "failed");
        button.textContent = t.tryAgain;
      } finally {
        reportInFlight = false;
        button.disabled = false;
      }
    }

    applyStrings();
    applyTheme();
    if (systemDark && systemDark.addEventListener) systemDark.addEventListener("change", applyTheme);
    $("retry").addEventListener("click", () => check());
    $("report-form").addEventListener("submit", submitReport);
    if (mailbox.addHandlerAsync) {
      mailbox.addHandlerAsync(Office.EventType.ItemChanged, () => check());
      if (Office.EventType.OfficeThemeChanged) {
        mailbox.addHandlerAsync(Office.EventType.OfficeThemeChanged, applyTheme, () => {});
      }
    }
    return check();
  }

  function whenDomReady(run) {
    if (root.document.readyState === "loading") {
      root.document.addEventListener("DOMContentLoaded", run, { once: true });
    } else {
      run();
    }
  }

  const api = { start, sanitizeBannerHtml, isDarkColor };
  root.InviteGuardTaskpane = api;
  if (root.Office && typeof root.Office.onReady === "function") {
    root.Office.onReady(() =>
      whenDomReady(() => {
        api.ready = start(root, root.Office);
      }),
    );
  }
})(window);
