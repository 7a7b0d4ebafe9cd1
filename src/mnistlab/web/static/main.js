// Entry point: tabs (kept in the URL hash, so a reload stays put), then the three tabs' modules.

import { initDraw } from "./draw.js";
import { initLang } from "./explain.js";
import { initRuns, loadRuns } from "./runs.js";
import { initTrain } from "./train.js";
import { state } from "./util.js";

const TABS = ["draw", "train", "runs"];

function showTab(name) {
  if (!TABS.includes(name)) name = "draw";
  for (const button of document.querySelectorAll(".tabs [role=tab]")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  for (const tab of TABS) document.getElementById(`tab-${tab}`).hidden = tab !== name;
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
  state.dispatchEvent(new CustomEvent("shown", { detail: name }));
}

for (const button of document.querySelectorAll(".tabs [role=tab]")) {
  button.addEventListener("click", () => showTab(button.dataset.tab));
}
state.addEventListener("tab", (e) => showTab(e.detail));
window.addEventListener("hashchange", () => showTab(location.hash.slice(1)));
state.addEventListener("shown", (e) => e.detail === "runs" && loadRuns());

let refreshing = null;
state.addEventListener("refresh", () => {
  // Several refreshes asked for at once (epoch events, a finished run) make one request.
  refreshing ??= loadRuns().finally(() => (refreshing = null));
});

await initLang(); // first: the other tabs write their strings in the page's language
initRuns();
initDraw();
showTab(location.hash.slice(1));
await loadRuns();
await initTrain();
