"""Trains a small CNN on images the test wrote and reports its held-out accuracy: the synthetic task must be learnable.

Usage: small_cnn.py DIR, where DIR/manifest.json gives the image size, the class count and the split sizes, and
DIR/train.bin, DIR/held-out.bin hold the images (raw little-endian float32, NCHW) and DIR/*.labels.bin their labels
(int64). Prints one JSON object: {"accuracy": ..., "steps": ...}.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F


def main(folder):
    with open(os.path.join(folder, "manifest.json")) as f:
        m = json.load(f)
    s, k = m["image_size"], m["classes"]

    def load(name):
        x = np.fromfile(os.path.join(folder, f"{name}.bin"), dtype="<f4").reshape(-1, 3, s, s)
        y = np.fromfile(os.path.join(folder, f"{name}.labels.bin"), dtype="<i8")
        return torch.from_numpy(x.copy()), torch.from_numpy(y.copy())

    x, y = load("train")
    x_test, y_test = load("held-out")
    torch.manual_seed(0)
    torch.set_num_threads(2)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 5, stride=2, padding=2), torch.nn.ReLU(),
        torch.nn.Conv2d(16, 32, 3, stride=2, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(32, 64, 3, stride=2, padding=1), torch.nn.ReLU(),
        torch.nn.AdaptiveMaxPool2d(1), torch.nn.Flatten(), torch.nn.Linear(64, k))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    steps = m["steps"]
    for _ in range(steps):
        batch = torch.randint(0, len(x), (m["batch"],), generator=g)
        loss = F.cross_entropy(net(x[batch]), y[batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        accuracy = (net(x_test).argmax(1) == y_test).float().mean().item()
    print(json.dumps({"accuracy": accuracy, "steps": steps}))


if __name__ == "__main__":
    main(sys.argv[1])
