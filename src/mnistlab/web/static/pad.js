// The drawing pad: white ink on black (like MNIST) drawn with Pointer Events, so mouse, pen and touch
// all work. Strokes are kept as point lists, so undo is "redraw all but the last". An uploaded image
// can be shown as the pad's content; the next stroke starts a fresh drawing.

const INK = "#ffffff";
const PAPER = "#000000";
const WIDTH = 20; // of 280 px: after scaling the digit into MNIST's 20x20 box, a ~2 px stroke, as in MNIST
// The server gets a 140x140 copy: still 7x the 20x20 box the digit is scaled into, a quarter of the pixels to decode.
const SENT = 140;

export class Pad extends EventTarget {
  constructor(canvas) {
    super();
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.strokes = [];
    this.image = null; // an uploaded picture shown instead of strokes
    this.active = null;
    canvas.addEventListener("pointerdown", (e) => this.#down(e));
    canvas.addEventListener("pointermove", (e) => this.#move(e));
    canvas.addEventListener("pointerup", (e) => this.#up(e));
    canvas.addEventListener("pointercancel", (e) => this.#up(e));
    this.redraw();
  }

  get empty() {
    return this.strokes.length === 0 && !this.image;
  }

  #point(e) {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * this.canvas.width) / r.width, ((e.clientY - r.top) * this.canvas.height) / r.height];
  }

  #down(e) {
    if (e.button !== 0 && e.pointerType === "mouse") return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    if (this.image) {
      this.image = null;
      this.redraw();
    }
    this.active = { id: e.pointerId, points: [this.#point(e)] };
    this.strokes.push(this.active.points);
    this.#segment(this.active.points, 0);
    this.#changed(false);
  }

  #move(e) {
    if (!this.active || e.pointerId !== this.active.id) return;
    const points = this.active.points;
    const from = points.length - 1;
    // Coalesced events carry the pen's full path between two animation frames: smoother strokes.
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ev of events.length ? events : [e]) points.push(this.#point(ev));
    this.#segment(points, from);
    this.#changed(false);
  }

  #up(e) {
    if (!this.active || e.pointerId !== this.active.id) return;
    this.active = null;
    this.#changed(true);
  }

  #changed(strokeEnded) {
    this.dispatchEvent(new CustomEvent("change", { detail: { strokeEnded } }));
  }

  #style() {
    const c = this.ctx;
    c.strokeStyle = INK;
    c.fillStyle = INK;
    c.lineWidth = WIDTH;
    c.lineCap = "round";
    c.lineJoin = "round";
  }

  #segment(points, from) {
    const c = this.ctx;
    this.#style();
    if (points.length === 1) {
      c.beginPath();
      c.arc(points[0][0], points[0][1], WIDTH / 2, 0, 2 * Math.PI);
      c.fill();
      return;
    }
    c.beginPath();
    c.moveTo(...points[Math.max(from, 0)]);
    for (let i = Math.max(from, 0) + 1; i < points.length; i++) c.lineTo(...points[i]);
    c.stroke();
  }

  redraw() {
    const c = this.ctx;
    c.fillStyle = PAPER; // opaque: a transparent PNG would be composited on white and lose white ink
    c.fillRect(0, 0, this.canvas.width, this.canvas.height);
    if (this.image) {
      const { width: w, height: h } = this.image;
      const scale = Math.min(this.canvas.width / w, this.canvas.height / h);
      c.drawImage(this.image, (this.canvas.width - w * scale) / 2, (this.canvas.height - h * scale) / 2, w * scale, h * scale);
    }
    for (const points of this.strokes) this.#segment(points, 0);
  }

  undo() {
    if (this.image) this.image = null;
    else this.strokes.pop();
    this.redraw();
    this.#changed(true);
  }

  clear() {
    this.strokes = [];
    this.image = null;
    this.redraw();
    this.#changed(true);
  }

  /** Show an uploaded picture (an ImageBitmap) in place of the strokes. */
  show(image) {
    this.strokes = [];
    this.image = image;
    this.redraw();
  }

  /** The drawing as a PNG Blob, as sent to the server. */
  png() {
    this.copy ??= Object.assign(document.createElement("canvas"), { width: SENT, height: SENT });
    const c = this.copy.getContext("2d");
    c.imageSmoothingQuality = "high";
    c.drawImage(this.canvas, 0, 0, SENT, SENT);
    return new Promise((resolve) => this.copy.toBlob(resolve, "image/png"));
  }
}
