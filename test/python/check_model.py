"""Independent check of an exported model with the onnx package (Debian python3-onnx).

Runs onnx.checker.check_model(full_check=True), then onnx's own shape inference on a copy of the model with our
value_info removed, and compares every inferred shape with the value_info alexnet-onnx wrote.
Prints one JSON object: {"ok": bool, "values": n, "mismatches": [...], "missing": [...], "unknown": [...]}, where
unknown lists values whose shape onnx could not infer at all (ours is then the only shape there is).
"""
import json
import sys

import onnx
from onnx import shape_inference


def dims(vi):
    t = vi.type.tensor_type
    if not t.HasField("shape"):
        return None, t.elem_type
    return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in t.shape.dim], t.elem_type


def main(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    ours = {vi.name: dims(vi) for vi in model.graph.value_info}
    stripped = onnx.ModelProto()
    stripped.CopyFrom(model)
    del stripped.graph.value_info[:]
    inferred = shape_inference.infer_shapes(stripped, check_type=True, strict_mode=True, data_prop=True)
    theirs = {vi.name: dims(vi) for vi in inferred.graph.value_info}
    mismatches, missing, unknown = [], [], []
    for name, (shape, elem) in ours.items():
        if name not in theirs:
            missing.append(name)
            continue
        tshape, telem = theirs[name]
        if tshape is None:  # onnx knows the type but not the shape (e.g. after Reshape to a computed shape)
            unknown.append(name)
            if elem != telem:
                mismatches.append({"name": name, "ours": [shape, elem], "onnx": [None, telem]})
            continue
        # onnx invents fresh symbols (unk__0) where it cannot name a dimension; only fixed sizes are compared there
        same = len(shape) == len(tshape) and all(
            a == b or isinstance(a, str) or isinstance(b, str) for a, b in zip(shape, tshape))
        if not same or elem != telem:
            mismatches.append({"name": name, "ours": [shape, elem], "onnx": [tshape, telem]})
    print(json.dumps({"ok": not mismatches, "values": len(ours), "mismatches": mismatches, "missing": missing,
                      "unknown": unknown}))


if __name__ == "__main__":
    main(sys.argv[1])
