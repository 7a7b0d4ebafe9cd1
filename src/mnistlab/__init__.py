"""mnistlab: train, explain and serve small convolutional classifiers on the MNIST family.

The public API, in the order of the notes' notebook (`import mnistlab as ml`):

    mnist = ml.load_dataset("mnist")                      # look at it: mnist, ml.show_samples(mnist)
    config = ml.preset(layers=[ml.Conv2D(filters=16, kernel_size=5, strides=2, padding="same",
                                         activation="relu"), ..., ml.Flatten(), ml.Dense(units=10)])
    ml.summary(config)                                    # every shape, and the arithmetic behind it
    run = ml.fit(config, mnist, epochs=1, batch_size=128, shuffle=True, target_accuracy=0.99)
    ml.evaluate(run, mnist)                               # accuracy, per-class table, confusion matrix
    ml.predict(run, "digit.png")                          # paths, PIL images or numpy arrays
    ml.report(run); ml.compare([run, other])

Every function takes explicit arguments and returns an object; in Jupyter the objects show themselves
as HTML tables and pictures, in a terminal `print(obj)` gives the text the CLI prints. Names are
imported on first use (PEP 562), so `import mnistlab` imports neither torch nor matplotlib.
"""

import importlib
import sys
import types

_EXPORTS = {
    # data
    "load_dataset": "mnistlab.data.dataset", "Dataset": "mnistlab.data.dataset", "show_samples": "mnistlab.api",
    # model: a recipe (Config), its layers, its summary
    "preset": "mnistlab.api", "Config": "mnistlab.config",
    **{name: "mnistlab.config" for name in ("Conv2D", "MaxPool2D", "AvgPool2D", "BatchNorm", "Activation",
                                            "Dropout", "Flatten", "GlobalAvgPool", "Dense")},
    "summary": "mnistlab.api", "Summary": "mnistlab.api",
    # training and the run folder it writes
    "fit": "mnistlab.api", "open_run": "mnistlab.api", "Run": "mnistlab.runfolder", "plot_curves": "mnistlab.api",
    # judging and using a run
    "evaluate": "mnistlab.api", "Evaluation": "mnistlab.api", "plot_confusion": "mnistlab.api",
    "predict": "mnistlab.api", "Predictions": "mnistlab.api", "plot_predictions": "mnistlab.api",
    # what it learned
    "plot_filters": "mnistlab.api", "plot_feature_maps": "mnistlab.api",
    "report": "mnistlab.api", "compare": "mnistlab.api", "Comparison": "mnistlab.api",
    "MnistlabError": "mnistlab.errors",
}
__all__ = sorted(_EXPORTS)


class _Package(types.ModuleType):
    """`ml.evaluate`, `ml.predict` and `ml.report` are the API's functions, yet `mnistlab.evaluate`,
    `mnistlab.predict` and `mnistlab.report` are also modules: importing one would make it an attribute of
    this package, hiding the function. The modules stay importable by name (`from mnistlab.evaluate import
    ...`); as attributes of the package, these names are the functions."""

    def __setattr__(self, name, value):
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'mnistlab' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
