// Message display script: puts InviteGuard's banner at the top of the displayed message.
//
// The message is the attacker's page, so the banner lives where its markup and CSS cannot reach:
//   * a closed shadow root on an element the add-on creates and keeps a reference to (never looked
//     up by id: a message can carry an element with any id);
//   * the host carries inline `all: initial !important` (inline important beats every stylesheet
//     rule) and sits before <body>, so body styles do not apply to it;
//   * the banner box itself is shown in the top layer (a popover), above anything the message can
//     draw, and unaffected by the opacity, transforms, clipping or overflow of its ancestors; the
//     host stays in the flow with the banner's height, pushing the message down below it;
//   * after rendering (and again once the message has loaded) the banner is checked to be really
//     visible: large enough, not hidden, and the topmost thing where it is drawn. If not, the
//     background is told, and it warns the reader by notification (the toolbar badge is the other,
//     independent signal).
// The banner HTML comes from the service, which escapes everything an attacker controls; it is
// still rebuilt here from an allowlist of tags and attributes. Plain text only via textContent.
// Talking to the background over a port: a page that unloads just closes it (a pending message
// promise would be rejected after the page is gone, which Thunderbird logs as an error).
(() => {
  "use strict";
  if (globalThis.__inviteGuardDisplay) return; // injected twice (registered + executeScript)
  globalThis.__inviteGuardDisplay = true;

  const api = globalThis.messenger || globalThis.browser;
  const PORT_NAME = "inviteguard-display";
  const HOST_TAG = "inviteguard-banner";
  const RECONNECTS = 3;
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
  // Inline on the host: reset everything the page could set, then what the host needs.
  const HOST_STYLE = [
    ["all", "initial"], ["display", "block"], ["position", "relative"], ["visibility", "visible"],
    ["opacity", "1"], ["content-visibility", "visible"], ["contain", "none"], ["z-index", "2147483647"],
    ["width", "auto"], ["min-height", "1px"], ["margin", "0"], ["padding", "0"], ["border", "0"],
  ];
  // Inline on the top-layer box: undo the popover defaults (fixed, centred, framed).
  const LAYER_STYLE = [
    ["position", "absolute"], ["inset", "0 0 auto 0"], ["width", "100%"], ["max-width", "100%"],
    ["height", "auto"], ["margin", "0"], ["padding", "8px 8px 0 8px"], ["border", "0"],
    ["background", "Canvas"], ["color-scheme", "light dark"], ["overflow", "visible"], ["box-sizing", "border-box"],
    ["display", "block"], ["visibility", "visible"], ["opacity", "1"],
  ];

  const CSS = `
    .ig { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b;
          border-radius: 6px; padding: 12px 14px; margin: 0 0 8px 0; border: 1px solid;
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
                  margin: 0 0 8px 0; overflow-wrap: anywhere; }
    .ig-hint { font-size: 12px; color: #444; margin: 8px 0 0 0; }
    a { color: #0b57d0; }
  `;

  let current = null; // {host, layer, box, observer}
  let port = null;
  let reconnects = 0;

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

  function important(el, pairs) {
    for (const [name, value] of pairs) el.style.setProperty(name, value, "important");
  }

  function bannerBox(doc, payload) {
    const box = doc.createElement("div");
    if (payload.kind === "note") {
      box.className = "ig ig-note";
      box.setAttribute("role", "status");
      box.appendChild(textBlock(doc, "div", "ig-label", "InviteGuard"));
      box.appendChild(textBlock(doc, "div", "ig-text", String(payload.text || "")));
      return box;
    }
    const level = payload.level === "danger" ? "danger" : "warning";
    box.dataset.level = level;
    const fragment = payload.html ? sanitizedFragment(String(payload.html), doc) : null;
    const visible = fragment && [...fragment.childNodes].some((n) => n.localName !== "style" && n.textContent.trim());
    if (visible) {
      // The service's banner is complete (frame, icon, title, reasons): show it as designed.
      box.className = "ig-service";
      box.appendChild(fragment);
      return box;
    }
    box.className = `ig ig-${level}`;
    box.setAttribute("role", "alert");
    box.appendChild(textBlock(doc, "div", "ig-label", String(payload.label || "InviteGuard")));
    box.appendChild(textBlock(doc, "div", "ig-title", String(payload.title || "")));
    box.appendChild(textBlock(doc, "p", "ig-text", String(payload.text || "")));
    if (payload.hint) box.appendChild(textBlock(doc, "p", "ig-hint", String(payload.hint)));
    return box;
  }

  function remove() {
    if (!current) return;
    if (current.observer) current.observer.disconnect();
    current.host.remove();
    current = null;
  }

  /** Is the banner really there for the reader: big enough, rendered, and on top where drawn? */
  function seen(banner) {
    const win = banner.host.ownerDocument.defaultView;
    const rect = banner.box.getBoundingClientRect();
    if (rect.height < 24 || rect.width < Math.min(240, win.innerWidth * 0.5)) return false;
    if (typeof banner.box.checkVisibility === "function" &&
        !banner.box.checkVisibility({ opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true })) {
      return false;
    }
    const y = rect.top + Math.min(rect.height / 2, 20);
    if (y < 0 || y >= win.innerHeight) return true; // scrolled away: nothing to hit-test
    const doc = banner.host.ownerDocument;
    // elementFromPoint answers with our host for anything inside its shadow root.
    return [0.2, 0.5, 0.8].every((f) => doc.elementFromPoint(rect.left + rect.width * f, y) === banner.host);
  }

  function recheck(banner) {
    if (current !== banner) return;
    if (!seen(banner) && port) {
      try {
        port.postMessage({ type: "inviteguard:banner-hidden" });
      } catch {
        // the background went away; the toolbar badge still shows the verdict
      }
    }
  }

  function render(payload) {
    remove();
    if (!payload || (payload.kind !== "banner" && payload.kind !== "note")) return;
    const doc = document;
    const win = doc.defaultView;
    const host = doc.createElement(HOST_TAG);
    important(host, HOST_STYLE);
    const root = host.attachShadow({ mode: "closed" });
    const style = doc.createElement("style");
    style.textContent = CSS;
    const layer = doc.createElement("div");
    const box = bannerBox(doc, payload);
    layer.appendChild(box);
    root.append(style, layer);
    // Before <body>: the message's body styles never apply to the banner.
    doc.documentElement.insertBefore(host, doc.body || null);
    const banner = { host, layer, box, observer: null };
    current = banner;
    if (typeof layer.showPopover === "function") {
      layer.setAttribute("popover", "manual");
      important(layer, LAYER_STYLE);
      try {
        layer.showPopover();
        // The host keeps the banner's height in the flow, so the message starts below it.
        const follow = () => host.style.setProperty("height", `${layer.offsetHeight}px`, "important");
        follow();
        if (typeof win.ResizeObserver === "function") {
          banner.observer = new win.ResizeObserver(follow);
          banner.observer.observe(layer);
        }
      } catch {
        layer.removeAttribute("popover"); // no top layer here: the banner stays in the flow
      }
    }
    win.requestAnimationFrame(() => win.requestAnimationFrame(() => recheck(banner)));
    if (doc.readyState !== "complete") win.addEventListener("load", () => recheck(banner), { once: true });
  }

  function connect() {
    try {
      port = api.runtime.connect({ name: PORT_NAME });
    } catch {
      port = null; // the add-on is updating or disabled: leave the message untouched
      return;
    }
    port.onMessage.addListener((message) => {
      if (message && message.type === "inviteguard:render") render(message.payload);
    });
    port.onDisconnect.addListener(() => {
      port = null;
      // The background (an event page) was suspended; ask again so later updates still arrive.
      if (reconnects++ < RECONNECTS) connect();
    });
    port.postMessage({ type: "inviteguard:render-request" });
  }

  if (api && api.runtime && typeof api.runtime.connect === "function") connect();
})();
