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
    "loss.softmax_true": "p(true) = exp({logit} - {max}) / {sum} = {p}   (subtracting the largest logit keeps exp "
                         "finite)",
    "loss.cross_entropy": "cross-entropy = -log p(true) = -log({p}) = {loss}",
    "loss.sigmoid_formula": "sigmoid: p_k = 1 / (1 + exp(-z_k)), each class its own yes/no question (they need not "
                            "sum to 1)",
    "loss.binary_cross_entropy": "binary cross-entropy = the sum of the {n} terms = {loss}",
    "loss.binary_why": "(each of the {n} classes is a yes/no question with its own term;\n"
                       " cross-entropy would count only the true class's term, so this sum is larger)",
    "loss.smoothed": "with train.label_smoothing = {smoothing}, as training, val_loss and evaluate count it: {loss}",
    # -- explain conv ---------------------------------------------------------------------------
    "conv.head": "layer {layer} conv2d, filter {filter}, output at row {row}, col {col} (of {shape})",
    "conv.settings": "kernel_size {kh}x{kw}, strides {sh}x{sw}, padding {padding}: zero padding top {top}, "
                     "bottom {bottom}, left {left}, right {right}",
    "conv.settings_unpadded": "kernel_size {kh}x{kw}, strides {sh}x{sw}, padding {padding}: no zero padding",
    "conv.window_unpadded": "reads input rows {r0}..{r1}, cols {c0}..{c1}  (row {row} x stride {sh}, col {col} x "
                            "stride {sw})",
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
    # -- training refused or stopped (MnistlabError: one line, the problem and the fix) -----------------
    "train.nan_loss": "the loss became {loss} during epoch {epoch}; the last good checkpoint (epoch {last}) is kept "
                      "in {path}; lower train.learning_rate (now {learning_rate}) and train again",
    "train.nan_loss_first": "the loss became {loss} during epoch {epoch}; no epoch finished; lower "
                            "train.learning_rate (now {learning_rate}) and train again",
    "train.folder_taken": "{out} already holds a run; pick another --out, or continue it with --resume {out}",
    "train.restart_in_place": "{out} never finished an epoch (no checkpoint): restarting it in place",
    "train.resume_never_trained": "{out} never finished an epoch, so there is nothing to resume; restart it in place "
                                  "with `mnistlab train --out {out}` (with the same settings: --config {config})",
    "train.resume_no_checkpoint": "{out}: nothing to resume (no {checkpoint}); start a new run instead of --resume",
    "train.resume_changed": "--resume continues {out} with its own settings, but {changed} changed; only {allowed} "
                            "may change: start a new run with --out for the rest",
    "train.resume_fewer_epochs": "--epochs {epochs}: {out} has already trained {done}; give more than {done_count} "
                                 "to train it longer",
    "train.resume_finished": "{out} is already finished ({status}, {ran}); nothing was changed. To train it longer: "
                             "--resume {out} --epochs {more}",
    "train.top5_few_classes": "train.metrics: top5_accuracy needs more than 5 classes, but {dataset} has {classes} "
                              "(it would always be 1.0); remove it from train.metrics",
    "train.steps_too_many": "train.steps_per_epoch = {steps} is more than the {whole} batches of {batch_size} the "
                            "training set holds; set it to at most {whole}, or remove it to train on all of them",
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
    # -- report: page texts and captions ---------------------------------------------------------
    "report.title": "mnistlab report: {run}",
    "report.subtitle": "run folder {path} · dataset {dataset}, {count} test images · {head} head · written from the "
                       "run folder, test set evaluated afresh",
    "report.topk": "top{k} accuracy",
    "report.macro_f1": "macro F1",
    "report.unfinished": "unfinished",
    "report.total": "total",
    "report.config": "the resolved config (config.toml)",
    "report.status": "status: {status}",
    "report.status.completed": "completed",
    "report.status.reached_target": "reached_target",
    "report.status.cancelled": "cancelled",
    "report.status.none": "not finished (no result.json)",
    "report.target_reached": "; target {target} reached at epoch {epoch}",
    "report.target_missed": "; target {target} not reached",
    "report.per_epoch": "per-epoch numbers (metrics.csv)",
    "report.col.epoch": "epoch",
    "report.col.loss": "loss",
    "report.col.accuracy": "accuracy",
    "report.col.val_loss": "val_loss",
    "report.col.val_accuracy": "val_accuracy",
    "report.col.learning_rate": "learning rate",
    "report.col.seconds": "seconds",
    "report.no_epoch": "no epoch finished yet",
    "report.col.class": "class",
    "report.col.precision": "precision",
    "report.col.recall": "recall",
    "report.col.f1": "F1",
    "report.col.support": "test images",
    "report.test_text": "{count} test images, accuracy {accuracy}, loss {loss}. Precision: of the images called this "
                        "class, the share that are; recall: of the images of this class, the share found.",
    "report.no_mistakes": "no test image was misclassified",
    "report.no_conv": "this model has no conv2d layer",
    "report.cm_title": "{run} on {dataset}: test confusion matrix",
    "report.cm_alt": "confusion matrix",
    "report.cm_caption": "Rows are the true class, columns the class the model chose; the diagonal is what it got "
                         "right. The colour scale is logarithmic so that single mistakes are visible beside thousands "
                         "of right answers.",
    "report.mode_dropout": "dropout on",
    "report.mode_batchnorm": "batch norm on each batch's statistics",
    "report.while_modes": "{modes}, while the weights still move",
    "report.while": "while the weights still move",
    "report.curves_alt": "training curves",
    "report.curves_caption": "Train loss and accuracy are running means within each epoch, drawn at every logged step "
                             "({while_training}); validation is measured at the end of each epoch, on images never "
                             "trained on. The loss axis is logarithmic, so the first steps and the last fit in one "
                             "view{bce}A validation curve that turns up while the training curve keeps falling is "
                             "overfitting.",
    "report.curves_bce": "; {note}. ",
    "report.curves_end": ". ",
    "report.mistakes_alt": "most confident mistakes",
    "report.mistakes_caption": "Test images the model got wrong while most sure of its answer. Some are mislabelled "
                               "or ambiguous {kind}; the rest show what the model has not learned yet.",
    "report.digits": "digits",
    "report.images": "images",
    "report.filters_alt": "layer {index} filters",
    "report.filters_first": "Each kernel is the pattern its filter responds to: the weights slide over the image and "
                            "the output is large where the picture looks like the kernel (red = positive weight).",
    "report.filters_deeper": "A deeper filter has one small kernel per input channel, too many to draw; the left panel "
                             "shows how much each filter listens to each feature map of the layer before, the right "
                             "one the filter's overall size (filters near 0 contribute little).",
    "report.sample": "test #{index}, true {name}",
    "report.predicted": "predicted {name} ({p})",
    "report.maps_alt": "feature maps of {caption}",
    "report.maps_caption": "Each row is a layer's output, drawn at the same scale as the input so that strides and "
                           "pooling visibly shrink it; each map is scaled to its own range (bright = strong response, "
                           "an all-dark map is a filter this image does not excite).",
    "report.maps_caption_more": " The same holds for every image below.",
    "report.probs_alt": "the head's output",
    "report.probs_caption": "What the model outputs for each sample image after its {head} head.",
    # -- report: the figures' own texts ----------------------------------------------------------
    "fig.cross_entropy": "cross-entropy",
    "fig.binary_cross_entropy": "binary cross-entropy",
    "fig.bce_note": "binary cross-entropy is summed over the classes' yes/no questions, so it is not on "
                    "cross-entropy's scale",
    "fig.epoch": "epoch",
    "fig.loss": "loss",
    "fig.accuracy": "accuracy",
    "fig.train_steps": "train: running mean within the epoch, per logged step",
    "fig.train_epoch": "train: whole epoch",
    "fig.validation": "validation",
    "fig.vs": "{name}: train vs validation",
    "fig.log_scale": "{name} (log scale)",
    "fig.target": "target {target}",
    "fig.target_reached": "target {metric}\nreached at epoch {epoch}",
    "fig.metric.accuracy": "accuracy",
    "fig.metric.val_accuracy": "val accuracy",
    "fig.lr_steps": "learning rate, per logged step",
    "fig.lr_epochs": "learning rate at the end of each epoch",
    "fig.lr": "learning rate",
    "fig.confusion": "confusion matrix",
    "fig.predicted_class": "predicted class",
    "fig.true_class": "true class",
    "fig.cm_bar": "test images (log scale; blank = 0)",
    "fig.probability": "probability",
    "fig.sigmoid_output": "sigmoid output",
    "fig.mistakes_title": "The {n} most confident of {total} mistakes on {count} test images\n"
                          "(true class, predicted class, {word} of the prediction)",
    "fig.mistake_tile": "true {true}\npred {pred} {p}",
    "fig.layer_conv": "layer {index} conv2d",
    "fig.filters_more": " (first {shown} of {filters})",
    "fig.filters_title": "{title}: {filters} kernels of {kh}x{kw}{more}, numbered as the feature maps",
    "fig.weight_bar": "weight (red +, blue -)",
    "fig.input_channel": "input channel (a feature map of the layer before)",
    "fig.filter": "filter",
    "fig.filters_reads": "{title}: how strongly each of {filters} filters reads each of {channels} input channels",
    "fig.slice_norm": "L2 norm of the {kh}x{kw} kernel slice",
    "fig.kernel_norm": "L2 norm of the whole kernel",
    "fig.filter_size": "size of each filter",
    "fig.input_row": "input  ->  {shape}",
    "fig.first_maps": "   [first {n} of {channels} maps]",
    "fig.stage": "layer {index} {type}{extra} ({settings})  ->  {shape}   since {arith}",
    "fig.softmax_note": "softmax head: the classes compete, so each image's bars sum to 1",
    "fig.sigmoid_note": "sigmoid head: each bar is its own yes/no probability in 0..1; the bars need not sum to 1",
    "fig.colour_key": "(green: predicted and right, red: predicted and wrong, grey: the rest; the true class is in "
                      "bold)",
    "fig.sum": "sum = {sum}",
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
    "studio.seen_note": "Your drawing after MNIST-style preprocessing, as the network receives it: white ink on "
                        "black, cropped to the ink, scaled into a 20×20 box and centred by its mass in 28×28.",
    "studio.layers": "Layers",
    "studio.output": "Output",
    "studio.training": "Training",
    "studio.data": "Data",
    "studio.epochs": "epochs",
    "studio.batch_size": "batch_size",
    "studio.learning_rate": "learning_rate",
    "studio.shuffle": "shuffle",
    "studio.recipe": "Recipe",
    "studio.recipe_sub": "in Keras' words",
    "studio.preset": "Start from preset",
    "studio.run_name": "Run name",
    "studio.add_layer": "Add layer",
    "studio.head": "Head (model.output)",
    "studio.loss": "Loss",
    "studio.loss_auto": "auto (fits the head)",
    "studio.optimizer": "optimizer",
    "studio.schedule": "schedule",
    "studio.target_accuracy": "target_accuracy",
    "studio.log_every": "log_every",
    "studio.dataset": "dataset",
    "studio.validation_size": "validation_size",
    "studio.train_limit": "train_limit",
    "studio.train_limit_note": "train_limit trains on only the first N training images, for a quick demo; the test "
                               "set stays whole and the run records the subset (its dataset reads e.g. mnist[:6000]).",
    "studio.cancel": "Cancel",
    "studio.summary": "Summary",
    "studio.code": "Keras code",
    "studio.code_sub": "this recipe as a script for your notebook",
    "studio.copy": "Copy",
    "studio.copied": "Copied",
    "studio.progress": "Progress",
    "studio.idle": "idle",
    "studio.progress_hint": "Start a run to see its loss and accuracy, live.",
    "studio.legend_step": "train, running mean within the epoch",
    "studio.legend_train": "train, per epoch",
    "studio.legend_val": "validation",
    "studio.chart_loss": "Loss",
    "studio.chart_accuracy": "Accuracy",
    "studio.runs": "Runs",
    "studio.col_run": "run",
    "studio.col_status": "status",
    "studio.col_dataset": "dataset",
    "studio.col_head": "head",
    "studio.col_params": "params",
    "studio.col_epochs": "epochs",
    "studio.col_val": "val acc",
    "studio.col_test": "test acc",
    "studio.col_time": "time",
    "studio.runs_empty": "No runs yet: train one in the Train tab, or start the server with mnistlab serve runs/NAME.",
    "studio.field.type": "type",
    "studio.field.activation": "activation",
    "studio.field.epsilon": "epsilon",
    "studio.field.filters": "filters",
    "studio.field.kernel_size": "kernel_size",
    "studio.field.momentum": "momentum",
    "studio.field.padding": "padding",
    "studio.field.pool_size": "pool_size",
    "studio.field.rate": "rate",
    "studio.field.strides": "strides",
    "studio.field.units": "units",
    "studio.field.use_bias": "use_bias",
    "studio.move_up": "move up",
    "studio.move_down": "move down",
    "studio.remove": "remove",
    "studio.probability": "probability",
    "studio.sigmoid_score": "sigmoid score",
    "studio.runner_up": "runner-up: {name} ({p})",
    "studio.no_run": "No trained run to draw against yet: train one in the Train tab.",
    "studio.no_answer": "The server did not answer ({error}).",
    "studio.no_maps": "No feature maps: the picture was not classified.",
    "studio.draw_prompt": "Draw a digit to see what the network thinks.",
    "studio.draw_maps": "Draw something to see the feature maps.",
    "studio.not_digit": "this does not look like a digit",
    "studio.not_digit_tail": "{note}. Draw a digit (or upload a clearer picture).",
    "studio.no_conv": "This network has no convolution layers, so there are no feature maps to show.",
    "studio.fix_recipe": "Fix the recipe to see the shapes.",
    "studio.totals": "{params} params · {macs} mult-adds per image · {head} head",
    "studio.draw_run": "Draw",
    "studio.draw_with": "Draw with this run",
    "studio.from_dir": "from {path}",
    "studio.no_runs_yet": "no trained runs yet",
    "studio.test_accuracy": "test accuracy",
    "studio.test_loss": "test loss",
    "studio.time": "time",
    "studio.target": "target",
    "studio.reached": "reached at epoch {epoch}",
    "studio.not_reached": "not reached",
    "studio.status.completed": "completed",
    "studio.status.reached_target": "reached target",
    "studio.status.cancelled": "cancelled",
    "studio.status.failed": "failed",
    "studio.status.training": "training",
    "studio.status.stopped": "stopped",
    "studio.status.incomplete": "incomplete",
    "studio.status.unreadable": "unreadable",
    "studio.status.starting": "starting",
    "studio.status.cancelling": "cancelling",
    "studio.table_layer": "layer",
    "studio.table_output": "output",
    "studio.table_arithmetic": "arithmetic",
    "studio.table_params": "params",
    "studio.table_input": "input",
    "studio.upload": "Upload PNG/JPG",
    "studio.undo_title": "Undo the last stroke (Ctrl+Z)",
    "studio.clear_title": "Clear the pad (Esc)",
    "studio.no_data": "no data yet",
    "studio.chart_epoch": "epoch",
    "studio.head_note.softmax": "softmax: the classes compete and the probabilities sum to 1",
    "studio.head_note.sigmoid": "sigmoid: each class is its own yes/no question, scored 0..1 independently",
    "studio.seconds": "{s} s",
    "studio.minutes": "{m} min {s} s",
    "studio.line_loading": "run {run}: loading the data…",
    "studio.line_start": "run {run}: {train} training images, {val} held out for validation, {params} params, on "
                         "{device}",
    "studio.line_step": "run {run} · epoch {epoch}/{epochs} · step {step}/{steps} · loss {loss} · accuracy {accuracy}",
    "studio.line_cancelling": " · cancelling…",
    "studio.line_epoch": "run {run} · epoch {epoch}/{epochs} done in {time} · loss {loss}",
    "studio.line_val": " · val_accuracy {accuracy}",
    "studio.line_failed": "run {run} failed",
    "studio.start": "Start training",
    # -- errors: config, command line, notebook API, devices (MnistlabError: one line, the problem and the fix) 
    "config.unknown_key": "{where}: unknown key; valid keys here: {valid}",
    "config.unknown_key_hint": "{where}: unknown key; did you mean '{close}'? valid keys here: {valid}",
    "config.bce_with_softmax": "train.loss = 'binary_cross_entropy' does not fit model.output = 'softmax': binary "
                               "cross-entropy scores each class as its own yes/no question, which is the 'sigmoid' "
                               "head, while softmax makes the classes compete and sum to 1; use loss = "
                               "'cross_entropy' or output = 'sigmoid'",
    "config.ce_with_sigmoid": "train.loss = 'cross_entropy' does not fit model.output = 'sigmoid': cross-entropy "
                              "assumes exactly one class is true and normalises the outputs with softmax, while a "
                              "sigmoid head gives each class an independent 0..1 probability; use loss = "
                              "'binary_cross_entropy' or output = 'softmax'",
    "config.set_syntax": "--set {text!r}: expected section.key=value, e.g. --set train.learning_rate=0.001",
    "config.not_a_table": "{where}: expected a table of keys, got {value!r}",
    "config.no_layers": "{where}: expected a non-empty list of [[model.layers]] tables",
    "config.layer_type": "{where}.type = {kind!r}: expected one of {types}",
    "config.unknown_preset": "unknown model preset {name!r}; choose one of {choices}",
    "config.file_missing": "config file {path} does not exist; check the path given to --config",
    "config.file_not_utf8": "config file {path} is not UTF-8 text (byte {byte}); save it as UTF-8 TOML",
    "config.file_unreadable": "config file {path} cannot be read ({reason}); check its permissions",
    "config.bad_toml": "{source}: not valid TOML ({error}); fix the syntax at that line",
    "config.not_finite": "{path} = {value}: expected a finite number (not NaN or infinity); give a real value",
    "config.too_large": "{path} = {value} is out of range: it must be at most {most}; give a smaller value",
    "config.out_of_range": "{path} = {value!r} is out of range: it must satisfy {bound}",
    "config.no_index": "{key}: '{name}' has {n} entries, so index {index} does not exist",
    "config.not_a_section": "{key}: '{part}' is a value, not a section",
    "config.wrong_type": "{where} = {value!r}: expected {expected}",
    "cli.resume_refused": "--resume continues {run} with its own settings, so {refused} cannot change them; only "
                          "--epochs, --data-dir and --device can (start a new run for the rest)",
    "cli.dataset_mismatch": "dataset {dataset} has {classes} classes of shape {shape}, but run {run} was trained on "
                            "{run_classes} classes of shape {run_shape}; pick a matching --dataset",
    "cli.index_range": "--index {index}: the test split of {dataset} has images 0..{last}",
    "cli.sweep_argument": "unexpected argument {name!r}; did you mean `mnistlab sweep report {name}`?",
    "cli.sweep_report_study": "sweep report needs a STUDY: the sweep folder, or a study name with --storage URL",
    "cli.no_validation": "run {run} held out no validation images (validation_size = 0); use --split test",
    "cli.run_or_config": "give either a RUN folder or --config/--model, not both",
    "cli.label_unknown": "--label {label!r} is not a class of this run; its classes: {classes}",
    "api.no_images": "no images to predict; pass a path, a PIL image, an array, or a list of them",
    "api.no_conv": "this model has no conv2d layer, so it has no filters to show",
    "api.not_conv": "layer {layer} is not a conv2d layer; the conv2d layers are {convs}",
    "api.one_image": "plot_feature_maps shows one image; got {n}",
    "api.dataset_mismatch": "dataset {dataset} has {classes} classes of shape {shape}, but run {run} was trained on "
                            "{run_classes} classes of shape {run_shape}; pass a matching one",
    "api.unknown_split": "unknown split {split!r}; use 'test', 'val' or 'train'",
    "api.no_validation": "run {run} held out no validation images (validation_size = 0); use split='test'",
    "api.image_shape": "an image array of shape {shape}; pass H x W, H x W x C, or a batch of them",
    "device.no_cuda": "device 'cuda' was asked for but PyTorch sees no CUDA GPU; use --device cpu or auto",
    "device.unknown": "device {name!r} is unknown; use auto, cpu or cuda",
    "distributed.rank_range": "RANK={rank} is outside 0..WORLD_SIZE-1={last}; check the torchrun flags",
    "distributed.nproc": "--nproc {nproc}: give at least 1 process",
    "distributed.batch_too_small": "train.batch_size = {batch_size} is the global batch, split over {world_size} "
                                   "processes; make it at least {world_size}",
    "distributed.no_rank": "WORLD_SIZE is set but RANK/LOCAL_RANK are missing or not integers; start data-parallel "
                           "training with torchrun (or mnistlab train --nproc N)",
    "distributed.no_gpu": "LOCAL_RANK {local_rank} has no GPU (this machine has {gpus}); use --nproc-per-node <= the "
                          "number of GPUs",
    "explain.label_range": "label {label} is out of range; the run has classes 0..{last}",
    "explain.layer_range": "--layer {layer}: the network has layers 0..{last} (see `mnistlab summary RUN`)",
    "explain.not_conv": "--layer {layer} is a {type} layer, not conv2d; conv layers here: {convs}",
    "explain.at_outside": "--at {row},{col} is outside layer {layer}'s {oh} x {ow} output; use "
                          "0..{last_row},0..{last_col}",
    "explain.filter_range": "--filter {filter}: layer {layer} has filters 0..{last}",
    "explain.padding_sizes": "--size, --kernel-size and --strides must be 1 or more",
    "explain.at_syntax": "--at {text!r}: give the output position as ROW,COL, e.g. --at 3,5",
    "type.one_of": "one of {choices}",
    "type.or": "{a} or {b}",
    "type.list_of": "a list of ({item})",
    "type.pair_integers": "a pair of integers [height, width]",
    "type.pair_numbers": "a pair of numbers [height, width]",
    "type.pair_values": "a pair of values [height, width]",
    "type.list": "a list",
    "type.integer": "an integer",
    "type.number": "a number",
    "type.bool": "true or false",
    "type.string": "a string",
    # -- errors: datasets and image files ----------------------------------------------------------
    "data.unknown_color": "unknown color {color!r}; use 'grayscale' or 'rgb'",
    "data.image_size": "image_size {image_size!r} is out of range; use a whole number from 4 to 512 (28 for MNIST)",
    "data.not_images": "{path}: expected uint8 images of shape N x H x W, got {dtype} {shape}; check that this is an "
                       "images file, not a labels file",
    "data.not_labels": "{path}: expected one integer label per image, got {dtype} {shape}; check that this is a "
                       "labels file, not an images file",
    "data.count_mismatch": "{images} has {n_images} images but {labels} has {n_labels} labels; the two files must "
                           "come from the same dataset, so replace the wrong one",
    "data.shape_mismatch": "train images are {train} but test images are {test}; all four files must come from the "
                           "same dataset",
    "data.empty_classes": "{path}: label {top} makes {classes} classes, but {n_empty} of them have no training image "
                          "(class {empty}); the labels must run from 0 to the number of classes - 1, so fix or "
                          "remove the stray label {top}",
    "data.validation_most": "data.validation_size = {n} holds out more than half of the {n_train} training images; "
                            "the model trains on {left} (\"auto\" would keep {auto})",
    "data.validation_all": "data.validation_size = {n} leaves no training images out of {n_train}; set "
                           "data.validation_size below {n_train} (or \"auto\")",
    "data.arrays_mismatch": "{n} images but {labels} labels; pass matching images and labels",
    "data.validation_whole": "validation size {size!r} must be a whole number >= 0; fix the validation size",
    "data.validation_too_big": "validation size {size} leaves no training data out of {n} samples; use a validation "
                               "size below {n}",
    "data.split_empty": "the {split} split of {dataset} is empty; choose the other split",
    "data.samples_count": "cannot show {n} samples; ask for at least 1",
    "data.unknown_split": "unknown split {split!r}; use 'train' or 'test'",
    "data.label_range": "{path}: label {label} is out of range for {classes} classes (0..{last}); the labels file is "
                        "corrupt or belongs to another dataset, so replace it",
    "data.empty_class_folder": "class folder {folder} has no images ({suffixes}); add some or remove the folder",
    "data.download_failed": "could not download {dataset} file {filename}: tried {tried}; check your internet "
                            "connection, or {fix}",
    "data.checksum": "{path}: {algorithm} checksum mismatch: expected {expected}, got {actual}; this is not the "
                     "published {dataset} file, so replace it with the original download",
    "data.idx_missing": "{filename} (or {plain}) not found in {where}; put the four {dataset} IDX files there under "
                        "their standard names",
    "data.idx_missing_or_download": "{filename} (or {plain}) not found in {where}; put the four {dataset} IDX files "
                                    "there under their standard names, or drop --data-dir / unset MNISTLAB_DATA_DIR "
                                    "to download them",
    "data.no_data_dir": "data folder {folder} does not exist; fix --data-dir / MNISTLAB_DATA_DIR or drop it to "
                        "download",
    "data.idx_too_short": "{path}: not an IDX file: only {size} bytes, too short for the 4-byte header; {fix}",
    "data.idx_magic": "{path}: not an IDX file: magic number starts with {magic} instead of 0000; check that it is "
                      "an MNIST-style IDX file, or delete it and download it again",
    "data.idx_dtype": "{path}: unknown IDX dtype code {code} (valid: {valid}); {fix}",
    "data.idx_no_dims": "{path}: IDX header says 0 dimensions; {fix}",
    "data.idx_header_truncated": "{path}: truncated: header promises {ndim} dimension sizes but the file ends after "
                                 "{size} bytes; {fix}",
    "data.idx_truncated": "{path}: truncated: header says {shape} ({expected} bytes) but only {actual} bytes follow; "
                          "{fix}",
    "data.idx_trailing": "{path}: {extra} unexpected trailing bytes: header says {shape} ({expected} bytes) but "
                         "{actual} bytes follow; {fix}",
    "data.idx_cannot_store": "{path}: IDX cannot store dtype {dtype}; convert the array to one of {names} first",
    "data.idx_ndim": "{path}: IDX needs 1 to 255 dimensions, got {ndim}; reshape the array first",
    "data.idx_dim_too_big": "{path}: a dimension of {shape} does not fit in 32 bits; split the array",
    "data.idx_not_found": "{path}: file not found; check the path or download the dataset again",
    "data.unreadable": "{path}: cannot be read ({error}); check the path and its permissions",
    "data.idx_gzip": "{path}: corrupt gzip data ({error}); {fix}",
    "data.image_array_shape": "image array has shape {shape}; pass HxW grayscale or HxWx3/HxWx4 colour",
    "data.image_too_big": "{name}: image is {width}x{height} pixels, over the limit of {limit} pixels; scale it down "
                          "first",
    "data.image_unknown_format": "{name}: not a readable image (unknown format); use a PNG, JPEG or BMP file",
    "data.image_unreadable": "{name}: not a readable image ({error}); use a PNG, JPEG or BMP file",
    "data.image_not_found": "{name}: file not found; check the path",
    "data.unknown_dataset": "unknown dataset {spec!r}; use one of {known}, idx:DIR (a folder with the four "
                            "MNIST-named IDX files) or folder:PATH (one sub-folder of images per class)",
    "data.spec_no_folder": "dataset spec {spec!r} has no folder after {prefix!r}; write it as {prefix}/path/to/folder",
    "data.spec_not_folder": "dataset folder {path} (from {spec!r}) does not exist or is not a folder; check the path",
    "data.no_class_folders": "dataset folder {path} has no sub-folders; put each class's images in its own "
                             "sub-folder (e.g. {path}/cat/1.png)",
    "data.no_mirrors": "no mirrors",
    "data.idx_fix": "delete it and download it again (or replace it with an intact copy)",
    "data.data_dir_fix": "download the files by hand and pass --data-dir DIR (or set MNISTLAB_DATA_DIR)",
    "data.uploaded_image": "uploaded image",
    # -- errors: run folders, files, resources, models, reports, exports ---------------------------
    "run.bad_name": "run name {name!r} is not allowed: use letters, digits, '.', '_' and '-' only",
    "run.in_use": "{path} is in use: another `mnistlab train` is writing this run folder; wait for it to finish, or "
                  "pick another --out",
    "run.not_a_run": "{path}: not a run folder (no {config}); pass a folder that `mnistlab train` wrote",
    "run.no_meta": "{path}: the run has no {meta} yet; it did not get past setup, train it again",
    "run.meta_not_object": "{path}: expected a JSON object; the run folder is damaged, train it again",
    "run.no_weights": "{path}: no weights yet (no {weights} or checkpoint); train it first",
    "run.bad_metrics": "{path}: not the metrics table mnistlab writes; the run folder is damaged, train it again",
    "run.bad_result": "{path}: not the result mnistlab writes (no status); the run folder is damaged",
    "run.not_utf8": "{path}: not UTF-8 text; the run folder is damaged, train it again",
    "run.bad_meta": "{source}: damaged run metadata ({error}); train the run again",
    "run.out_is_file": "{folder} is a file, not a folder; give --out a new folder name (or move the file)",
    "run.bad_config": "{path}: {error}; the run folder is damaged, train it again",
    "run.unreadable": "{path}: cannot be read ({error}); check its permissions",
    "run.meta_not_json": "{path}: not valid JSON; the run folder is damaged, train it again",
    "run.bad_weights": "{path}: unreadable weights ({error}); train the run again",
    "run.weights_mismatch": "{path}: weights do not match {config} ({error})",
    "run.damaged_file": "{path}: unreadable ({error}); the run folder is damaged, train it again",
    "run.result_not_json": "{path}: not valid JSON; evaluate the run again with `mnistlab evaluate`",
    "run.no_checkpoint": "{path}: no checkpoint to resume from; the run never finished an epoch, start it again",
    "run.bad_checkpoint": "{path}: unreadable checkpoint ({error}); the run cannot be resumed",
    "files.disk_full": "{path}: the disk is full (no space left on device); the previous {name} is kept; free some "
                       "space and run the command again",
    "files.disk_full_nothing": "{path}: the disk is full (no space left on device); nothing was written; free some "
                               "space and run the command again",
    "resources.threads": "train.threads = {n} is more than the {cores} CPU cores this process may use; use at most "
                         "{cores} (or 0 for one per core)",
    "resources.memory": "this model needs about {total} to train ({params:,} parameters: {weights} of weights, "
                        "{gradients} of gradients and optimizer state, {activations} of activations for a batch of "
                        "{batch_size}), but only {limit} of memory is available; use fewer filters or units, or a "
                        "smaller train.batch_size",
    "tensorboard.missing": "TensorBoard logging needs the tensorboard package: {install}",
    "report.compare_two": "compare needs at least two run folders, e.g. `mnistlab compare runs/a runs/b`",
    "report.test_empty": "the test split of {dataset} is empty; pass --image FILE to see feature maps",
    "model.wrong_output": "the network ends with shape {shape} but the dataset has {classes} classes: end with a "
                          "dense layer of units = {classes} (its outputs are the logits)",
    "model.last_activation": "the last layer applies activation '{activation}', but the network must output raw "
                             "logits: set activation = 'linear' on it and choose the head with model.output = "
                             "'softmax' or 'sigmoid'",
    "model.unknown_activation": "activation {name!r} is unknown; use one of {choices}",
    "model.unknown_layer": "unknown layer type {kind!r}; use one of {choices}",
    "model.needs_map": "{where}: needs a C x H x W feature map but its input is a flat vector of {size}; move it "
                       "before the flatten/global_avg_pool layer",
    "model.too_small": "{where}: input {shape} is too small for a {kh}x{kw} window with padding='valid' "
                       "({arithmetic}); use padding='same', a smaller kernel, or less downsampling before it",
    "model.already_flat": "{where}: needs a C x H x W feature map but its input is already flat ({size})",
    "model.dense_needs_flat": "{where}: a dense layer needs a flat input but gets a {shape} feature map; add {{type "
                              "= \"flatten\"}} or {{type = \"global_avg_pool\"}} before it",
    "export.framework": "framework {framework!r}: choose one of {choices}",
    "export.folder_dataset": "data.dataset = {dataset!r}: a generated script reads IDX files and the known datasets "
                             "only; convert the folder to IDX files (mnistlab.data.write_idx)",
    "export.keras_weight_decay": "train.weight_decay = {weight_decay} with optimizer = {optimizer!r} has no faithful "
                                 "Keras equivalent: PyTorch adds it to the gradient (L2), Keras' weight_decay "
                                 "shrinks the weights directly; use optimizer = 'adamw' (the same in both) or "
                                 "weight_decay = 0",
    "export.keras_metric": "train.metrics contains {metric!r}: mnistlab averages it over the classes and Keras' "
                           "{keras_metric} metric does not; leave it out of train.metrics for the Keras script",
    "export.keras_suffix": "--out {out}: a Keras file name must end in .keras",
    "export.keras_differs": "the Keras model's probabilities differ from PyTorch's by {diff:.1e} (more than "
                            "{tolerance:g}) on Keras' {backend} backend; nothing was written. {cause}",
    "export.keras_missing": "Keras support needs keras 3 ({error}); pip install 'mnistlab[keras]'",
    "export.onnx_suffix": "--out {out}: an ONNX file name must end in .onnx",
    "export.onnx_missing": "ONNX support needs the {module} package; pip install 'mnistlab[onnx]'",
    "export.onnx_no_metadata": "{path}: the ONNX file has no mnistlab metadata (head, classes); export it with "
                               "`mnistlab export RUN --format onnx`",
    "export.onnx_unloadable": "{path}: not a loadable ONNX model ({error}); export one with `mnistlab export RUN "
                              "--format onnx`",
    "export.keras_avgpool_same": "Likely cause: avgpool2d with padding='same' where the padding is uneven: Keras' "
                                 "torch backend pads with copies of the edge pixels and averages them in (TensorFlow "
                                 "and mnistlab leave them out)",
    "export.keras_report": "Please report this run's config.toml",
    # -- errors: sweeps ----------------------------------------------------------------------------
    "sweep.not_a_space": "{where}: expected a list of values or a range {{low = ..., high = ...}}, got {spec!r}",
    "sweep.range_keys": "{where}: a range has keys low, high and optionally log, step; got {keys}",
    "sweep.range_types": "{where}: low, high and step must be numbers and log true or false",
    "sweep.range_order": "{where}: low = {low} must be below high = {high}",
    "sweep.range_log": "{where}: a log range needs low > 0 and no step",
    "sweep.range_step": "{where}: step = {step} must be positive",
    "sweep.no_file": "sweep file {path} does not exist; check the path",
    "sweep.unknown_section": "{path}: unknown section [{section}]; a sweep file has [base], [space] and [sweep]",
    "sweep.no_validation": "{path}: [base] data.validation_size = 0, but trials are compared on validation accuracy; "
                           "set it above 0 (the test set is kept for the final judgement)",
    "sweep.empty_space": "{path}: [space] is empty; add entries such as \"train.learning_rate\" = {{low = 1e-4, high "
                         "= 1e-2, log = true}}",
    "sweep.sampler": "{path}: [sweep] sampler = {sampler!r}: expected one of {choices}",
    "sweep.pruner": "{path}: [sweep] pruner = {pruner!r}: expected one of {choices}",
    "sweep.timeout": "{path}: [sweep] timeout = {timeout!r}: expected a number of seconds > 0",
    "sweep.bad_name": "study name {name!r} is not allowed (it names the sweep folder): use letters, digits, '.', '_' "
                      "and '-' only",
    "sweep.workers": "--workers {workers}: give at least 1",
    "sweep.not_a_sweep": "{folder}: not a sweep folder (no sweep.json); pass the folder `mnistlab sweep` wrote, or a "
                         "study name with --storage URL",
    "sweep.study_elsewhere": "{folder}: this sweep's study is in {storage}; pass the study name {study!r} with "
                             "--storage URL",
    "sweep.no_optuna": "sweeps need Optuna; pip install 'mnistlab[sweep]'",
    "sweep.grid_needs_step": "[space] \"{key}\": the grid sampler needs a list of values or a range with a step; add "
                             "step = ... or list the values",
    "sweep.in_space": "{where}: {error}",
    "sweep.not_a_list": "{where}: expected a non-empty list of numbers, strings or booleans, got {spec!r}",
    "sweep.repeated_value": "{where}: the list {spec!r} repeats a value; list each value once",
    "sweep.in_base": "{path}: [base] {error}",
    "sweep.unknown_key": "{path}: [sweep] {key}: unknown key; valid keys: {valid}",
    "sweep.not_an_integer": "{path}: [sweep] {key} = {value!r}: expected an integer >= {minimum}",
    "sweep.no_driver": "--storage {url}: the database driver is missing ({error}); for PostgreSQL pip install "
                       "'mnistlab[postgres]'",
    "sweep.no_database": "--storage {url}: cannot open the database ({error})",
    "sweep.no_study": "no study named {name!r} in {url}; check --study or the sweep folder",
    "sweep.trial_no_validation": "data.validation_size = 0 leaves no validation accuracy to compare trials on",
    "sweep.in_file": "{path}: {error}",
    # -- errors: the studio (web) ------------------------------------------------------------------
    "web.no_image": "the request has no image; send PNG or JPEG bytes, or a form with a 'file' field",
    "web.run_outside": "run {run} is not inside the runs folder {runs_dir}; pass --runs-dir {parent}",
    "web.no_run": "no run chosen: pass ?run=NAME (see /api/runs) or start the server with a RUN",
    "web.no_file_field": "the form has no 'file' field; upload the image as file=@digit.png",
    "web.unknown_run": "no run named {name!r} in {runs_dir}; pick one from /api/runs",
    "web.no_weights": "run {name!r} has no weights yet (it has not finished an epoch); pick another run",
    "web.max_jobs": "max_jobs = {max_jobs}: at least one training job must be allowed; use 1 or more",
    "web.jobs_busy": "run {run} is still training and this server trains {max_jobs} at a time; wait for it to finish "
                     "or cancel it",
    "web.run_exists": "a run named {run!r} already exists in {runs_dir}; choose another name",
    "web.unknown_job": "no training job {job_id!r}; see /api/train for the current ones",
    "web.data_outside": "dataset {name!r} is not inside a data folder of this studio; {rule}",
    "web.data_dir_refused": "data.data_dir {given_dir!r} cannot be chosen from the page; {rule}",
    "web.data_not_allowed": "dataset {name!r} is not allowed here; {rule}",
    "web.data_no_folder": "dataset {name!r} names no folder; {rule}",
    "web.over_budget": "over this studio's budget: {over}; the server's owner can raise it with `mnistlab serve "
                       "--max-params/--max-batch-memory/--max-epochs/--max-train-images`",
    "web.over_images": "{name} has {n:,} training images, over this studio's budget of {limit:,}; set train_limit to "
                       "at most {limit:,} (or restart the server with a larger --max-train-images)",
    "web.no_data_dir": "--data-dir {folder}: no such folder; give a folder that holds datasets",
    "web.data_unknown": "dataset {name!r} is unknown; {rule}",
    "web.cannot_listen": "cannot listen on {host}:{port} ({error}); pick another --port or stop what is using it",
    "web.body_too_large": "the request body is over the {megabytes:g} MB limit; send a smaller image (crop it to the "
                          "digit or scale it down)",
    "web.unknown_host": "unknown Host {host!r}; open the page as http://127.0.0.1:PORT",
    "web.cross_site": "cross-site request refused: this API only takes orders from its own page",
    "web.not_finite": "the request holds the number {number}, which is not a finite number (NaN and infinities are "
                      "not JSON); send a real value",
    "web.body_timeout": "the request body stalled for {seconds:g} s and was dropped; send the whole body at once",
    "web.data_rule": "the studio reads the datasets {datasets} by name, and idx:/folder: datasets only inside the "
                     "folders given with `mnistlab serve --data-dir DIR` ({folders})",
    "web.no_data_dirs": "none were given",
    "web.over_params": "{params:,} parameters (the limit is {limit:,}): use fewer filters or units",
    "web.over_activations": "{activations} of activations for a batch of {batch_size} (the limit is {limit}): use a "
                            "smaller batch_size or smaller feature maps",
    "web.over_epochs": "{epochs} epochs (the limit is {limit})",
    "web.over_train_limit": "train_limit {train_limit:,} (the limit is {limit:,} training images)",
}
