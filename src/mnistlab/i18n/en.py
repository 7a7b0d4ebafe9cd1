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
    "loss.binary_why": "(every one of the {n} classes adds its own term, so it is larger than cross-entropy, which "
                       "only asks about the true class)",
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
}
