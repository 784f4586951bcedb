"""The same AlexNet in PyTorch, built from an alexnet-onnx .onnx file: its options (metadata_props) and its weights
(initializers). The layer geometry (TF SAME padding, LRN presets in TensorFlow's terms) is written out here again
on purpose, so the PyTorch side is an independent reference, not a copy of our graph.

Used by the gradient tests (test/python/torch_grads.py) and the PyTorch peer benchmark (scripts/peer_pytorch.py).
"""
import math

import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

# (name, kernel, stride, lrn after, pool after), as in the seeds' inference()
CONV = [("conv1", 11, 4, True, True), ("conv2", 5, 1, True, True), ("conv3", 3, 1, False, False),
        ("conv4", 3, 1, False, False), ("conv5", 3, 1, False, True)]
# TensorFlow tf.nn.lrn arguments: depth_radius, bias, alpha (per element), beta
LRN = {"tf-benchmark": (4, 1.0, 0.001 / 9, 0.75), "paper": (2, 2.0, 1e-4, 0.75)}


def load(path, dtype=torch.float64, device="cpu"):
    """Returns (options dict, {param name: tensor}) from an exported model."""
    model = onnx.load(path)
    meta = {p.key[len("alexnet."):]: p.value for p in model.metadata_props if p.key.startswith("alexnet.")}
    names = [f"{c[0]}.{k}" for c in CONV for k in ("weight", "bias")]
    if meta["head"] == "fc":
        names += [f"fc{i}.{k}" for i in (6, 7, 8) for k in ("weight", "bias")]
    inits = {i.name: i for i in model.graph.initializer}
    params = {n: torch.tensor(numpy_helper.to_array(inits[n]), dtype=dtype, device=device) for n in names}
    return meta, params


def same_pads(size, kernel, stride):
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def forward(meta, params, images, dropout_masks=None):
    """NCHW forward pass; returns the model output (pool5, or fc8: after a ReLU as the seeds do, linear when the model
    was exported with --no-fc8-relu)."""
    x = images
    for name, k, s, has_lrn, has_pool in CONV:
        ph = same_pads(x.shape[2], k, s)
        pw = same_pads(x.shape[3], k, s)
        x = F.pad(x, (pw[0], pw[1], ph[0], ph[1]))
        x = F.relu(F.conv2d(x, params[f"{name}.weight"], params[f"{name}.bias"], stride=s))
        if has_lrn and meta["lrn"] != "none":
            r, bias, alpha, beta = LRN[meta["lrn"]]
            size = 2 * r + 1
            # torch divides alpha by size like ONNX; TensorFlow does not
            x = F.local_response_norm(x, size, alpha=alpha * size, beta=beta, k=bias)
        if has_pool:
            x = F.max_pool2d(x, 3, 2)
    if meta["head"] == "fc":
        x = x.flatten(1)
        for i in (6, 7, 8):
            x = x @ params[f"fc{i}.weight"] + params[f"fc{i}.bias"]
            if i < 8 or meta.get("fc8Relu", "true") == "true":
                x = F.relu(x)
            if dropout_masks is not None and i in dropout_masks:
                x = x * dropout_masks[i]
    return x


def loss_of(kind, output, labels=None):
    if kind == "l2":
        return 0.5 * (output ** 2).sum()
    if kind == "softmax-cross-entropy":
        return F.cross_entropy(output, labels)
    raise ValueError(f"unknown loss {kind}")
