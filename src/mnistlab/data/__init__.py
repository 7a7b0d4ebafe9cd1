"""The data stage: datasets of the MNIST family as in-memory uint8 tensors.

`load_dataset("mnist")` downloads (or reads from --data-dir / MNISTLAB_DATA_DIR), verifies and
loads a dataset; `preprocess` turns a user's image into an MNIST-style 28x28 digit.
"""

from mnistlab.data.dataset import Dataset, dataset_info, format_info, load_dataset, save_sample_grid, split_validation
from mnistlab.data.idx import read_idx, write_idx
from mnistlab.data.images import load_image, preprocess
from mnistlab.data.sources import KNOWN_DATASETS

__all__ = [
    "KNOWN_DATASETS",
    "Dataset",
    "dataset_info",
    "format_info",
    "load_dataset",
    "load_image",
    "preprocess",
    "read_idx",
    "save_sample_grid",
    "split_validation",
    "write_idx",
]
