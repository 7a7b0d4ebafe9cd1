"""mnistlab: train, explain and serve small convolutional classifiers on the MNIST family."""
