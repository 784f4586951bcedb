"""Compares alexnet-onnx gradients (computed by onnxruntime-node, saved by the test) with PyTorch autograd in float64.

Usage: torch_grads.py MODEL.onnx DIR, where DIR/manifest.json lists the loss kind, the input files and the
gradient files (raw little-endian float32) that onnxruntime produced. Prints one JSON object with, per gradient,
the max absolute error, the max absolute reference value and their ratio (rel), and the same for the loss.
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
import torch_alexnet  # noqa: E402


def main(model_path, folder):
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    meta, params = torch_alexnet.load(model_path)
    for p in params.values():
        p.requires_grad_(True)
    images = torch.tensor(np.fromfile(os.path.join(folder, "images.bin"), dtype="<f4").reshape(manifest["images_shape"]),
                          dtype=torch.float64)
    labels = None
    if "labels" in manifest:
        labels = torch.tensor(manifest["labels"], dtype=torch.int64)
    torch.set_num_threads(2)
    output = torch_alexnet.forward(meta, params, images)
    loss = torch_alexnet.loss_of(manifest["loss"], output, labels)
    wrt = manifest["wrt"]
    grads = torch.autograd.grad(loss, [params[n] for n in wrt])
    result = {"loss": {"ours": manifest["loss_value"], "torch": loss.item(),
                       "rel": abs(manifest["loss_value"] - loss.item()) / max(abs(loss.item()), 1e-30)},
              "grads": {}}
    for name, ref in zip(wrt, grads):
        ours = np.fromfile(os.path.join(folder, f"{name}_grad.bin"), dtype="<f4").reshape(ref.shape)
        ref = ref.numpy()
        err = float(np.abs(ours.astype(np.float64) - ref).max())
        scale = float(np.abs(ref).max())
        result["grads"][name] = {"max_abs_err": err, "max_abs_ref": scale, "rel": err / max(scale, 1e-30)}
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
