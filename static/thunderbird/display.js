// Message display script: puts InviteGuard's banner at the top of the displayed message body.
//
// It asks the background for what to show (pull, so a script that loads late still gets it) and
// also accepts a pushed update. The banner HTML comes from the service, which escapes everything
// an attacker controls; we still rebuild it here from an allowlist of tags and attributes, inside
// a shadow root so the message's own CSS can neither restyle nor hide it. Plain text is only ever
// set with textContent.
(() => {
  "use strict";
  if (globalThis.__inviteGuardDisplay) return; // injected twice (registered + executeScript)
  globalThis.__inviteGuardDisplay = true;

  const api = globalThis.messenger || globalThis.browser;
  const HOST_ID = "inviteguard-banner-host";
  const ALLOWED_TAGS = new Set([
    "a", "abbr", "b", "bdi", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "i", "li", "mark", "ol", "p",
    "section", "small", "span", "strong", "u", "ul",
  ]);
  const ALLOWED_ATTRS = new Set(["class", "role", "lang", "dir", "title"]);
  // The service's banner brings an icon and its own stylesheet; inside our shadow root that CSS
  // only styles the banner. Keep the icon's drawing attributes and nothing that can load anything.
  const SVG_NS = "http://www.w3.org/2000/svg";
  const SVG_TAGS = new Set(["svg", "g", "path", "circle", "rect"]);
  const SVG_ATTRS = new Set([
    "viewbox", "d", "fill", "stroke", "stroke-width", "cx", "cy", "r", "x", "y", "width", "height", "class",
    "aria-hidden", "focusable",
  ]);
  const DROP = new Set(["script", "iframe", "object", "embed", "template", "math", "img", "link", "meta", "frame"]);

  const CSS = `
    :host { all: initial; display: block; }
    .ig { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b;
          border-radius: 6px; padding: 12px 14px; margin: 0 0 14px 0; border: 1px solid;
          border-left-width: 6px; box-sizing: border-box; max-width: 100%; overflow-wrap: anywhere; }
    .ig-danger { background: #fdecea; border-color: #b3261e; }
    .ig-warning { background: #fff4e0; border-color: #b25f00; }
    .ig-note { background: #f2f2f2; border-color: #8a8a8a; color: #333; }
    .ig-label { font-size: 11px; font-weight: 700; letter-spacing: .06em; text-transform: uppercase;
                margin: 0 0 4px 0; }
    .ig-danger .ig-label { color: #b3261e; }
    .ig-warning .ig-label { color: #8a4a00; }
    .ig-note .ig-label { color: #555; }
    .ig-title { font-size: 16px; font-weight: 700; margin: 0 0 6px 0; }
    .ig-service { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b;
                  margin: 0 0 14px 0; overflow-wrap: anywhere; }
    .ig-hint { font-size: 12px; color: #444; margin: 8px 0 0 0; }
    a { color: #0b57d0; }
  `;

  function safeUrl(value) {
    try {
      const url = new URL(value, "https://invalid.invalid/");
      return url.protocol === "https:" || url.protocol === "http:" || url.protocol === "mailto:" ? url.href : "";
    } catch {
      return "";
    }
  }

  function safeCss(text) {
    // Same-service CSS, but never let it fetch anything (tracking pixels, fonts, imports).
    return /url\(|@import|expression\(|\\/i.test(text) ? "" : text;
  }

  function copySvg(node, doc) {
    const el = doc.createElementNS(SVG_NS, node.localName);
    for (const attr of node.attributes) {
      if (SVG_ATTRS.has(attr.name.toLowerCase())) el.setAttribute(attr.name, attr.value);
    }
    for (const child of node.children) {
      if (SVG_TAGS.has(child.localName) && child.localName !== "svg") el.appendChild(copySvg(child, doc));
    }
    return el;
  }

  /** Rebuild `source` (a parsed, inert DOM) into `target`, keeping only allowlisted nodes. */
  function copyAllowed(source, target, doc) {
    for (const node of source.childNodes) {
      if (node.nodeType === 3) {
        target.appendChild(doc.createTextNode(node.nodeValue));
        continue;
      }
      if (node.nodeType !== 1) continue;
      const tag = node.localName;
      if (tag === "style") {
        const style = doc.createElement("style");
        style.textContent = safeCss(node.textContent);
        target.appendChild(style);
        continue;
      }
      if (tag === "svg") {
        target.appendChild(copySvg(node, doc));
        continue;
      }
      if (!ALLOWED_TAGS.has(tag)) {
        // Unknown wrappers keep their text; active or embedding elements are dropped whole.
        if (!DROP.has(tag) && !SVG_TAGS.has(tag)) copyAllowed(node, target, doc);
        continue;
      }
      const el = doc.createElement(tag);
      for (const attr of node.attributes) {
        const name = attr.name.toLowerCase();
        if (ALLOWED_ATTRS.has(name) || name.startsWith("aria-") || name.startsWith("data-")) {
          el.setAttribute(name, attr.value);
        }
      }
      if (tag === "a") {
        const href = safeUrl(node.getAttribute("href") || "");
        if (href) {
          el.setAttribute("href", href);
          el.setAttribute("target", "_blank");
          el.setAttribute("rel", "noopener noreferrer");
        }
      }
      copyAllowed(node, el, doc);
      target.appendChild(el);
    }
  }

  function sanitizedFragment(html, doc) {
    const parsed = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
    const fragment = doc.createDocumentFragment();
    copyAllowed(parsed.body, fragment, doc);
    return fragment;
  }

  function textBlock(doc, tag, className, text) {
    const el = doc.createElement(tag);
    el.className = className;
    el.textContent = text;
    return el;
  }

  function render(payload) {
    const doc = document;
    const old = doc.getElementById(HOST_ID);
    if (!payload || (payload.kind !== "banner" && payload.kind !== "note")) {
      if (old) old.remove();
      return;
    }
    const host = doc.createElement("div");
    host.id = HOST_ID;
    // The message's own CSS must not hide or shrink the warning (inline !important wins).
    for (const [name, value] of [["display", "block"], ["visibility", "visible"], ["opacity", "1"],
      ["position", "static"], ["transform", "none"], ["height", "auto"], ["max-height", "none"],
      ["overflow", "visible"], ["clip-path", "none"], ["filter", "none"]]) {
      host.style.setProperty(name, value, "important");
    }
    const root = host.attachShadow({ mode: "open" });
    const style = doc.createElement("style");
    style.textContent = CSS;
    root.appendChild(style);

    const box = doc.createElement("div");
    if (payload.kind === "note") {
      box.className = "ig ig-note";
      box.setAttribute("role", "status");
      box.appendChild(textBlock(doc, "div", "ig-label", "InviteGuard"));
      box.appendChild(textBlock(doc, "div", "ig-text", String(payload.text || "")));
    } else {
      const level = payload.level === "danger" ? "danger" : "warning";
      box.dataset.level = level;
      const fragment = payload.html ? sanitizedFragment(String(payload.html), doc) : null;
      const visible = fragment && [...fragment.childNodes].some((n) => n.localName !== "style" && n.textContent.trim());
      if (visible) {
        // The service's banner is complete (frame, icon, title, reasons): show it as designed.
        box.className = "ig-service";
        box.appendChild(fragment);
      } else {
        box.className = `ig ig-${level}`;
        box.setAttribute("role", "alert");
        box.appendChild(textBlock(doc, "div", "ig-label", String(payload.label || "InviteGuard")));
        box.appendChild(textBlock(doc, "div", "ig-title", String(payload.title || "")));
        box.appendChild(textBlock(doc, "p", "ig-text", String(payload.text || "")));
        if (payload.hint) box.appendChild(textBlock(doc, "p", "ig-hint", String(payload.hint)));
      }
    }
    root.appendChild(box);

    const parent = doc.body || doc.documentElement;
    if (old) old.replaceWith(host);
    else parent.insertBefore(host, parent.firstChild);
  }

  if (!api || !api.runtime) return;
  api.runtime.onMessage.addListener((message) => {
    if (message && message.type === "inviteguard:render") render(message.payload);
  });
  api.runtime
    .sendMessage({ type: "inviteguard:render-request" })
    .then(render)
    .catch(() => {
      // The background is unreachable (add-on updating or disabled): leave the message untouched.
    });
})();
