"""Compares k steps of an alexnet-onnx training step (run by onnxruntime-node, saved by the test) with torch.optim in
float64, from the same weights (the model's initializers) and the same data.

Usage: torch_optim.py MODEL.onnx DIR, where DIR/manifest.json gives the loss, the optimizer and its hyperparameters,
the trained parameters and, per step, the learning rate, the images file, the labels and the loss onnxruntime
computed; DIR/step<k>/<param>.bin holds each parameter after step k (raw little-endian float32).
Prints one JSON object: per step, the loss (ours, torch's) and per parameter the relative L2 error of the parameter
(|ours - torch| / |torch|) and of the step's update (|(ours - ours before) - (torch - torch before)| / |torch - torch
before|), the update's size beside the parameter, and the model's metadata_props as onnx reads them.
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
import torch_alexnet  # noqa: E402


def optimizer_of(spec, tensors):
    if spec["optimizer"] == "sgd":
        return torch.optim.SGD(tensors, lr=1.0, momentum=spec["momentum"], nesterov=spec["nesterov"],
                               weight_decay=spec["weightDecay"])
    if spec["optimizer"] == "adamw":
        return torch.optim.AdamW(tensors, lr=1.0, betas=(spec["beta1"], spec["beta2"]), eps=spec["eps"],
                                 weight_decay=spec["weightDecay"])
    raise ValueError(f"unknown optimizer {spec['optimizer']}")


def norm(a):
    flat = a.reshape(-1)
    return float(np.sqrt(np.dot(flat, flat)))


def main(model_path, folder):
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    meta, params = torch_alexnet.load(model_path)
    names = manifest["parameters"]
    tensors = [params[n].requires_grad_(True) for n in names]
    opt = optimizer_of(manifest["optimizer"], tensors)
    torch.set_num_threads(2)
    error_before = {n: 0.0 for n in names}  # ours - torch, the same weights before the first step
    steps = []
    for k, step in enumerate(manifest["steps"], start=1):
        images = np.fromfile(os.path.join(folder, step["images"]), dtype="<f4").reshape(manifest["images_shape"])
        labels = torch.tensor(step["labels"], dtype=torch.int64)
        for group in opt.param_groups:
            group["lr"] = step["lr"]
        before = {n: params[n].detach().numpy().copy() for n in names}
        opt.zero_grad()
        output = torch_alexnet.forward(meta, params, torch.tensor(images, dtype=torch.float64))
        loss = torch_alexnet.loss_of(manifest["loss"], output, labels)
        loss.backward()
        opt.step()
        result = {"loss": {"ours": step["loss"], "torch": loss.item()}, "params": {}}
        for n in names:
            ref = params[n].detach().numpy()
            ours = np.fromfile(os.path.join(folder, f"step{k}", f"{n}.bin"), dtype="<f4").reshape(ref.shape)
            error = ours.astype(np.float64) - ref
            update = norm(ref - before[n])
            # (ours - ours before) - (torch - torch before) is this step's error less the previous one
            result["params"][n] = {"rel": norm(error) / max(norm(ref), 1e-300),
                                   "update_rel": norm(error - error_before[n]) / max(update, 1e-300),
                                   "update_size": update / max(norm(before[n]), norm(ref), 1e-300)}
            error_before[n] = error
        steps.append(result)
    print(json.dumps({"steps": steps, "metadata": {f"alexnet.{k}": v for k, v in meta.items()}}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
