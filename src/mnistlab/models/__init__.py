"""Models: a declared list of layers -> a PyTorch network, with the shape arithmetic made visible."""

from mnistlab.models.build import LayerInfo, Network, build_model, infer, map_stages
from mnistlab.models.layers import output_size, same_padding
from mnistlab.models.registry import LAYERS, describe, layer
from mnistlab.models.summary import format_summary, summarize

__all__ = ["LAYERS", "LayerInfo", "Network", "build_model", "describe", "format_summary", "infer", "layer", "map_stages",
           "output_size", "same_padding", "summarize"]
