"""Models another tool would write, for `bench --model`: made with the onnx package (Debian python3-onnx).

Writes into the folder given: sym.onnx (a Conv and a Relu, `images` [N, 3, H, W]), sym_c.onnx (the same with a
symbolic channel count C) and ext.onnx (sym.onnx with its weights in ext.bin, as external data). None has
alexnet-onnx's metadata. Prints one JSON object: {"files": [...]}.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def conv_relu(channels):
    w = numpy_helper.from_array(np.full((4, 3, 3, 3), 0.01, np.float32), "w")
    b = numpy_helper.from_array(np.zeros(4, np.float32), "b")
    nodes = [
        helper.make_node("Conv", ["images", "w", "b"], ["c"], name="conv"),
        helper.make_node("Relu", ["c"], ["output"], name="relu"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["N", channels, "H", "W"])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 4, None, None])],
        [w, b],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="not-alexnet-onnx")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main(out):
    onnx.save(conv_relu(3), os.path.join(out, "sym.onnx"))
    onnx.save(conv_relu("C"), os.path.join(out, "sym_c.onnx"))
    onnx.save_model(
        conv_relu(3),
        os.path.join(out, "ext.onnx"),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="ext.bin",
        size_threshold=0,
    )
    print(json.dumps({"files": sorted(os.listdir(out))}))


if __name__ == "__main__":
    main(sys.argv[1])
