"""The data stage: datasets of the MNIST family as in-memory uint8 tensors.

`load_dataset("mnist")` downloads (or reads from --data-dir / MNISTLAB_DATA_DIR), verifies and
loads a dataset; `preprocess` turns a user's image into an MNIST-style 28x28 digit.

Names are imported on first use (PEP 562), so `mnistlab.data.images` (numpy + Pillow) can be used
without importing torch: the ONNX predict path runs where PyTorch is not installed.
"""

import importlib

_EXPORTS = {
    "Dataset": "dataset", "dataset_info": "dataset", "dataset_spec": "dataset", "format_info": "dataset",
    "load_dataset": "dataset", "save_sample_grid": "dataset", "split_validation": "dataset",
    "read_idx": "idx", "write_idx": "idx",
    "load_image": "images", "preprocess": "images",
    "KNOWN_DATASETS": "sources",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'mnistlab.data' has no attribute {name!r}")
    return getattr(importlib.import_module(f"mnistlab.data.{_EXPORTS[name]}"), name)
