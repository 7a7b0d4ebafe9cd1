"""The notes' arithmetic worked out on a real network: the loss of one image, one conv output, padding.

Each `explain_*` function returns plain data (the `--json` of `mnistlab explain ...`); `format_*` turns it
into text in the caller's language. The numbers come from the run's own modules and weights, and the
shapes from `models.layers` (`output_size`, `same_padding`), so what is explained is what runs.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from mnistlab import config as C
from mnistlab.errors import MnistlabError
from mnistlab.evaluate import loss_from_logits, probabilities
from mnistlab.i18n import t
from mnistlab.models import Network, output_size, same_padding
from mnistlab.models.build import ELEMENTWISE


def as_batch(image: np.ndarray, model: Network) -> torch.Tensor:
    """uint8 [C, H, W] -> float [1, C, H, W] in 0..1 on the model's device."""
    device = next(model.parameters()).device
    return torch.from_numpy(np.ascontiguousarray(image)).to(device).float().div_(255)[None]


# ----------------------------------------------------------------------------------------------
# The loss of one image
# ----------------------------------------------------------------------------------------------


@torch.inference_mode()
def explain_loss(model: Network, image: np.ndarray, label: int | None, classes: list[str], output: str,
                 loss: str, label_smoothing: float) -> dict:
    """Logits, probabilities under the head, and the loss of `image` (uint8 [C, H, W]) whose true class is
    `label` (None: a user's picture with no known class; the network's own answer stands in, and
    `label_guessed` says so): cross-entropy = -log p(true) after softmax; binary cross-entropy = the sum over classes of
    -log p (the true class) or -log(1 - p) (every other class) after sigmoid. `loss` is the notes' formula,
    without label smoothing; `evaluate_loss` is this image's loss as training, val_loss and `evaluate`
    count it, with the run's `label_smoothing` (as Keras counts it), so the two differ when it is set."""
    logits = model.eval()(as_batch(image, model)).float().cpu()  # [1, classes]
    z = logits[0].double()
    probs = probabilities(logits.double(), output)[0]
    guessed = label is None
    label = int(probs.argmax()) if guessed else label
    if not 0 <= label < len(classes):
        raise MnistlabError("explain.label_range", label=label, last=len(classes) - 1)
    out = {"classes": list(classes), "label": int(label), "label_guessed": guessed, "head": output, "loss_name": loss,
           "label_smoothing": label_smoothing, "logits": z.tolist(), "probabilities": probs.tolist()}
    if loss == "cross_entropy":
        # -log softmax(z)[y] = logsumexp(z) - z[y]: the same number as -log p(true), without underflow
        out["loss"] = float(torch.logsumexp(z, 0) - z[label])
    else:
        # -log sigmoid(z) = softplus(-z) and -log(1 - sigmoid(z)) = softplus(z): exact even where p rounds to 0 or 1
        target = torch.zeros_like(z)
        target[label] = 1
        terms = torch.where(target == 1, F.softplus(-z), F.softplus(z))
        out["terms"] = terms.tolist()
        out["loss"] = float(terms.sum())
    # mnistlab's own loss function, smoothing included: what this image adds to the run's loss and val_loss
    out["evaluate_loss"] = float(loss_from_logits(logits, torch.tensor([label]), loss, label_smoothing))
    return out


def format_loss(d: dict, lang: str = "en", caption: str = "") -> str:
    classes, label, p, z = d["classes"], d["label"], d["probabilities"], d["logits"]
    width = max(5, *(len(c) for c in classes))
    lines = [caption] if caption else []
    lines.append(t("loss.true_class", lang, name=classes[label], index=label))
    if d["label_guessed"]:
        lines.append(t("loss.label_guess", lang, name=classes[label]))
    if d["loss_name"] == "cross_entropy":
        shifted = [math.exp(v - max(z)) for v in z]  # exp(z - max z): the same ratios, and never overflows
        total = sum(shifted)
        lines += [t("loss.softmax_formula", lang), ""]
        lines.append(f"  {t('word.class', lang):<{width}}  {'logit z':>9}  {'exp(z - max)':>12}  {'p':>10}")
        for k, c in enumerate(classes):
            mark = "  <- " + t("word.true", lang) if k == label else ""
            lines.append(f"  {c:<{width}}  {z[k]:9.4f}  {shifted[k]:12.4g}  {p[k]:10.4g}{mark}")
        lines.append("")
        lines.append(t("loss.softmax_true", lang, logit=f"{z[label]:.4f}", sum=f"{total:.6g}",
                       max=f"{max(z):.4f}", p=f"{p[label]:.6g}"))
        lines.append(t("loss.cross_entropy", lang, p=f"{p[label]:.6g}", loss=f"{d['loss']:.6f}"))
    else:
        lines += [t("loss.sigmoid_formula", lang), ""]
        lines.append(f"  {t('word.class', lang):<{width}}  {'logit z':>9}  {'p':>10}  {t('word.target', lang):>6}  "
                     f"{t('word.term', lang)}")
        for k, c in enumerate(classes):
            term = f"-log({p[k]:.4g})" if k == label else f"-log(1 - {p[k]:.4g})"
            lines.append(f"  {c:<{width}}  {z[k]:9.4f}  {p[k]:10.4g}  {int(k == label):>6}  "
                         f"{term} = {d['terms'][k]:.4g}")
        lines.append("")
        lines.append(t("loss.binary_cross_entropy", lang, n=len(classes), loss=f"{d['loss']:.6f}"))
        lines.append(t("loss.binary_why", lang, n=len(classes)))
    if d["label_smoothing"]:  # else the run's loss of this image is the formula's number: nothing to add
        lines.append(t("loss.smoothed", lang, smoothing=d["label_smoothing"], loss=f"{d['evaluate_loss']:.6f}"))
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# One output value of a conv layer
# ----------------------------------------------------------------------------------------------


def conv_geometry(spec, input_shape: tuple[int, int, int]) -> dict:
    """Kernel, strides, the (top, bottom, left, right) zero padding and the output size of a conv2d
    spec on a C x H x W input, from `models.layers` (the arithmetic the builder used)."""
    (kh, kw), (sh, sw) = C.pair(spec.kernel_size), C.pair(spec.strides)
    _, h, w = input_shape
    (oh, ah), (ow, aw) = output_size(h, kh, sh, spec.padding), output_size(w, kw, sw, spec.padding)
    (top, bottom), (left, right) = ((same_padding(h, kh, sh), same_padding(w, kw, sw)) if spec.padding == "same"
                                    else ((0, 0), (0, 0)))
    return {"kernel": (kh, kw), "strides": (sh, sw), "pads": (top, bottom, left, right), "out": (oh, ow),
            "arithmetic": (ah, aw)}


def _conv(module) -> torch.nn.Conv2d:
    return next(m for m in module.modules() if isinstance(m, torch.nn.Conv2d))


def parse_at(text: str) -> tuple[int, int]:
    """'ROW,COL' -> (row, col)."""
    try:
        row, col = (int(v) for v in text.split(","))
    except ValueError:
        raise MnistlabError("explain.at_syntax", text=text) from None
    return row, col


@torch.inference_mode()
def explain_conv(model: Network, layers, image: np.ndarray, layer: int, at: tuple[int, int],
                 filter: int = 0) -> dict:
    """The conv layer `layer`'s output at `at` = (row, col) for filter `filter`, worked out: the window of
    its real input that the kernel reads (zero-padding cells are 0 and marked in `padded`), the kernel,
    the bias and the value; then `after`: what the conv's own activation and the batchnorm/activation
    layers right behind it make of that value (the network's own numbers, layer by layer)."""
    infos = model.infos
    if not 0 <= layer < len(infos):
        raise MnistlabError("explain.layer_range", layer=layer, last=len(infos) - 1)
    info, spec = infos[layer], layers[layer]
    if info.type != "conv2d":
        raise MnistlabError("explain.not_conv", layer=layer, type=info.type,
                            convs=", ".join(str(i.index) for i in infos if i.type == "conv2d"))
    g = conv_geometry(spec, info.input_shape)
    (oh, ow), (row, col) = g["out"], at
    if not (0 <= row < oh and 0 <= col < ow):
        raise MnistlabError("explain.at_outside", row=row, col=col, layer=layer, oh=oh, ow=ow, last_row=oh - 1,
                            last_col=ow - 1)
    if not 0 <= filter < spec.filters:
        raise MnistlabError("explain.filter_range", filter=filter, layer=layer, last=spec.filters - 1)

    model.eval()
    x = as_batch(image, model)
    outputs = model.features(x)  # every layer's output, [1, C', H', W'] each
    real_input = (model.normalize(x) if layer == 0 else outputs[layer - 1])[0].double().cpu()  # what it reads
    conv = _conv(model.layers[layer])
    kernel = conv.weight[filter].double().cpu()  # [C, kh, kw]
    bias = float(conv.bias[filter]) if conv.bias is not None else 0.0

    (kh, kw), (sh, sw), (top, _, left, _) = g["kernel"], g["strides"], g["pads"]
    rows = [row * sh - top + i for i in range(kh)]  # input rows read; < 0 or >= H are zero padding
    cols = [col * sw - left + j for j in range(kw)]
    _, h, w = real_input.shape
    padded = np.array([[not (0 <= r < h and 0 <= c < w) for c in cols] for r in rows])
    window = torch.zeros(real_input.shape[0], kh, kw, dtype=torch.float64)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            if not padded[i, j]:
                window[:, i, j] = real_input[:, r, c]
    products = window * kernel
    value = float(products.sum()) + bias

    # The network's own output there: the conv module without its activation (Pad, Conv2d), [C', oh, ow]
    stages = list(model.layers[layer])
    own = torch.nn.Sequential(*stages[:-1])(real_input.float()[None].to(x.device))[0, filter, row, col]
    after = []
    if spec.activation != "linear":
        after.append({"layer": layer, "type": "activation", "activation": spec.activation,
                      "value": float(outputs[layer][0, filter, row, col])})
    k = layer + 1
    while k < len(infos) and infos[k].type in ELEMENTWISE:
        step = {"layer": k, "type": infos[k].type, "value": float(outputs[k][0, filter, row, col])}
        if infos[k].type == "batchnorm":
            bn = model.layers[k]
            step.update(mean=float(bn.running_mean[filter]), var=float(bn.running_var[filter]), eps=bn.eps,
                        gamma=float(bn.weight[filter]), beta=float(bn.bias[filter]))
        elif infos[k].type == "activation":
            step["activation"] = layers[k].activation
        after.append(step)
        k += 1
    return {"layer": layer, "filter": filter, "at": [row, col], "input_shape": list(info.input_shape),
            "output_shape": list(info.output_shape), "kernel_size": [kh, kw], "strides": [sh, sw],
            "padding": spec.padding, "pads": list(g["pads"]), "rows": rows, "cols": cols,
            "window": window.tolist(), "kernel": kernel.tolist(), "padded": padded.tolist(),
            "products": products.tolist(), "bias": bias, "use_bias": conv.bias is not None, "value": value,
            "network_value": float(own), "after": after}


@torch.inference_mode()
def layer_input(model: Network, image: np.ndarray, layer: int) -> torch.Tensor:
    """What layer `layer` reads for `image` (uint8 [C, H, W]): float [C', H', W'] on the CPU; for layer 0 the
    normalised image, as the network sees it."""
    x = as_batch(image, model)
    out = model.normalize(x) if layer == 0 else model.features(x)[layer - 1]
    return out[0].float().cpu()


def _grid(values, padded=None, fmt="{:7.3f}") -> list[str]:
    """A kh x kw block of numbers as text lines; zero-padding cells show as '·'."""
    lines = []
    for i, row in enumerate(values):
        cells = ["      ·" if padded is not None and padded[i][j] else fmt.format(v) for j, v in enumerate(row)]
        lines.append(" ".join(cells))
    return lines


def after_line(step: dict, before: float, lang: str = "en") -> str:
    """One elementwise step after the conv, as arithmetic: batchnorm's formula or the activation applied."""
    if step["type"] == "batchnorm":
        return t("conv.batchnorm", lang, layer=step["layer"], x=f"{before:.4f}", mean=f"{step['mean']:.4f}",
                 var=f"{step['var']:.4f}", eps=f"{step['eps']:g}", gamma=f"{step['gamma']:.4f}",
                 beta=f"{step['beta']:.4f}", value=f"{step['value']:.4f}")
    if step["type"] == "activation":
        return t("conv.activation", lang, layer=step["layer"], activation=step["activation"], x=f"{before:.4f}",
                 value=f"{step['value']:.4f}")
    return t("conv.unchanged", lang, layer=step["layer"], type=step["type"], value=f"{step['value']:.4f}")


def format_conv(d: dict, lang: str = "en", caption: str = "") -> str:
    (row, col), (kh, kw), (sh, sw) = d["at"], d["kernel_size"], d["strides"]
    top, bottom, left, right = d["pads"]
    lines = [caption] if caption else []
    lines.append(t("conv.head", lang, layer=d["layer"], filter=d["filter"], row=row, col=col,
                   shape=" x ".join(map(str, d["output_shape"]))))
    padded = any(d["pads"])  # VALID, or SAME with nothing to pad: no '·' cells to explain
    lines.append(t("conv.settings" if padded else "conv.settings_unpadded", lang, kh=kh, kw=kw, sh=sh, sw=sw,
                   padding=d["padding"].upper(), top=top, bottom=bottom, left=left, right=right))
    lines.append(t("conv.window" if padded else "conv.window_unpadded", lang, r0=d["rows"][0], r1=d["rows"][-1],
                   c0=d["cols"][0], c1=d["cols"][-1], row=row, col=col, sh=sh, sw=sw, top=top, left=left))
    if d["layer"] == 0:
        lines.append(t("conv.normalised", lang))
    channels = len(d["window"])
    if channels <= 3:
        for c in range(channels):
            lines += ["", t("conv.channel", lang, c=c)]
            win, ker = _grid(d["window"][c], d["padded"]), _grid(d["kernel"][c])
            prod = _grid(d["products"][c], d["padded"])
            width = len(win[0])
            lines.append(f"  {t('word.window', lang):<{width}}   {t('word.kernel', lang):<{width}}   "
                         f"{t('word.products', lang)}")
            lines += [f"  {a}   {b}   {p}" for a, b, p in zip(win, ker, prod)]
    else:
        lines += ["", t("conv.many_channels", lang, n=channels)]
        sums = [sum(map(sum, p)) for p in d["products"]]
        for c0 in range(0, channels, 8):
            lines.append("  " + "  ".join(f"{c:>2}: {s:8.4f}" for c, s in zip(range(c0, c0 + 8), sums[c0:c0 + 8])))
    total = d["value"] - d["bias"]
    key = "conv.sum" if d["use_bias"] else "conv.sum_no_bias"
    lines += ["", t(key, lang, n=channels * kh * kw, total=f"{total:.4f}", bias=f"{d['bias']:.4f}",
                    value=f"{d['value']:.4f}")]
    lines.append(t("conv.check", lang, value=f"{d['network_value']:.4f}"))
    before = d["value"]
    for step in d["after"]:
        lines.append("  " + after_line(step, before, lang))
        before = step["value"]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Padding and strides, without a run
# ----------------------------------------------------------------------------------------------


def explain_padding(size: int, kernel: int, strides: int) -> dict:
    """VALID against SAME for one dimension of `size` pixels: output sizes, the arithmetic, SAME's zero
    padding (the odd extra pixel after, on the bottom/right, as TensorFlow pads) and where each window starts."""
    if size < 1 or kernel < 1 or strides < 1:
        raise MnistlabError("explain.padding_sizes")
    out = {"size": size, "kernel_size": kernel, "strides": strides}
    for padding in ("valid", "same"):
        n, arith = output_size(size, kernel, strides, padding)
        before, after = same_padding(size, kernel, strides) if padding == "same" else (0, 0)
        # the arithmetic without output_size's "same: "/"valid: ", which the text says in its own words
        out[padding] = {"output": n, "arithmetic": arith.split(": ", 1)[1], "pad_before": before, "pad_after": after,
                        "starts": [k * strides - before for k in range(max(n, 0))]}
    return out


def format_padding(d: dict, lang: str = "en") -> str:
    v, s = d["valid"], d["same"]
    lines = [t("padding.head", lang, size=d["size"], kernel=d["kernel_size"], strides=d["strides"]), ""]
    if v["output"] > 0:
        lines.append(t("padding.valid", lang, arithmetic=v["arithmetic"], out=v["output"]))
    else:
        lines.append(t("padding.valid_none", lang, arithmetic=v["arithmetic"], kernel=d["kernel_size"]))
    lines.append(t("padding.same", lang, arithmetic=s["arithmetic"], out=s["output"]))
    total = s["pad_before"] + s["pad_after"]
    lines.append(t("padding.same_total", lang, out=s["output"], strides=d["strides"], kernel=d["kernel_size"],
                   size=d["size"], total=total, before=s["pad_before"], after=s["pad_after"]))
    if total % 2:
        lines.append(t("padding.odd", lang))
    return "\n".join(lines)
