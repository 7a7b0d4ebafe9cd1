"""Taking a run elsewhere: ONNX files (`onnx`), Keras files (`keras`) and standalone Keras/PyTorch
scripts of a config (`code`). Only the ONNX names are imported here: `mnistlab.predict` uses
`OnnxClassifier` on machines without torch, and Keras is an optional extra (`mnistlab[keras]`)."""

from mnistlab.export.onnx import OnnxClassifier, export_onnx, metadata

__all__ = ["OnnxClassifier", "export_onnx", "metadata"]
