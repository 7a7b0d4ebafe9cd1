"""English messages. Keys are grouped by where they appear; `ko.py` has the same keys and placeholders."""

MESSAGES: dict[str, str] = {
    # -- single words -------------------------------------------------------------------------
    "word.class": "class",
    "word.true": "true class",
    "word.target": "target",
    "word.term": "term",
    "word.window": "window",
    "word.kernel": "kernel",
    "word.products": "products",
    # -- explain loss ---------------------------------------------------------------------------
    "loss.test_image": "test image #{index} of {dataset}",
    "loss.user_image": "{image}",
    "loss.label_guess": "(no true class given for this picture: the network's own answer {name} is used; pass --label)",
    "loss.true_class": "true class: {name} (index {index})",
    "loss.softmax_formula": "softmax: p_k = exp(z_k) / sum_j exp(z_j); the probabilities sum to 1",
    "loss.softmax_true": "p(true) = exp({logit} - {max}) / {sum} = {p}   (subtracting the largest logit keeps exp finite)",
    "loss.cross_entropy": "cross-entropy = -log p(true) = -log({p}) = {loss}",
    "loss.sigmoid_formula": "sigmoid: p_k = 1 / (1 + exp(-z_k)), each class its own yes/no question (they need not sum to 1)",
    "loss.binary_cross_entropy": "binary cross-entropy = the sum of the {n} terms = {loss}",
    "loss.binary_why": "(each of the {n} classes is a yes/no question with its own term;\n"
                       " cross-entropy would count only the true class's term, so this sum is larger)",
    # -- explain conv ---------------------------------------------------------------------------
    "conv.head": "layer {layer} conv2d, filter {filter}, output at row {row}, col {col} (of {shape})",
    "conv.settings": "kernel_size {kh}x{kw}, strides {sh}x{sw}, padding {padding}: zero padding top {top}, "
                     "bottom {bottom}, left {left}, right {right}",
    "conv.window": "reads input rows {r0}..{r1}, cols {c0}..{c1}  (row {row} x stride {sh} - {top}, "
                   "col {col} x stride {sw} - {left}); · = a zero-padding cell",
    "conv.normalised": "(the input is the normalised image: (pixel / 255 - mean) / std, as the network sees it)",
    "conv.channel": "input channel {c}:",
    "conv.many_channels": "{n} input channels: each has its own kernel; the sum of window x kernel per channel "
                          "(--json has every number):",
    "conv.sum": "sum of the {n} products = {total}; + bias {bias} = {value}",
    "conv.sum_no_bias": "sum of the {n} products = {value} (no bias: use_bias = false, batchnorm adds its own beta)",
    "conv.check": "the network's own feature map there: {value}",
    "conv.batchnorm": "layer {layer} batchnorm: ({x} - mean {mean}) / sqrt(var {var} + {eps}) x gamma {gamma} "
                      "+ beta {beta} = {value}",
    "conv.activation": "layer {layer} activation {activation}: {activation}({x}) = {value}",
    "conv.unchanged": "layer {layer} {type}: {value} (unchanged at prediction time)",
    # -- explain padding / strides --------------------------------------------------------------
    "padding.head": "input {size} pixels, kernel_size {kernel}, strides {strides}:",
    "padding.valid": "VALID (no padding):  {arithmetic} outputs",
    "padding.valid_none": "VALID (no padding):  {arithmetic}: no output, the {kernel}-pixel kernel does not fit",
    "padding.same": "SAME (zero padding): {arithmetic} outputs",
    "padding.same_total": "SAME pads (out - 1) x strides + kernel_size - in = ({out} - 1) x {strides} + {kernel} - "
                          "{size} = {total} zeros (never below 0): {before} before (top/left), {after} after "
                          "(bottom/right)",
    "padding.odd": "the total is odd: TensorFlow puts the extra zero at the bottom/right, and so does "
                   "mnistlab (PyTorch's own padding='same' only allows strides 1)",
    "padding.wrote": "wrote {path}",
    "padding.title": "input {size}, kernel_size {kernel}, strides {strides}",
    "padding.panel_valid": "VALID, no padding: {arithmetic} outputs a side",
    "padding.panel_same": "SAME: {arithmetic} outputs a side; zeros {before} top/left, {after} bottom/right",
    "padding.legend_input": "input pixel",
    "padding.legend_zero": "zero padding",
    "padding.legend_window": "the kernel windows of outputs (row, col): the first, the next one, the last",
    # -- training and evaluation lines ------------------------------------------------------------
    "train.run_folder": "run folder: {path}",
    "train.quiet_result": "{path}: test accuracy {accuracy}",
    "train.bar": "epoch {epoch}/{epochs}",
    "train.epochs": "{n} epochs",
    "train.epoch_one": "1 epoch",
    "train.epoch_line": "epoch {epoch}: loss {loss} accuracy {accuracy}",
    "train.epoch_val": " | val_loss {val_loss} val_accuracy {val_accuracy}",
    "train.epoch_tail": " | lr {lr} | {seconds} s",
    "train.result": "test accuracy {accuracy}  test loss {loss}  ({ran}, {seconds} s)",
    "train.target_reached": "target {metric} {target} reached at epoch {epoch} after {seconds} s",
    "train.target_missed": "target {metric} {target} was NOT reached in {ran}",
    "evaluate.title": "{run} on {dataset} ({split} split)",
    "evaluate.headline": "images: {count}  loss: {loss}  accuracy: {accuracy}  {topk}: {topk_value}  macro F1: {f1}",
    "evaluate.columns": "precision  recall      f1  support",
    "evaluate.confusion": "confusion matrix (rows: true class, columns: predicted)",
    # -- summary --------------------------------------------------------------------------------
    "summary.layer": "layer",
    "summary.output_shape": "output shape",
    "summary.how": "how the shape is computed",
    "summary.params": "params",
    "summary.macs": "mult-adds",
    "summary.input": "input",
    "summary.settings": "settings:",
    "summary.total": "head: {head}  total params: {params}  mult-adds per image: {macs} ({mflops} MFLOPs)",
    "summary.metrics": "metrics: {metrics}  loss: {loss}",
    "name.softmax": "softmax",
    "name.sigmoid": "sigmoid",
    "name.cross_entropy": "cross-entropy",
    "name.binary_cross_entropy": "binary cross-entropy",
    # -- the report: sections and the notes, worked through ------------------------------------------
    "report.section.overview": "Overview",
    "report.section.model": "Model",
    "report.section.training": "Training",
    "report.section.test": "Test results",
    "report.section.mistakes": "Mistakes",
    "report.section.filters": "Learned filters",
    "report.section.feature-maps": "Feature maps and predictions",
    "report.settings": "settings",
    "report.test_accuracy": "test accuracy",
    "report.test_loss": "test loss",
    "report.params": "parameters",
    "report.macs": "mult-adds per image",
    "report.epochs": "epochs",
    "report.time": "training time",
    "notes.title": "The notes, worked through",
    "notes.border_title": "layer 0's real input ({size} x {size}), kernel_size {kernel}, strides {strides}",
    "notes.legend_first": "the window of output (0, 0)",
    "notes.legend_last": "the window of the last output",
    "notes.h_padding": "Padding: the zero border, VALID beside SAME",
    "notes.p_padding": "The first conv layer (layer {layer}, padding {padding}) reads the normalised test image. "
                       "SAME surrounds it with zeros so that every pixel gets a window and the output is "
                       "ceil(in / strides) a side; VALID adds nothing, so windows stop where the picture ends "
                       "and the output shrinks by kernel_size - 1 before the strides divide it.",
    "notes.h_conv": "One convolution step, with the numbers",
    "notes.p_conv": "Filter 0 at its strongest response on this image: the kernel lies on the window, each pair "
                    "of numbers is multiplied, the products are summed and the bias added. That sum is one cell of "
                    "the feature map; batchnorm and the activation function then act on it.",
    "notes.step_where": "where: output ({row}, {col})",
    "notes.step_kernel": "kernel of filter {filter}",
    "notes.step_products": "window x kernel, summed: {total}",
    "notes.step_title": "layer {layer}: sum of window x kernel + bias = {value}",
    "notes.step_title_no_bias": "layer {layer}: sum of window x kernel = {value} (no bias)",
    "notes.h_activation": "The activation functions of this network",
    "notes.p_activation": "Each activation function is drawn by the same module the network runs; the red point is "
                          "the convolution step above. A conv with activation = linear followed by batchnorm and "
                          "an activation layer is the same idea in three layers: batchnorm normalises the conv's "
                          "output before the activation function bends it.",
    "notes.activation_title": "activation = {name}",
    "notes.activation_x": "input",
    "notes.head_title": "the head: {name}, from logit to probability",
    "notes.h_loss": "The loss of one test image",
    "notes.h_steps": "Steps per epoch",
    "notes.steps": "steps per epoch = ceil(training images / batch_size) = ceil({images} / {batch}) = {steps}; the "
                   "last batch holds {last} images. {epochs}: {total} weight updates.",
    "notes.h_shuffle": "What shuffle changes",
    "notes.shuffle_used": "This run trained with shuffle = true: every epoch visits the training images in a new "
                          "random order, so each batch is a fair mix of classes.",
    "notes.shuffle_unused": "This run trained with shuffle = false: every epoch visits the training images in the "
                            "file's order. Below, the first batch it used and the one shuffle would have drawn.",
    "notes.shuffle_col": "epoch 1, first batch",
    "notes.shuffle_labels": "its first {n} labels",
    "notes.shuffle_counts": "images of each class in the batch",
    "notes.shuffle_off": "without shuffle (file order)",
    "notes.shuffle_on": "with shuffle (this run's seed)",
    "notes.shuffle_note": "MNIST's files are already in a mixed order, so here the difference is mild; a folder "
                          "dataset read class by class would give batches of a single class without shuffle.",
    # -- the studio page (data-i18n keys) ---------------------------------------------------------
    "studio.tab_draw": "Draw",
    "studio.tab_train": "Train",
    "studio.tab_runs": "Runs",
    "studio.model": "Model",
    "studio.draw_title": "Draw a digit",
    "studio.draw_sub": "mouse, pen or touch",
    "studio.answer_title": "The network's answer",
    "studio.seen_title": "What the model saw",
    "studio.maps_title": "Feature maps",
    "studio.maps_sub": "what each convolution layer computes from your drawing · brighter = stronger response · "
                       "click a cell to see its arithmetic",
    "studio.explain_title": "One feature-map cell, worked out",
    "studio.explain_hint": "Click a cell of a conv layer's feature maps: the window of the input it reads lights "
                           "up on the picture the model saw (for layer 0), with the kernel and the sum.",
    "studio.meant_title": "Which digit did you mean?",
    "studio.meant_hint": "Pick the class you meant: the loss the network would pay for that answer is worked out "
                         "below (cross-entropy for a softmax head, binary cross-entropy for a sigmoid one).",
    "studio.lang_switch": "한국어",
    "studio.undo": "Undo",
    "studio.clear": "Clear",
    "studio.pad_hint": "draw here",
    "studio.seen_note": "Your drawing after MNIST-style preprocessing, as the network receives it: white ink on black, cropped to the ink, scaled into a 20×20 box and centred by its mass in 28×28.",
    "studio.layers": "Layers",
    "studio.output": "Output",
    "studio.training": "Training",
    "studio.data": "Data",
    "studio.epochs": "epochs",
    "studio.batch_size": "batch_size",
    "studio.learning_rate": "learning_rate",
    "studio.shuffle": "shuffle",
    "studio.start": "Start training",
}
