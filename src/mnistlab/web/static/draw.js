// The Draw tab: every change of the pad (or an upload) goes to /api/predict; the answer is shown as
// probability bars, the 28x28 input the network saw, and each conv layer's feature maps.
// At most one request is in flight: changes made meanwhile are sent as one when it returns, so the
// answer follows the pen while drawing without queueing stale requests.

import { explainCell, rememberImage, showMeant } from "./explain.js";
import { Pad } from "./pad.js";
import { bytes, el, pct, shape, state, tr, withLang } from "./util.js";

const $ = (id) => document.getElementById(id);
const pad = new Pad($("pad"));
let source = null; // what to classify: "pad", or an uploaded File
let busy = false;
let again = false;

// A perceptual dark-to-bright colour map (inferno-like) for feature maps: 256 RGB entries.
const STOPS = [[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66], [245, 125, 21], [250, 193, 39], [252, 255, 164]];
const LUT = Array.from({ length: 256 }, (_, i) => {
  const t = (i / 255) * (STOPS.length - 1);
  const k = Math.min(Math.floor(t), STOPS.length - 2);
  const f = t - k;
  return STOPS[k].map((a, j) => Math.round(a + f * (STOPS[k + 1][j] - a)));
});

async function request() {
  if (!state.run) return showMessage(tr("studio.no_run"));
  let body;
  if (source === "pad") body = await (await pad.png()).arrayBuffer();
  else {
    body = new FormData();
    body.append("file", source);
  }
  const url = `/api/predict?run=${encodeURIComponent(state.run)}`;
  const headers = source === "pad" ? { "Content-Type": "image/png" } : {};
  const response = await fetch(withLang(url), { method: "POST", body, headers });
  rememberImage(body, headers);
  const result = await response.json().catch(() => ({ detail: `${response.status} ${response.statusText}` }));
  if (!response.ok) return failed(result.detail);
  if (source !== null) show(result);
}

async function classify() {
  if (source === null) return;
  if (busy) {
    again = true;
    return;
  }
  busy = true;
  document.body.classList.add("predicting"); // until the last change is answered (tests wait on it)
  try {
    do {
      again = false;
      await request();
    } while (again && source !== null);
  } catch (e) {
    failed(tr("studio.no_answer", { error: e.message }));
  } finally {
    busy = false;
    document.body.classList.remove("predicting");
  }
}

// A refused picture leaves nothing of the previous answer beside its error: bars, input and maps go.
function failed(text) {
  showMessage(text, true);
  renderBars(null);
  drawSeen(null);
  $("maps").replaceChildren(el("p", { class: "muted" }, tr("studio.no_maps")));
}

function showMessage(text, error = false) {
  $("answer").textContent = "?";
  $("answer-prob").innerHTML = "&nbsp;";
  $("answer-note").textContent = text;
  $("answer-note").classList.toggle("error-text", error);
}

function reset() {
  source = null;
  $("pad-hint").hidden = false;
  $("pad-note").textContent = "";
  $("upload").value = "";
  showMessage(tr("studio.draw_prompt"));
  renderBars(null);
  drawSeen(null);
  $("maps").replaceChildren(el("p", { class: "muted" }, tr("studio.draw_maps")));
}

function show(r) {
  const best = r.top[0];
  $("answer-note").classList.remove("error-text");
  $("head-badge").textContent = r.head;
  $("head-note").textContent = state.messages?.[`studio.head_note.${r.head}`] ? tr(`studio.head_note.${r.head}`) : r.head_note;
  if (r.blank) {
    const note = r.note || tr("studio.not_digit");
    showMessage(tr("studio.not_digit_tail", { note: `${note[0].toUpperCase()}${note.slice(1)}` }));
  } else {
    $("answer").textContent = best.class;
    $("answer-prob").textContent = `${pct(best.probability)} ${tr(r.head === "softmax" ? "studio.probability" : "studio.sigmoid_score")}`;
    const second = r.top[1];
    $("answer-note").textContent = second ? tr("studio.runner_up", { name: second.class, p: pct(second.probability) }) : "";
  }
  renderBars(r);
  drawSeen(r.input);
  renderMaps(r.features);
  showMeant(r);
}

function renderBars(r) {
  const classes = r ? r.classes : state.runs.find((x) => x.name === state.run)?.classes ?? [];
  const best = r && !r.blank ? r.top[0].index : -1;
  $("bars").replaceChildren(...classes.map((name, i) => {
    const p = r ? r.probabilities[i] : 0;
    return el("div", { class: `bar-row${i === best ? " best" : ""}`, dataset: { class: name } },
      el("span", { class: "bar-label", title: name }, name),
      el("span", { class: "bar-track" }, el("span", { class: "bar-fill", style: `width:${(100 * p).toFixed(2)}%` })),
      el("span", { class: "bar-value" }, r ? pct(p) : ""));
  }));
}

function drawSeen(input) {
  const canvas = $("seen");
  const c = canvas.getContext("2d");
  if (!input) {
    c.fillStyle = "#000";
    c.fillRect(0, 0, canvas.width, canvas.height);
    return;
  }
  const [channels, h, w] = input.shape;
  const data = bytes(input.data);
  canvas.width = w;
  canvas.height = h;
  const img = c.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    for (let k = 0; k < 3; k++) img.data[4 * i + k] = data[(channels === 1 ? 0 : k) * h * w + i];
    img.data[4 * i + 3] = 255;
  }
  c.putImageData(img, 0, 0);
}

function renderMaps(blocks) {
  const root = $("maps");
  if (!blocks.length) {
    root.replaceChildren(el("p", { class: "muted" }, tr("studio.no_conv")));
    return;
  }
  const width = root.clientWidth || 900;
  root.replaceChildren(...blocks.map((b) => {
    const canvas = el("canvas", { class: "map-grid" });
    const [first, last] = b.layers;
    const head = el("div", { class: "map-head" },
      el("strong", {}, first === last ? `layer ${first}` : `layers ${first}–${last}`),
      el("span", {}, b.label),
      el("span", { class: "mono" }, shape(b.shape)),
      el("span", { class: "muted small" }, b.settings));
    const block = el("div", { class: "map-block" }, head, canvas);
    canvas.addEventListener("click", (e) => explainCell(e, canvas, first));
    paintMaps(canvas, b, width);
    return block;
  }));
}

function paintMaps(canvas, block, width) {
  const [count, h, w] = block.shape;
  const data = bytes(block.data);
  const scale = Math.max(1, Math.round(44 / Math.max(h, w)));
  const gap = 4;
  const tileW = w * scale;
  const tileH = h * scale;
  // As many columns as fit, then evened out so the last row is not a lonely few.
  const fit = Math.max(1, Math.min(count, Math.floor((width + gap) / (tileW + gap))));
  const rows = Math.ceil(count / fit);
  const cols = Math.ceil(count / rows);
  // All maps at native size, side by side, then scaled up tile by tile without smoothing.
  const sheet = new OffscreenCanvas(w * count, h);
  const img = new ImageData(w * count, h);
  for (let m = 0; m < count; m++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const [r, g, b] = LUT[data[m * h * w + y * w + x]];
        const o = 4 * (y * w * count + m * w + x);
        img.data[o] = r;
        img.data[o + 1] = g;
        img.data[o + 2] = b;
        img.data[o + 3] = 255;
      }
    }
  }
  sheet.getContext("2d").putImageData(img, 0, 0);
  const dpr = window.devicePixelRatio || 1;
  canvas.grid = { cols, count, tileW, tileH, gap, scale }; // for a click to find its cell (explain.js)
  const cssW = cols * (tileW + gap) - gap;
  const cssH = rows * (tileH + gap) - gap;
  canvas.style.width = `${cssW}px`;
  canvas.style.height = `${cssH}px`;
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  const c = canvas.getContext("2d");
  c.setTransform(dpr, 0, 0, dpr, 0, 0);
  c.imageSmoothingEnabled = false;
  for (let m = 0; m < count; m++) {
    const x = (m % cols) * (tileW + gap);
    const y = Math.floor(m / cols) * (tileH + gap);
    c.drawImage(sheet, m * w, 0, w, h, x, y, tileW, tileH);
  }
}

export function initDraw() {
  reset();
  pad.addEventListener("change", () => {
    if (pad.empty) return reset();
    source = "pad";
    $("pad-hint").hidden = true;
    $("pad-note").textContent = "";
    classify();
  });
  $("undo").addEventListener("click", () => pad.undo());
  $("clear").addEventListener("click", () => pad.clear());
  document.addEventListener("keydown", (e) => {
    if (document.querySelector("#tab-draw").hidden || e.target.closest("input, select, textarea")) return;
    if (e.key === "Escape") pad.clear();
    if (e.key === "z" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      pad.undo();
    }
  });
  $("upload").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    source = file;
    $("pad-hint").hidden = true;
    $("pad-note").textContent = `uploaded: ${file.name}`;
    try {
      pad.show(await createImageBitmap(file));
    } catch {
      pad.show(null); // the browser cannot show it; the server will say whether it can read it
    }
    classify();
  });
  state.addEventListener("run", () => (source === null ? renderBars(null) : classify()));
  state.addEventListener("runs", () => source === null && renderBars(null));
}
