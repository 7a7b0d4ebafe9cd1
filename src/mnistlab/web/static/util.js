// Small shared helpers: the JSON API (every call sends the page's language; errors become Error(detail)),
// DOM building, number formats, and the page-wide state (which run is drawn against) with change notifications.

export async function api(path, options = {}) {
  const response = await fetch(withLang(path), options);
  if (response.status === 204) return null;
  const body = await response.json().catch(() => ({ detail: `${response.status} ${response.statusText}` }));
  if (!response.ok) {
    const error = new Error(typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail));
    error.status = response.status;
    throw error;
  }
  return body;
}

/** `path` with the page's language as ?lang=: the server answers refusals (and trains) in it. */
export function withLang(path) {
  const url = new URL(path, location.href);
  if (state.lang) url.searchParams.set("lang", state.lang);
  return url.pathname + url.search;
}

export const postJSON = (path, body) =>
  api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

/** el("td", {class: "num"}, "12") -> <td class="num">12</td>; children may be strings or nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined));
  return node;
}

/** The page's message `key` in its language (loaded from /api/i18n), with {name} placeholders filled. */
export function tr(key, values = {}) {
  const text = state.messages?.[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? `{${name}}`));
}

export const pct = (x, digits = 1) => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(digits)}%`);
export const int = (x) => (x === null || x === undefined ? "–" : Number(x).toLocaleString("en-US"));
export const shape = (s) => s.join(" × ");

export function seconds(s) {
  if (s === null || s === undefined) return "–";
  if (s < 60) return tr("studio.seconds", { s: s.toFixed(1) });
  return tr("studio.minutes", { m: Math.floor(s / 60), s: Math.round(s % 60) });
}

/** base64 -> Uint8Array (the API sends images and feature maps as base64 uint8). */
export function bytes(b64) {
  const raw = atob(b64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** Page state shared by the tabs: the runs list and the run being drawn against. */
export const state = new (class extends EventTarget {
  runs = [];
  run = null;
  setRun(name) {
    if (name === this.run) return;
    this.run = name;
    this.dispatchEvent(new Event("run"));
  }
  setRuns(runs) {
    this.runs = runs;
    this.dispatchEvent(new Event("runs"));
  }
  /** Ask for the runs list to be reloaded (a run started, finished an epoch or ended). */
  refresh() {
    this.dispatchEvent(new Event("refresh"));
  }
  showTab(name) {
    this.dispatchEvent(new CustomEvent("tab", { detail: name }));
  }
})();

/** The summary table: each layer's output shape and the arithmetic behind it. */
export function summaryTable(summary) {
  const rows = summary.layers.map((l) =>
    el("tr", {},
      el("td", { class: "num muted" }, String(l.index)),
      el("td", {}, el("span", { class: "layer-type" }, l.type)),
      el("td", { class: "mono" }, shape(l.output_shape)),
      el("td", { class: "mono muted" }, l.arithmetic.join(", ")),
      el("td", { class: "num" }, int(l.params))));
  return el("table", { class: "summary-table" },
    el("thead", {}, el("tr", {}, el("th", {}, "#"), el("th", {}, tr("studio.table_layer")), el("th", {}, tr("studio.table_output")),
      el("th", {}, tr("studio.table_arithmetic")), el("th", { class: "num" }, tr("studio.table_params")))),
    el("tbody", {},
      el("tr", {}, el("td", {}), el("td", { class: "muted" }, tr("studio.table_input")),
        el("td", { class: "mono" }, shape(summary.input_shape)), el("td", {}), el("td", {})),
      rows));
}
