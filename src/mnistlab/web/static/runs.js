// The Runs tab and the run picker: every run folder with its results; a click shows its curves and
// layer summary, "Draw" makes it the run the Draw tab asks.

import { lineChart } from "./charts.js";
import { api, el, int, pct, seconds, state, summaryTable, tr } from "./util.js";

const $ = (id) => document.getElementById(id);
const STATUS_KIND = { completed: "ok", reached_target: "ok", training: "running", cancelled: "warn", stopped: "warn", incomplete: "warn", unreadable: "bad" };
let selected = null;

export async function loadRuns() {
  const r = await api("/api/runs");
  $("runs-dir").textContent = tr("studio.from_dir", { path: r.runs_dir });
  const usable = r.runs.filter((x) => x.has_weights);
  state.setRuns(r.runs);
  if (!state.run || !usable.some((x) => x.name === state.run)) {
    state.setRun(r.default ?? usable[0]?.name ?? null);
  }
  renderPicker(usable);
  renderTable(r.runs);
  if (selected) showDetail(selected, false);
}

function renderPicker(usable) {
  const select = $("run-select");
  select.replaceChildren(...(usable.length
    ? usable.map((x) => el("option", { value: x.name, selected: x.name === state.run }, `${x.name}${x.test_accuracy != null ? ` · ${pct(x.test_accuracy)}` : ""}`))
    : [el("option", { value: "" }, tr("studio.no_runs_yet"))]));
  select.disabled = !usable.length;
}

function renderTable(runs) {
  $("runs-empty").hidden = runs.length > 0;
  $("runs-table").hidden = runs.length === 0;
  $("runs-table").tBodies[0].replaceChildren(...runs.map((r) => {
    const draw = el("button", { type: "button", class: "btn btn-small", disabled: !r.has_weights,
      title: r.has_weights ? "draw against this run" : "no weights yet",
      onclick: (e) => { e.stopPropagation(); state.setRun(r.name); state.showTab("draw"); } }, tr("studio.draw_run"));
    return el("tr", { class: `${r.name === state.run ? "current" : ""} ${r.name === selected ? "selected" : ""}`, dataset: { run: r.name },
      onclick: () => showDetail(r.name, true), title: r.error ?? "" },
      el("td", { class: "mono" }, r.name),
      el("td", {}, el("span", { class: `badge ${STATUS_KIND[r.status] ?? ""}` }, state.messages?.[`studio.status.${r.status}`] ? tr(`studio.status.${r.status}`) : r.status.replace("_", " "))),
      el("td", { class: "mono small dataset", title: r.dataset ?? "" }, r.dataset ?? "–"),
      el("td", {}, r.head ?? "–"),
      el("td", { class: "num" }, int(r.params)),
      el("td", { class: "num" }, r.epochs ? `${r.epochs_done}/${r.epochs}` : "–"),
      el("td", { class: "num" }, pct(r.val_accuracy, 2)),
      el("td", { class: "num strong" }, pct(r.test_accuracy, 2)),
      el("td", { class: "num" }, seconds(r.seconds)),
      el("td", { class: "num" }, draw));
  }));
}

async function showDetail(name, scroll) {
  selected = name;
  for (const row of $("runs-table").tBodies[0].rows) row.classList.toggle("selected", row.dataset.run === name);
  let d;
  try {
    d = await api(`/api/runs/${encodeURIComponent(name)}`);
  } catch (e) {
    $("run-detail").hidden = false;
    $("detail-name").textContent = name;
    $("detail-meta").textContent = e.message;
    return;
  }
  $("run-detail").hidden = false;
  $("detail-name").textContent = d.name;
  const t = d.config.train;
  $("detail-meta").textContent = `${d.dataset} · ${t.optimizer} lr ${t.learning_rate} · batch_size ${t.batch_size} · ` +
    `${d.head} head · ${int(d.params)} params`;
  const m = d.metrics;
  const series = (key, color) => ({ color, dots: true, points: m.filter((r) => r[key] != null).map((r) => [r.epoch, r[key]]) });
  const steps = (key) => ({ color: "#a5b4fc", width: 1.5, points: d.steps.map((s) => [s.x, s[key]]) });
  lineChart($("detail-loss"), [steps("loss"), series("loss", "#4f46e5"), series("val_loss", "#f59e0b")],
    { xMax: t.epochs });
  lineChart($("detail-acc"), [steps("accuracy"), series("accuracy", "#4f46e5"), series("val_accuracy", "#f59e0b")],
    { xMax: t.epochs, yMax: 1, percent: true });
  $("detail-summary").replaceChildren(summaryTable(d.summary));
  if (scroll) $("run-detail").scrollIntoView({ behavior: "smooth", block: "nearest" });
}

export function initRuns() {
  $("run-select").addEventListener("change", (e) => state.setRun(e.target.value || null));
  state.addEventListener("run", () => {
    $("run-select").value = state.run ?? "";
    for (const row of $("runs-table").tBodies[0].rows) row.classList.toggle("current", row.dataset.run === state.run);
  });
}
