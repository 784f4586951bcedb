"""Everything a framework peer needs from an exported .onnx file, as one .npz, so that the peer's own process needs
neither onnx nor a reference runtime (and its peak RSS is the framework's alone):

  python scripts/peer_arrays.py --model graphs/alexnet.onnx --out arrays.npz [--batch N]

The .npz holds `meta` (the model's alexnet.* options, JSON), every parameter under its ONNX name and layout (conv
weights OIHW, FC weights [in, out]), `images` (NCHW float32, 0.1 x standard normal drawn from the model's seed, as
the seeds' tf.random_normal(stddev=1e-1)), and `reference`, the model's output for the first rows of `images`, with
`reference_source` naming what computed it: ONNX Runtime on the .onnx file itself where this Python has
onnxruntime, otherwise the independent PyTorch network of scripts/torch_alexnet.py (Debian's /usr/bin/python3 has
python3-onnx and python3-torch but no onnxruntime).
"""
import argparse
import importlib.util
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def reference_output(path, images):
    """(output rows, source): ONNX Runtime where installed, else torch_alexnet in float64."""
    if importlib.util.find_spec("onnxruntime"):
        import onnxruntime as ort

        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        dim = session.get_inputs()[0].shape[0]
        # A model exported with a fixed batch takes exactly that many images: repeat or cut ours to fit, and
        # compare the rows that are ours.
        rows = dim if isinstance(dim, int) else len(images)
        feed = np.resize(images, (rows, *images.shape[1:]))
        out = session.run(["output"], {"images": feed})[0]
        return out[: min(rows, len(images))], f"onnxruntime {ort.__version__} (CPU EP) on {os.path.basename(path)}"
    if importlib.util.find_spec("torch"):
        import torch

        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import torch_alexnet

        meta, params = torch_alexnet.load(path, dtype=torch.float64)
        with torch.no_grad():
            out = torch_alexnet.forward(meta, params, torch.from_numpy(images).double())
        return out.float().numpy(), f"PyTorch {torch.__version__} float64 (scripts/torch_alexnet.py)"
    raise SystemExit(f"{sys.executable} has neither onnxruntime nor torch to compute the reference output")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--batch", type=int, help="default: the model's batch (32 for a dynamic one)")
    args = p.parse_args()
    model = onnx.load(args.model)
    meta = {m.key[len("alexnet."):]: m.value for m in model.metadata_props if m.key.startswith("alexnet.")}
    if "imageSize" not in meta:
        raise SystemExit(f"{args.model} has no alexnet.* metadata: export it with `alexnet-onnx export`")
    batch = args.batch or (int(meta["batch"]) if meta["batch"].isdigit() else 32)
    size = int(meta["imageSize"])
    params = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer if i.name.split(".")[-1] in ("weight", "bias")}
    rng = np.random.default_rng(int(meta["seed"]))
    images = (rng.standard_normal((batch, 3, size, size), dtype=np.float32) * np.float32(0.1)).astype(np.float32)
    reference, source = reference_output(args.model, images)
    np.savez(args.out, meta=json.dumps(meta), images=images, reference=reference, reference_source=source, **params)


if __name__ == "__main__":
    main()
