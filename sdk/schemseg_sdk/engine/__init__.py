"""Precision graphs, accuracy gates and TensorRT engine bundles (``schemseg-build-engine``)."""
