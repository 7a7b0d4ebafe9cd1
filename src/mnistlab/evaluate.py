"""Judging a model: loss, accuracy, top-k, per-class precision/recall/F1 and the confusion matrix.

Everything is computed from logits, in big batches under `inference_mode`. The same functions serve
validation during training and `mnistlab evaluate` afterwards. The loss is the run's training loss,
label smoothing included, as Keras' `evaluate` and `val_loss` include the smoothing of the compiled
loss: so training loss, val_loss and test loss are one quantity, comparable with each other.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mnistlab.config import TrainConfig
from mnistlab.i18n import t

EVAL_BATCH_SIZE = TrainConfig.eval_batch_size  # images per forward pass when judging (train.eval_batch_size)


def loss_from_logits(logits: torch.Tensor, labels: torch.Tensor, loss: str, label_smoothing: float = 0.0,
                     reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy (softmax head) or binary cross-entropy on one-hot targets (sigmoid head), both
    computed from logits so that no probability is ever rounded to 0 before a log."""
    if loss == "cross_entropy":
        return F.cross_entropy(logits, labels, label_smoothing=label_smoothing, reduction=reduction)
    target = F.one_hot(labels, logits.shape[1]).to(logits.dtype)
    if label_smoothing:
        target = target * (1 - label_smoothing) + 0.5 * label_smoothing  # Keras' convention for BCE
    per_class = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    per_image = per_class.sum(1)  # [N]: each class is its own yes/no question
    return per_image.mean() if reduction == "mean" else per_image.sum() if reduction == "sum" else per_image


def probabilities(logits: torch.Tensor, output: str) -> torch.Tensor:
    """softmax: classes compete and sum to 1; sigmoid: each class its own 0..1 probability."""
    return logits.softmax(1) if output == "softmax" else logits.sigmoid()


@torch.inference_mode()
def predict_logits(model: torch.nn.Module, images: torch.Tensor, batch_size: int = EVAL_BATCH_SIZE) -> torch.Tensor:
    """uint8 [N, C, H, W] -> float logits [N, classes] on the CPU."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = []
    for i in range(0, len(images), batch_size):
        x = images[i:i + batch_size].to(device, non_blocking=True).float().div_(255)
        x = x.contiguous(memory_format=torch.channels_last)  # the layout the conv kernels are fastest in
        out.append(model(x).float().cpu())
    model.train(was_training)
    if not out:
        return torch.zeros(0, 0)
    return torch.cat(out)


def confusion_matrix(pred: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """[true, predicted] counts."""
    return torch.bincount(labels * num_classes + pred, minlength=num_classes ** 2).view(num_classes, num_classes)


def metrics_from_logits(logits: torch.Tensor, labels: torch.Tensor, loss: str, classes: list[str], k: int = 5, *,
                        label_smoothing: float) -> dict:
    """All of mnistlab's metrics for one split, as plain data. `label_smoothing` (the run's
    train.label_smoothing) goes into the loss only; it has no default so that no caller reports an
    unsmoothed loss beside a smoothed training loss by forgetting it."""
    n, num_classes = len(labels), len(classes)
    pred = logits.argmax(1)
    cm = confusion_matrix(pred, labels, num_classes)
    tp = cm.diag().double()
    support = cm.sum(1).double()  # true count per class
    predicted = cm.sum(0).double()
    precision = torch.where(predicted > 0, tp / predicted.clamp(min=1), torch.zeros_like(tp))
    recall = torch.where(support > 0, tp / support.clamp(min=1), torch.zeros_like(tp))
    f1 = torch.where(precision + recall > 0, 2 * precision * recall / (precision + recall).clamp(min=1e-12),
                     torch.zeros_like(tp))
    k = min(k, num_classes)
    topk = logits.topk(k, 1).indices.eq(labels[:, None]).any(1).double().mean().item() if n else 0.0
    return {
        "count": n,
        "loss": loss_from_logits(logits, labels, loss, label_smoothing).item() if n else 0.0,
        "accuracy": (tp.sum() / max(n, 1)).item(),
        f"top{k}_accuracy": topk,
        "precision": precision.mean().item(),  # macro averages over classes
        "recall": recall.mean().item(),
        "f1": f1.mean().item(),
        "per_class": [
            {"class": c, "precision": precision[i].item(), "recall": recall[i].item(), "f1": f1[i].item(),
             "support": int(support[i].item())}
            for i, c in enumerate(classes)
        ],
        "confusion_matrix": cm.tolist(),
    }


def evaluate(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, loss: str, classes: list[str],
             batch_size: int = EVAL_BATCH_SIZE, *, label_smoothing: float) -> dict:
    """Evaluate `model` on uint8 images with int64 labels; the loss with the run's `label_smoothing`."""
    return metrics_from_logits(predict_logits(model, images, batch_size), labels.cpu(), loss, classes,
                               label_smoothing=label_smoothing)


def format_evaluation(m: dict, title: str = "", lang: str = "en") -> str:
    """Readable tables: headline numbers, per-class precision/recall/F1, confusion matrix."""
    topk = next(k for k in m if k.startswith("top") and k.endswith("_accuracy"))
    lines = [title] if title else []
    lines.append(t("evaluate.headline", lang, count=m["count"], loss=f"{m['loss']:.4f}",
                   accuracy=f"{m['accuracy']:.4f}", topk=topk.replace("_", " "), topk_value=f"{m[topk]:.4f}",
                   f1=f"{m['f1']:.4f}"))
    width = max(8, *(len(r["class"]) for r in m["per_class"]))
    lines.append("")
    lines.append(f"{t('word.class', lang):<{width}}  {t('evaluate.columns', lang)}")
    for r in m["per_class"]:
        lines.append(f"{r['class']:<{width}}  {r['precision']:9.4f}  {r['recall']:6.4f}  {r['f1']:6.4f}  {r['support']:7d}")
    cm = m["confusion_matrix"]
    cell = max(4, len(str(max(max(row) for row in cm))) + 1)
    short = [c[:cell - 1] for c in (r["class"] for r in m["per_class"])]
    lines.append("")
    lines.append(t("evaluate.confusion", lang))
    lines.append(" " * width + "".join(f"{s:>{cell}}" for s in short))
    for name, row in zip((r["class"] for r in m["per_class"]), cm):
        lines.append(f"{name:<{width}}" + "".join(f"{v:>{cell}}" for v in row))
    return "\n".join(lines)
