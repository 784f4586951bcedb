"""Reference for the PyTorch peer's train-step (test/scripts/peer-pytorch.test.ts): the same k training steps worked
out by hand in float64, with the update rules written out here from src/model/optimizer.ts (torch.optim.SGD with
dampening 0, torch.optim.AdamW with bias correction), not with torch.optim.

Usage: peer-pytorch-reference.py MODEL.onnx PARAMS.npz SETTINGS_JSON
SETTINGS_JSON: {"steps": k, "batch": n, "loss": "l2"|"softmax-cross-entropy", "wrt": "conv"|"all",
"optimizer": the peer's report object}. PARAMS.npz is what the peer wrote with --save-params after k steps.
Prints one JSON object: per trained parameter, |peer - reference| / |reference - initial| (the error against the
whole change the steps made) and |reference - initial| / max(|initial|, |reference|); the reference's loss per step.
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
import peer_pytorch  # noqa: E402
import torch_alexnet  # noqa: E402


def main(model_path, params_path, settings_json):
    s = json.loads(settings_json)
    o = s["optimizer"]
    meta, params = torch_alexnet.load(model_path, dtype=torch.float64)
    images, labels = peer_pytorch.inputs(meta, s["batch"], int(meta["imageSize"]), s["loss"] != "l2", "cpu")
    images = images.double()
    names = [n for n in params if n.startswith("conv") or s["wrt"] == "all"]
    initial = {n: params[n].clone() for n in names}
    state = {n: [torch.zeros_like(params[n]), torch.zeros_like(params[n])] for n in names}
    losses = []
    for t in range(1, s["steps"] + 1):
        for n in names:
            params[n].requires_grad_(True)
        loss = torch_alexnet.loss_of(s["loss"], torch_alexnet.forward(meta, params, images), labels)
        grads = torch.autograd.grad(loss, [params[n] for n in names])
        losses.append(loss.item())
        with torch.no_grad():
            for n, g in zip(names, grads):
                p, (a, b) = params[n].detach(), state[n]
                if o["kind"] == "sgd":
                    d = g + o["weight_decay"] * p
                    a.mul_(o["momentum"]).add_(d)  # a zero buffer makes the first step's buffer d, as torch
                    d = d + o["momentum"] * a if o["nesterov"] else a
                    params[n] = p - o["lr"] * d
                else:
                    p = p * (1 - o["lr"] * o["weight_decay"])
                    a.mul_(o["beta1"]).add_((1 - o["beta1"]) * g)
                    b.mul_(o["beta2"]).add_((1 - o["beta2"]) * g * g)
                    denom = b.sqrt() / (1 - o["beta2"] ** t) ** 0.5 + o["eps"]
                    params[n] = p - o["lr"] / (1 - o["beta1"] ** t) * a / denom
    peer = np.load(params_path)
    result = {"losses": losses, "params": {}}
    for n in names:
        ref, before = params[n].numpy(), initial[n].numpy()
        change = np.linalg.norm(ref - before)
        result["params"][n] = {"error": float(np.linalg.norm(peer[n].astype(np.float64) - ref) / max(change, 1e-300)),
                               "change": float(change / max(np.linalg.norm(before), np.linalg.norm(ref)))}
    print(json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:])
