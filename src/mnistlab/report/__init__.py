"""Seeing what a network learned: the per-run HTML report and the comparison of runs.

`write_report(RUN)` writes RUN/report/report.html (pictures embedded, PNGs beside it);
`compare_runs([RUN, ...])` gathers what differs between runs, `format_comparison` prints it as text and
`write_comparison(data, OUT)` writes OUT/compare.html with its curves; `sample_maps` gives the feature maps
of some images, stage by stage, as the report draws them (TensorBoard logs the same).
"""

from mnistlab.report.compare import compare_runs, format_comparison, write_comparison
from mnistlab.report.run_report import sample_maps, write_report

__all__ = ["compare_runs", "format_comparison", "sample_maps", "write_comparison", "write_report"]
