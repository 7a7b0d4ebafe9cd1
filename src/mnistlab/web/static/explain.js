// Click-to-explain and the page's language. A click on a feature-map cell asks /api/explain/conv (the same
// function as `mnistlab explain conv`) and lights the input window it reads on "what the model saw";
// "which digit did you mean?" asks /api/explain/loss for the loss of the chosen answer. The page's strings
// come from /api/i18n in the chosen language: ?lang=ko, else the last choice (localStorage), else English.

import { api, el, state } from "./util.js";

const $ = (id) => document.getElementById(id);
const KEY = "mnistlab.lang";
let image = null; // the last image sent to /api/predict: { body, headers }, sent again to explain it

export function rememberImage(body, headers) {
  image = { body, headers };
}

function post(path, params) {
  const query = new URLSearchParams({ run: state.run, ...params }); // api() adds the page's lang
  return api(`${path}?${query}`, { method: "POST", body: image.body, headers: image.headers });
}

/** The cell of a feature-map sheet under a click: { filter, row, col }, or null between tiles. */
function cellAt(event, canvas) {
  const g = canvas.grid;
  const box = canvas.getBoundingClientRect();
  const x = event.clientX - box.left;
  const y = event.clientY - box.top;
  const tx = Math.floor(x / (g.tileW + g.gap));
  const ty = Math.floor(y / (g.tileH + g.gap));
  const inX = x - tx * (g.tileW + g.gap);
  const inY = y - ty * (g.tileH + g.gap);
  const filter = ty * g.cols + tx;
  if (inX >= g.tileW || inY >= g.tileH || tx >= g.cols || filter >= g.count) return null;
  return { filter, row: Math.floor(inY / g.scale), col: Math.floor(inX / g.scale) };
}

/** Outline the clicked cell: one mark on the page, moved to the map block clicked last. */
function markCell(canvas, cell) {
  const g = canvas.grid;
  let mark = document.getElementById("cell-mark");
  if (!mark) mark = el("div", { id: "cell-mark", class: "cell-mark" });
  canvas.parentElement.append(mark);
  Object.assign(mark.style, {
    left: `${canvas.offsetLeft + (cell.filter % g.cols) * (g.tileW + g.gap) + cell.col * g.scale}px`,
    top: `${canvas.offsetTop + Math.floor(cell.filter / g.cols) * (g.tileH + g.gap) + cell.row * g.scale}px`,
    width: `${g.scale}px`, height: `${g.scale}px`,
  });
}

export async function explainCell(event, canvas, layer) {
  const cell = cellAt(event, canvas);
  if (!cell || !image) return;
  markCell(canvas, cell);
  const out = $("explain-conv");
  out.hidden = false;
  try {
    const d = await post("/api/explain/conv", { layer, ...cell });
    out.textContent = d.text;
    out.classList.remove("error-text");
    lightWindow(d);
  } catch (e) {
    out.textContent = e.message;
    out.classList.add("error-text");
  }
}

/** Outline the window on the 28x28 input the model saw: only layer 0 reads that picture itself. */
function lightWindow(d) {
  const box = $("seen-window");
  box.hidden = d.layer !== 0;
  if (d.layer !== 0) return;
  const [, h, w] = d.input_shape;
  Object.assign(box.style, {
    left: `${(100 * d.cols[0]) / w}%`, top: `${(100 * d.rows[0]) / h}%`,
    width: `${(100 * d.cols.length) / w}%`, height: `${(100 * d.rows.length) / h}%`,
  });
}

export function showMeant(result) {
  document.getElementById("cell-mark")?.remove(); // the maps were redrawn for a new picture
  $("seen-window").hidden = true;
  $("explain-conv").hidden = true;
  $("explain-loss").hidden = true;
  $("meant").replaceChildren(...result.classes.map((name, label) =>
    el("button", { type: "button", class: "btn", dataset: { label }, onclick: () => explainLoss(label) }, name)));
}

async function explainLoss(label) {
  const out = $("explain-loss");
  out.hidden = false;
  for (const b of $("meant").children) b.classList.toggle("btn-primary", Number(b.dataset.label) === label);
  try {
    out.textContent = (await post("/api/explain/loss", { label })).text;
    out.classList.remove("error-text");
  } catch (e) {
    out.textContent = e.message;
    out.classList.add("error-text");
  }
}

async function applyLang(lang) {
  state.lang = lang;
  document.documentElement.lang = lang;
  const { messages } = await api("/api/i18n"); // in state.lang, which api() sends
  state.messages = messages; // for the strings the scripts write (util.tr)
  for (const node of document.querySelectorAll("[data-i18n]")) {
    const text = messages[node.dataset.i18n];
    if (text) node.textContent = text;
  }
  for (const node of document.querySelectorAll("[data-i18n-title]")) {
    const text = messages[node.dataset.i18nTitle];
    if (text) node.title = text;
  }
}

export async function initLang() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked === "ko" || asked === "en") localStorage.setItem(KEY, asked);
  state.lang = localStorage.getItem(KEY) === "ko" ? "ko" : "en";
  $("lang-switch").addEventListener("click", () => {
    const lang = state.lang === "ko" ? "en" : "ko";
    localStorage.setItem(KEY, lang);
    applyLang(lang).then(() => state.refresh()); // the runs table is written by script: write it again
  });
  await applyLang(state.lang);
}
