"""Request bodies of the JSON API, in the notes' words (they are what /openapi.json documents).

Pydantic checks the shape of a request; the meaning (ranges, which keys a layer type takes, whether a
head fits a loss) is checked by `Config.from_dict`, so the web and the CLI refuse the same things with
the same one-line messages (`model.layers[2].kernel_size = 0 is out of range ...`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mnistlab.config import Config
from mnistlab.presets import resolve

# request field -> config key
SETTINGS = {
    "output": "model.output", "loss": "train.loss", "epochs": "train.epochs", "batch_size": "train.batch_size",
    "shuffle": "train.shuffle", "optimizer": "train.optimizer", "learning_rate": "train.learning_rate",
    "schedule": "train.schedule", "target_accuracy": "train.target_accuracy", "seed": "train.seed",
    "log_every": "train.log_every", "dataset": "data.dataset", "validation_size": "data.validation_size",
}


class ModelSettings(BaseModel):
    """A recipe: a preset, with any of its settings replaced. Unset fields keep the preset's values."""

    model_config = ConfigDict(extra="forbid")
    preset: str = Field("default", description="the recipe to start from (see /api/presets)")
    # Each layer is checked by Config.from_dict against the layer registry (GET /api/layers lists the
    # types and their settings), so a mistake is named like the CLI names it: model.layers[2].kernel_size.
    layers: list[dict[str, Any]] | None = Field(None, description="replaces the preset's layer list; "
                                                "see /api/layers for each type's settings")
    output: str | None = Field(None, description="the head turning logits into probabilities: softmax or sigmoid")
    loss: str | None = Field(None, description="auto, cross_entropy or binary_cross_entropy")
    epochs: int | None = None
    batch_size: int | None = None
    shuffle: bool | None = None
    optimizer: str | None = None
    learning_rate: float | None = None
    schedule: str | None = None
    target_accuracy: float | None = Field(None, description="stop once validation accuracy reaches this")
    seed: int | None = None
    log_every: int | None = Field(None, description="steps between progress events (the live curve's resolution)")
    dataset: str | None = Field(None, description="mnist, fashion-mnist, kmnist, idx:DIR or folder:PATH")
    validation_size: int | None = None

    def to_config(self) -> Config:
        overrides = {key: getattr(self, name) for name, key in SETTINGS.items() if getattr(self, name) is not None}
        if self.output is not None and self.loss is None:
            overrides["train.loss"] = "auto"  # the preset's loss fits the preset's head, not necessarily this one
        if self.layers is not None:
            # null means "the default", as an absent key does (TOML has no null)
            overrides["model.layers"] = [{k: v for k, v in layer.items() if v is not None} for layer in self.layers]
        return resolve(self.preset, None, overrides)


class TrainRequest(ModelSettings):
    name: str | None = Field(None, description="run folder name inside the runs folder (default: a timestamp)")
    train_limit: int | None = Field(None, ge=1, description="train on only the first N training images (quick demos)")
