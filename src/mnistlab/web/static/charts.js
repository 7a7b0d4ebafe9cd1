// Line charts drawn on <canvas> (no chart library, works offline), sharp on high-DPI screens.
// A series is {color, points: [[x, y], ...], dots?, width?}; x is in epochs (fractional for steps).
// The legend is HTML beside the canvas (one for a pair of charts), so it is never cramped.

import { tr } from "./util.js";

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif';
const GRID = "#e7e9f0";
const TEXT = "#6b7280";

/** About `count` round tick values covering [lo, hi]. */
function ticks(lo, hi, count = 5) {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}

function label(v, percent) {
  if (percent) return `${Math.round(v * 100)}%`;
  if (Math.abs(v) >= 100) return v.toFixed(0);
  return +v.toPrecision(3) + "";
}

/** Draw `series` into `canvas`. Options: xMax (at least), yMin/yMax (fixed ends), percent (y as %). */
export function lineChart(canvas, series, { xMax = 1, yMin, yMax, percent = false, empty = tr("studio.no_data") } = {}) {
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 300;
  const height = canvas.clientHeight || 180;
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
  }
  const c = canvas.getContext("2d");
  c.setTransform(dpr, 0, 0, dpr, 0, 0);
  c.clearRect(0, 0, width, height);
  c.font = FONT;

  const points = series.flatMap((s) => s.points);
  const ys = points.map((p) => p[1]).filter(Number.isFinite);
  let lo = yMin ?? (ys.length ? Math.min(...ys) : 0);
  let hi = yMax ?? (ys.length ? Math.max(...ys) : 1);
  if (yMin === undefined && ys.length) lo = Math.max(0, lo - 0.05 * (hi - lo || 1));
  if (yMax === undefined && ys.length) hi += 0.05 * (hi - lo || 1);
  if (hi <= lo) hi = lo + 1;
  const xHi = Math.max(xMax, ...points.map((p) => p[0]));
  const yTicks = ticks(lo, hi, 4);
  const left = 8 + Math.max(...yTicks.map((t) => c.measureText(label(t, percent)).width));
  const box = { l: left + 8, r: width - 12, t: 12, b: height - 38 };
  const X = (x) => box.l + (x / xHi) * (box.r - box.l);
  const Y = (y) => box.b - ((y - lo) / (hi - lo)) * (box.b - box.t);

  c.strokeStyle = GRID;
  c.fillStyle = TEXT;
  c.lineWidth = 1;
  c.textAlign = "right";
  c.textBaseline = "middle";
  for (const t of yTicks) {
    c.beginPath();
    c.moveTo(box.l, Math.round(Y(t)) + 0.5);
    c.lineTo(box.r, Math.round(Y(t)) + 0.5);
    c.stroke();
    c.fillText(label(t, percent), box.l - 8, Y(t));
  }
  c.textAlign = "center";
  c.textBaseline = "top";
  for (const t of ticks(0, xHi, Math.min(6, Math.max(1, Math.ceil(xHi))))) {
    if (!Number.isInteger(t) && xHi > 2) continue;
    c.fillText(String(t), X(t), box.b + 8);
  }
  c.fillText(tr("studio.chart_epoch"), (box.l + box.r) / 2, box.b + 22);

  if (!points.length) {
    const w = c.measureText(empty).width + 16;
    const [cx, cy] = [(box.l + box.r) / 2, (box.t + box.b) / 2];
    c.fillStyle = "#ffffff";
    c.fillRect(cx - w / 2, cy - 10, w, 20);
    c.fillStyle = TEXT;
    c.textAlign = "center";
    c.textBaseline = "middle";
    c.fillText(empty, cx, cy);
  }

  c.save();
  c.beginPath();
  c.rect(box.l - 4, box.t - 4, box.r - box.l + 8, box.b - box.t + 8);
  c.clip();
  for (const s of series) {
    if (!s.points.length) continue;
    c.strokeStyle = s.color;
    c.fillStyle = s.color;
    c.lineWidth = s.width ?? 2;
    c.lineJoin = "round";
    c.beginPath();
    s.points.forEach(([x, y], i) => (i ? c.lineTo(X(x), Y(y)) : c.moveTo(X(x), Y(y))));
    c.stroke();
    if (s.dots || s.points.length === 1) {
      for (const [x, y] of s.points) {
        c.beginPath();
        c.arc(X(x), Y(y), 3.5, 0, 2 * Math.PI);
        c.fill();
      }
    }
  }
  c.restore();

}
