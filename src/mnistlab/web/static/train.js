// The Train tab: a recipe form (preset, editable layer list, training settings) whose summary is
// recomputed by the server on every edit (/api/summary, so the shapes and errors are exactly the
// CLI's), then a training job followed over Server-Sent Events with live loss/accuracy curves.

import { lineChart } from "./charts.js";
import { api, el, int, pct, postJSON, seconds, state, summaryTable, tr } from "./util.js";

const $ = (id) => document.getElementById(id);
const form = $("train-form");
// Each layer type's settings (kind, default, choices, range) come from the layer registry: /api/layers.
let layerTypes = {};
const newLayer = (type) => ({ type, ...Object.fromEntries(
  layerTypes[type].settings.filter((f) => f.default !== null).map((f) => [f.name, f.default])) });
const COLORS = { step: "#a5b4fc", train: "#4f46e5", val: "#f59e0b" };

let presets = [];
let layers = [];
let summarySeq = 0;
let formValid = false;
let job = null;
let source = null;
let progress = null;
let drawQueued = false;

// -- the layer list ----------------------------------------------------------------------------------
const showPair = (v) => (v === undefined || v === null ? "" : Array.isArray(v) ? v.join("x") : String(v));

function parsePair(text) {
  const parts = text.split(/[x×,\s]+/).filter(Boolean).map(Number);
  if (!text.trim()) return null;
  return parts.length === 1 ? parts[0] : parts;
}

function fieldInput(layer, field) {
  const { name, kind } = field;
  const update = (value) => {
    if (value === null || value === "" || Number.isNaN(value)) delete layer[name];
    else layer[name] = value;
    refreshSummary();
  };
  let input;
  if (kind === "choice") {
    input = el("select", {}, ...field.choices.map((c) => el("option", { selected: (layer[name] ?? field.default) === c }, c)));
    input.addEventListener("change", () => update(input.value));
  } else if (kind === "bool") {
    input = el("input", { type: "checkbox", checked: layer[name] ?? field.default });
    input.addEventListener("change", () => update(input.checked));
  } else if (kind === "pair") { // an int, or "3x5" for [height, width]
    input = el("input", { value: showPair(layer[name]), size: 4, placeholder: field.optional ? "pool" : "" });
    input.addEventListener("input", () => update(parsePair(input.value)));
  } else {
    const step = kind === "int" ? 1 : field.max !== null && field.max <= 1 ? 0.05 : "any";
    input = el("input", { type: "number", min: field.min ?? undefined, max: field.max ?? undefined, step, value: layer[name] ?? "",
                           class: kind === "float" ? "float" : undefined });
    input.addEventListener("input", () => update(input.value === "" ? null : Number(input.value)));
  }
  input.name = `layer-${name}`;
  const label = state.messages?.[`studio.field.${name}`] ? tr(`studio.field.${name}`) : name;
  return el("label", { class: "layer-field" }, el("span", {}, label), input);
}

function renderLayers() {
  $("layers").replaceChildren(...layers.map((layer, i) => {
    const type = el("select", { "aria-label": `layer ${i} type` }, ...Object.keys(layerTypes).map((t) => el("option", { selected: layer.type === t }, t)));
    type.addEventListener("change", () => {
      layers[i] = newLayer(type.value);
      renderLayers();
    });
    const move = (d) => () => {
      const j = i + d;
      if (j < 0 || j >= layers.length) return;
      [layers[i], layers[j]] = [layers[j], layers[i]];
      renderLayers();
    };
    const remove = () => {
      layers.splice(i, 1);
      renderLayers();
    };
    const fields = layerTypes[layer.type].settings.map((field) => fieldInput(layer, field));
    return el("li", { class: "layer", dataset: { type: layer.type } },
      el("span", { class: "layer-index" }, String(i)),
      el("div", { class: "layer-fields" },
        el("label", { class: "layer-field layer-kind" }, el("span", {}, tr("studio.field.type")), type),
        fields.length ? fields : el("span", { class: "muted small layer-note" }, layerTypes[layer.type].doc)),
      el("div", { class: "layer-buttons" },
        el("button", { type: "button", class: "icon", title: tr("studio.move_up"), "aria-label": tr("studio.move_up"), onclick: move(-1), disabled: i === 0 }, "↑"),
        el("button", { type: "button", class: "icon", title: tr("studio.move_down"), "aria-label": tr("studio.move_down"), onclick: move(1), disabled: i === layers.length - 1 }, "↓"),
        el("button", { type: "button", class: "icon danger", title: tr("studio.remove"), "aria-label": tr("studio.remove"), onclick: remove }, "✕")));
  }));
  refreshSummary();
}

// -- the form ------------------------------------------------------------------------------------------
const num = (name) => (form.elements[name].value === "" ? null : Number(form.elements[name].value));

function requestBody() {
  const f = form.elements;
  return {
    preset: f.preset.value,
    layers,
    output: f.output.value,
    loss: f.loss.value,
    epochs: num("epochs"),
    batch_size: num("batch_size"),
    shuffle: f.shuffle.checked,
    optimizer: f.optimizer.value,
    learning_rate: num("learning_rate"),
    schedule: f.schedule.value,
    target_accuracy: num("target_accuracy"),
    log_every: num("log_every"),
    dataset: f.dataset.value.trim() || null,
    validation_size: num("validation_size"),
  };
}

function fillFromPreset(name) {
  const p = presets.find((x) => x.name === name);
  const { data, model, train } = p.config;
  const f = form.elements;
  layers = model.layers.map((l) => ({ ...l }));
  f.output.value = model.output;
  f.loss.value = "auto";
  for (const key of ["epochs", "batch_size", "learning_rate", "log_every"]) f[key].value = train[key];
  f.optimizer.value = train.optimizer;
  f.schedule.value = train.schedule;
  f.shuffle.checked = train.shuffle;
  f.target_accuracy.value = train.target_accuracy ?? "";
  $("preset-doc").textContent = p.doc;
  renderLayers();
}

let summaryTimer = null;
function refreshSummary() {
  clearTimeout(summaryTimer);
  summaryTimer = setTimeout(async () => {
    const seq = ++summarySeq;
    try {
      const r = await postJSON("/api/summary", requestBody());
      if (seq !== summarySeq) return;
      showError(null);
      $("summary").replaceChildren(summaryTable(r.summary));
      $("summary-totals").textContent =
        tr("studio.totals", { params: int(r.summary.total_params), macs: int(r.summary.total_macs), head: r.summary.output });
      refreshCode(seq);
    } catch (e) {
      if (seq !== summarySeq) return;
      showError(e.message);
      $("summary-totals").textContent = "";
      $("summary").replaceChildren(el("p", { class: "muted" }, tr("studio.fix_recipe")));
    }
  }, 150);
}

// The recipe as a Keras script (/api/code), fetched only while its panel is open.
async function refreshCode(seq) {
  if (!$("code-card").open) return;
  try {
    const r = await postJSON("/api/code", requestBody());
    if (seq === summarySeq) $("keras-code").textContent = r.code;
  } catch (e) {
    if (seq === summarySeq) $("keras-code").textContent = `# ${e.message}`;
  }
}

function showError(text) {
  formValid = !text;
  $("train-error").hidden = !text;
  $("train-error").textContent = text ?? "";
  $("start").disabled = !formValid || (job && job.status === "running");
}

// -- a training job ------------------------------------------------------------------------------------
async function start(e) {
  e.preventDefault();
  if (!formValid) return;
  $("start").disabled = true;
  try {
    const body = { ...requestBody(), name: form.elements.name.value.trim() || null, train_limit: num("train_limit") };
    attach(await postJSON("/api/train", body));
    form.elements.name.value = "";
    $("progress-card").scrollIntoView({ behavior: "smooth", block: "start" });
  } catch (err) {
    showError(err.message);
    $("start").disabled = false;
  }
}

function attach(j) {
  job = j;
  if (source) source.close();
  progress = { spe: 1, epochs: j.epochs, step: { loss: [], acc: [] }, train: { loss: [], acc: [] }, val: { loss: [], acc: [] } };
  $("train-result").hidden = true;
  $("cancel").disabled = false;
  $("start").disabled = true;
  setStatus(tr("studio.status.starting"), "running");
  $("train-line").textContent = tr("studio.line_loading", { run: j.run });
  $("progress-bar").style.width = "0%";
  redraw();
  const events = new EventSource(`/api/train/${j.id}/events`);
  source = events;
  events.addEventListener("start", (m) => onStart(JSON.parse(m.data)));
  events.addEventListener("step", (m) => onStep(JSON.parse(m.data)));
  events.addEventListener("epoch", (m) => onEpoch(JSON.parse(m.data)));
  events.addEventListener("done", (m) => {
    events.finished = true;
    onDone(JSON.parse(m.data));
  });
  // The server ends the stream after "done". Closing once it has (instead of in the "done" handler)
  // never cuts a response short, and stops EventSource from reconnecting. Other errors: it reconnects
  // by itself, sending Last-Event-ID, and gets only the events it missed.
  events.addEventListener("error", () => events.finished && events.close());
}

function setStatus(text, kind) {
  const badge = $("train-status");
  badge.textContent = text;
  badge.className = `badge ${kind ?? ""}`;
}

function onStart(e) {
  progress.spe = e.steps_per_epoch;
  progress.epochs = e.epochs;
  setStatus(tr("studio.status.training"), "running");
  $("train-line").textContent = tr("studio.line_start", { run: job.run, train: int(e.train_size),
    val: int(e.validation_size), params: int(e.params), device: e.device });
  state.refresh();
}

function onStep(e) {
  const x = e.epochs_done;  // the trainer places each step on the epoch axis (mnistlab.runfolder.step_position)
  progress.step.loss.push([x, e.loss]);
  progress.step.acc.push([x, e.accuracy]);
  $("progress-bar").style.width = `${(100 * x) / progress.epochs}%`;
  $("train-line").textContent = tr("studio.line_step", { run: job.run, epoch: e.epoch, epochs: progress.epochs,
    step: e.step, steps: progress.spe, loss: e.loss.toFixed(4), accuracy: pct(e.accuracy, 2) }) +
    (job.cancel_requested ? tr("studio.line_cancelling") : "");
  redraw();
}

function onEpoch(e) {
  progress.train.loss.push([e.epoch, e.loss]);
  progress.train.acc.push([e.epoch, e.accuracy]);
  if (e.val_loss !== undefined) {
    progress.val.loss.push([e.epoch, e.val_loss]);
    progress.val.acc.push([e.epoch, e.val_accuracy]);
  }
  const val = e.val_accuracy !== undefined ? tr("studio.line_val", { accuracy: pct(e.val_accuracy, 2) }) : "";
  $("train-line").textContent = tr("studio.line_epoch", { run: job.run, epoch: e.epoch, epochs: progress.epochs,
    time: seconds(e.seconds), loss: e.loss.toFixed(4) }) + val;
  redraw();
  state.refresh();
}

function onDone(e) {
  job.status = e.status;
  $("cancel").disabled = true;
  $("start").disabled = !formValid;
  const kind = { completed: "ok", reached_target: "ok", cancelled: "warn", failed: "bad" }[e.status];
  setStatus(tr(`studio.status.${e.status}`), kind);
  if (e.status === "completed" || e.status === "reached_target") $("progress-bar").style.width = "100%";
  const r = e.result;
  const box = $("train-result");
  box.hidden = false;
  if (e.status === "failed") {
    $("train-line").textContent = tr("studio.line_failed", { run: job.run });  // not left on "loading the data…"
    box.replaceChildren(el("p", { class: "error-text" }, e.error));
  } else {
    const stats = r
      ? [[tr("studio.test_accuracy"), pct(r.test_accuracy, 2)], [tr("studio.test_loss"), r.test_loss.toFixed(4)],
         [tr("studio.col_epochs"), String(r.epochs_run)], [tr("studio.time"), seconds(r.seconds)],
         ...(r.target_accuracy !== null ? [[tr("studio.target"), r.target_reached ? tr("studio.reached", { epoch: r.target_epoch }) : tr("studio.not_reached")]] : [])]
      : [["kept", progress.train.loss.length ? `the checkpoint of epoch ${progress.train.loss.length}` : "nothing (no epoch finished)"]];
    const draw = el("button", { type: "button", class: "btn btn-primary", onclick: () => { state.setRun(e.run); state.showTab("draw"); } },
      tr("studio.draw_with"));
    box.replaceChildren(
      el("div", { class: "stats" }, ...stats.map(([k, v]) => el("div", { class: "stat" }, el("span", {}, k), el("strong", {}, v)))),
      progress.train.loss.length ? draw : "");
  }
  state.refresh();
}

async function cancel() {
  if (!job) return;
  $("cancel").disabled = true;
  setStatus(tr("studio.status.cancelling"), "warn");
  try {
    job = { ...job, ...(await api(`/api/train/${job.id}/cancel`, { method: "POST" })) };
  } catch (e) {
    setStatus("cancel failed", "bad");
    $("train-line").textContent = e.message;
  }
}

function redraw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    const p = progress;
    const xMax = p ? p.epochs : 1;
    lineChart($("loss-chart"), p ? [
      { color: COLORS.step, width: 1.5, points: p.step.loss },
      { color: COLORS.train, dots: true, points: p.train.loss },
      { color: COLORS.val, dots: true, points: p.val.loss },
    ] : [], { xMax });
    lineChart($("acc-chart"), p ? [
      { color: COLORS.step, width: 1.5, points: p.step.acc },
      { color: COLORS.train, dots: true, points: p.train.acc },
      { color: COLORS.val, dots: true, points: p.val.acc },
    ] : [], { xMax, yMax: 1, percent: true });
  });
}

export async function initTrain() {
  presets = (await api("/api/presets")).presets;
  layerTypes = Object.fromEntries((await api("/api/layers")).layers.map((t) => [t.type, t]));
  $("preset").replaceChildren(...presets.map((p) => el("option", { value: p.name }, p.name)));
  $("new-layer-type").replaceChildren(...Object.keys(layerTypes).map((t) => el("option", {}, t)));
  // Quick-demo data settings; the recipe itself is the preset's.
  const f = form.elements;
  f.dataset.value = "mnist";
  f.validation_size.value = 1000;
  f.train_limit.value = 6000;
  fillFromPreset("default");
  f.log_every.value = 5;

  $("preset").addEventListener("change", () => fillFromPreset($("preset").value));
  $("add-layer").addEventListener("click", () => {
    const type = $("new-layer-type").value;
    const at = layers.length && layers[layers.length - 1].type === "dense" ? layers.length - 1 : layers.length;
    layers.splice(at, 0, newLayer(type));
    renderLayers();
  });
  form.addEventListener("input", (e) => !e.target.name.startsWith("layer-") && e.target.name !== "name" && refreshSummary());
  form.addEventListener("change", (e) => e.target.name === "output" && refreshSummary());
  form.addEventListener("submit", start);
  // Enter in a field would submit the form, i.e. start training: only the button does that.
  form.addEventListener("keydown", (e) => e.key === "Enter" && e.target.tagName === "INPUT" && e.preventDefault());
  $("cancel").addEventListener("click", cancel);
  $("code-card").addEventListener("toggle", () => refreshCode(summarySeq));
  $("copy-code").addEventListener("click", async () => {
    await navigator.clipboard.writeText($("keras-code").textContent);
    $("copy-code").textContent = tr("studio.copied");
    setTimeout(() => { $("copy-code").textContent = tr("studio.copy"); }, 1500);
  });
  window.addEventListener("resize", redraw);
  state.addEventListener("shown", (e) => e.detail === "train" && redraw());
  redraw();

  // A job started before this page was opened (or before a reload) is followed from its beginning.
  const running = (await api("/api/train")).jobs.filter((j) => j.status === "running");
  if (running.length) attach(running[running.length - 1]);
}
