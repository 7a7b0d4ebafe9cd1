"""Models: a declared list of layers -> a PyTorch network, with the shape arithmetic made visible."""

from mnistlab.models.build import LayerInfo, Network, build_model, infer, map_stages
from mnistlab.models.layers import output_size, same_padding
from mnistlab.models.summary import format_summary, summarize

__all__ = ["LayerInfo", "Network", "build_model", "format_summary", "infer", "map_stages", "output_size", "same_padding", "summarize"]
