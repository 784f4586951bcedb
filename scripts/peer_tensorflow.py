"""TensorFlow peer for alexnet-onnx bench: the seeds' own program (TensorFlow's alexnet_benchmark.py as seeds 000-003
wrote it: NHWC, tf.nn.conv2d / lrn / max_pool with their settings, print_activations, time_tensorflow_run) through
tf.compat.v1, with the weights of an exported .onnx file, printing the same lines and JSON fields as
scripts/peer_pytorch.py and `alexnet-onnx bench`.

  /opt/venv-tf/bin/python scripts/peer_tensorflow.py --model graphs/alexnet.onnx [--mode both] [--batch 32]
      [--steps 100] [--burn-in 10] [--log-every 10] [--threads N] [--fetch grads|sum] [--json FILE]
      [--helper-python PYTHON] [--tolerance 1e-4] [--profile N]

Forward runs the output (pool5, or fc8 with --head fc) to the host, as the seeds' session.run(pool5);
forward-backward runs tf.gradients(tf.nn.l2_loss(output), parameters) and fetches every gradient (grads) or only the
sum of their squares (sum), like `bench --fetch`. The weights, the images and a reference output come from
scripts/peer_arrays.py, run by --helper-python (default: this Python if it has onnx and onnxruntime or torch, else
/usr/bin/python3) in its own process, so this process holds TensorFlow alone. Before timing, the output is checked
once against the reference on the same images. --profile N then runs N traced steps per mode and prints each
layer's op time, forward and backward, as `alexnet-onnx bench --profile` does (also in the JSON's `profile`).
Exit codes: 2 usage, 3 TensorFlow missing, 1 any other failure.
"""
import functools
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_common  # noqa: E402

# The seeds' tf.nn.lrn arguments (TensorFlow's alpha is per element), by the model's --lrn.
LRN = {"tf-benchmark": (4, 1.0, 0.001 / 9, 0.75), "paper": (2, 2.0, 1e-4, 0.75)}
MISSING_TENSORFLOW = 3
# The layer an op belongs to, from its name: the seeds' name scopes (conv1/Conv2D), the layers' own names (lrn1,
# pool5) and the gradients tf.gradients names after them (gradients/conv1/Conv2D_grad/..., gradients/lrn1_grad/...).
LAYER = re.compile(r"(?:^|/)(conv\d|lrn\d|pool\d|fc\d|loss)(?=$|/|_grad)")
LAYERS = ["conv1", "lrn1", "pool1", "conv2", "lrn2", "pool2", "conv3", "conv4", "conv5", "pool5", "fc6", "fc7", "fc8",
          "loss", "(other)"]


def print_activations(t):
    print(t.op.name, " ", t.get_shape().as_list())


def conv_layer(tf1, name, inputs, shape, strides):
    """One of the seeds' `with tf.name_scope('convN')` blocks; returns (relu output, [kernel, biases])."""
    with tf1.name_scope(name) as scope:
        kernel = tf1.Variable(tf1.truncated_normal(shape, dtype=tf1.float32, stddev=1e-1), name="weights")
        conv = tf1.nn.conv2d(inputs, kernel, strides, padding="SAME")
        biases = tf1.Variable(tf1.constant(0.0, shape=[shape[3]], dtype=tf1.float32), trainable=True, name="biases")
        bias = tf1.nn.bias_add(conv, biases)
        out = tf1.nn.relu(bias, name=scope)
        print_activations(out)
        return out, [kernel, biases]


def lrn(tf1, x, kind, name):
    if kind == "none":  # seed 003 comments its LRN layers out
        return x
    depth_radius, bias, alpha, beta = LRN[kind]
    return tf1.nn.lrn(x, depth_radius, bias=bias, alpha=alpha, beta=beta, name=name)


def fc_layer(tf1, name, x, n_out):
    """Seed 000's fully connected layers (ReLU on every one, fc8 included), in a name scope for --profile."""
    with tf1.name_scope(name):
        weight = tf1.Variable(tf1.truncated_normal(shape=[x.get_shape().as_list()[1], n_out], stddev=0.1))
        bias = tf1.Variable(tf1.constant(0.1, shape=[n_out]))
        return tf1.nn.relu(tf1.matmul(x, weight) + bias), [weight, bias]


def inference(tf1, images, meta):
    """The seeds' inference(): returns (output, parameters in the ONNX parameters' order)."""
    parameters = []
    conv1, p = conv_layer(tf1, "conv1", images, [11, 11, 3, 64], [1, 4, 4, 1])
    parameters += p
    lrn1 = lrn(tf1, conv1, meta["lrn"], "lrn1")
    pool1 = tf1.nn.max_pool(lrn1, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="VALID", name="pool1")
    print_activations(pool1)
    conv2, p = conv_layer(tf1, "conv2", pool1, [5, 5, 64, 192], [1, 1, 1, 1])
    parameters += p
    lrn2 = lrn(tf1, conv2, meta["lrn"], "lrn2")
    pool2 = tf1.nn.max_pool(lrn2, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="VALID", name="pool2")
    print_activations(pool2)
    conv3, p = conv_layer(tf1, "conv3", pool2, [3, 3, 192, 384], [1, 1, 1, 1])
    parameters += p
    conv4, p = conv_layer(tf1, "conv4", conv3, [3, 3, 384, 256], [1, 1, 1, 1])
    parameters += p
    conv5, p = conv_layer(tf1, "conv5", conv4, [3, 3, 256, 256], [1, 1, 1, 1])
    parameters += p
    pool5 = tf1.nn.max_pool(conv5, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="VALID", name="pool5")
    print_activations(pool5)
    if meta["head"] != "fc":
        return pool5, parameters
    x = tf1.reshape(pool5, [pool5.get_shape().as_list()[0], -1])
    for name, n_out in (("fc6", 4096), ("fc7", 4096), ("fc8", int(meta["classes"]))):
        x, p = fc_layer(tf1, name, x, n_out)
        parameters += p
    return x, parameters


def onnx_to_tf(name, value, pool5_hwc):
    """An ONNX parameter in TensorFlow's layout: conv kernels OIHW -> HWIO; fc6's rows from pool5's NCHW flattening
    order (c, h, w) to the seeds' NHWC one (h, w, c)."""
    if name.startswith("conv") and value.ndim == 4:
        return value.transpose(2, 3, 1, 0)
    if name == "fc6.weight":
        h, w, c = pool5_hwc
        return value.reshape(c, h, w, -1).transpose(1, 2, 0, 3).reshape(h * w * c, -1)
    return value


def layer_profile(tf1, sess, fetch, steps):
    """Each layer's op time per step, forward and backward (ops under `gradients/`), from TensorFlow's step stats over
    `steps` traced runs. TensorFlow runs independent ops at once (inter-op threads), so the sum can exceed a step."""
    options = tf1.RunOptions(trace_level=tf1.RunOptions.FULL_TRACE)
    micros = {}
    for _ in range(steps):
        metadata = tf1.RunMetadata()
        sess.run(fetch, options=options, run_metadata=metadata)
        for device in metadata.step_stats.dev_stats:
            for node in device.node_stats:
                found = LAYER.search(node.node_name)
                key = (found.group(1) if found else "(other)", node.node_name.startswith("gradients/"))
                micros[key] = micros.get(key, 0) + node.op_end_rel_micros - node.op_start_rel_micros
    ms = lambda layer, backward: micros.get((layer, backward), 0) / steps / 1e3  # noqa: E731
    return [{"layer": layer, "forward_ms": ms(layer, False), "backward_ms": ms(layer, True)}
            for layer in LAYERS if (layer, False) in micros or (layer, True) in micros]


def print_profile(label, rows, steps, backward):
    """The table `alexnet-onnx bench --profile` prints."""
    total_f = sum(r["forward_ms"] for r in rows)
    total_b = sum(r["backward_ms"] for r in rows)
    total = total_f + total_b or 1.0
    print(f"{label} per layer (TensorFlow step stats, mean of {steps} steps, op time; overlapping ops each count in full):")
    print("layer        forward ms" + ("  backward ms" if backward else "") + "  share")
    for r in rows + [{"layer": "total", "forward_ms": total_f, "backward_ms": total_b}]:
        share = "100%" if r["layer"] == "total" else f"{(r['forward_ms'] + r['backward_ms']) / total:.1%}"
        print(f"{r['layer']:<12}{r['forward_ms']:>11.2f}" + (f"{r['backward_ms']:>13.2f}" if backward else "") + f"{share:>7}")


def helper_python(args):
    if args.helper_python:
        return args.helper_python
    has = importlib.util.find_spec
    if has("onnx") and (has("onnxruntime") or has("torch")):
        return sys.executable
    return "/usr/bin/python3"


def load_arrays(args, np):
    """Runs scripts/peer_arrays.py in its own process and returns its arrays."""
    python = helper_python(args)
    with tempfile.TemporaryDirectory(prefix="peer-tf-") as tmp:
        out = os.path.join(tmp, "arrays.npz")
        cmd = [python, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer_arrays.py"), "--model", args.model,
               "--out", out, *(["--batch", str(args.batch)] if args.batch else [])]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, check=False)
        except OSError as err:
            sys.exit(f"peer_tensorflow.py: cannot run {python} for the weights: {err}")
        if r.returncode != 0:
            last = (r.stderr.strip().splitlines() or ["no output"])[-1]
            sys.exit(f"peer_tensorflow.py: reading {args.model} with {python} failed: {last}")
        with np.load(out) as f:
            return {k: f[k] for k in f.files}, python


def main():
    p = peer_common.Parser(description=__doc__.split("\n")[0])
    peer_common.add_loop_arguments(p)
    p.add_argument("--device", choices=["cpu"], default="cpu", help="TensorFlow's CPU build")
    p.add_argument("--helper-python", help="the Python that reads the .onnx file and computes the reference")
    p.add_argument("--tolerance", type=float, default=1e-4, help="largest allowed max |TF - reference| / max |reference|")
    p.add_argument("--inter-op-threads", type=int, metavar="N",
                   help="TensorFlow's inter-op pool (default: --threads); 1 runs one op at a time, as ONNX Runtime does, "
                        "so that --profile's op times do not overlap")
    p.add_argument("--profile", type=int, default=0, metavar="N",
                   help="after timing, N traced steps per mode: each layer's op time, forward and backward")
    args = p.parse_args()
    peer_common.check_loop_arguments(p, args)
    if args.profile < 0:
        p.error("--profile must be >= 0")
    if args.inter_op_threads is not None and args.inter_op_threads < 0:
        p.error("--inter-op-threads must be >= 0")
    inter_op = args.threads if args.inter_op_threads is None else args.inter_op_threads
    if not os.path.isfile(args.model):
        p.error(f"--model {args.model}: no such file (write one with `alexnet-onnx export`)")
    # TensorFlow's INFO lines on stderr; with --profile also its warning per traced step that no GPU trace was taken
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2" if args.profile else "1")
    try:
        import numpy as np
        import tensorflow as tf
    except ImportError as err:
        print(f"peer_tensorflow.py: TensorFlow is not installed for {sys.executable}: {err}", file=sys.stderr)
        sys.exit(MISSING_TENSORFLOW)
    tf1 = tf.compat.v1

    arrays, python = load_arrays(args, np)
    meta = json.loads(str(arrays["meta"]))
    wrt_kind = args.wrt or meta.get("wrt", "conv")
    if (args.loss or meta.get("loss", "l2")) != "l2":
        p.error("--loss: the seeds' program has only the l2 loss (tf.nn.l2_loss)")
    if float(meta.get("dropout", "0")) != 0:
        p.error(f"--model {args.model}: dropout is not in the TensorFlow peer (export without --dropout)")
    if wrt_kind == "all" and meta["head"] != "fc":
        p.error("--wrt all needs a model exported with --head fc")
    images_nchw = arrays["images"]
    batch, size = images_nchw.shape[0], images_nchw.shape[2]

    config = tf1.ConfigProto(intra_op_parallelism_threads=args.threads, inter_op_parallelism_threads=inter_op)
    with tf.Graph().as_default():
        images = tf1.Variable(tf1.random_normal([batch, size, size, 3], dtype=tf1.float32, stddev=1e-1))
        output, parameters = inference(tf1, images, meta)
        wrt = parameters if wrt_kind == "all" else parameters[:10]
        objective = tf1.nn.l2_loss(output, name="loss")
        grad = tf1.gradients(objective, wrt)
        grad_sq_sum = tf1.add_n([tf1.reduce_sum(tf1.square(g)) for g in grad])

        sess = tf1.Session(config=config)
        sess.run(tf1.global_variables_initializer())
        # Our weights and images replace the seeds' random ones, fed through placeholders rather than baked into
        # the graph as constants (which would hold a second copy).
        names = [f"{layer}.{k}" for layer in ("conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8")
                 for k in ("weight", "bias")][: len(parameters)]
        pool5_hwc = tf1.get_default_graph().get_tensor_by_name("pool5:0").get_shape().as_list()[1:]
        values = [(images, images_nchw.transpose(0, 2, 3, 1))]
        values += [(v, onnx_to_tf(n, arrays[n], pool5_hwc)) for n, v in zip(names, parameters)]
        for var, value in values:
            ph = tf1.placeholder(tf1.float32, value.shape)
            sess.run(tf1.assign(var, ph), {ph: value})
        reference, source = arrays["reference"], str(arrays["reference_source"])
        del arrays, values

        out = sess.run(output)
        if out.ndim == 4:
            out = out.transpose(0, 3, 1, 2)  # NHWC -> the reference's NCHW
        rel = float(np.abs(out[: len(reference)] - reference).max() / max(float(np.abs(reference).max()), 1e-30))
        ok = rel <= args.tolerance
        print(f"check: output {list(reference.shape)} vs {source} on the same images: max |TF - reference| / "
              f"max |reference| = {rel:.3e} (tolerance {args.tolerance:.0e}): {'ok' if ok else 'FAILED'}", flush=True)
        if not ok:
            sys.exit(1)

        fetch = {"forward": output, "forward-backward": grad if args.fetch == "grads" else grad_sq_sum}
        modes = ["forward", "forward-backward"] if args.mode == "both" else [args.mode]
        print(f"tensorflow peer: TensorFlow {tf.__version__} (tf.compat.v1 graph), device cpu "
              f"({peer_common.cpu_device()}), batch {batch}, weights from {args.model} (read by {python}), "
              f"threads {args.threads or 'default'} intra-op, {inter_op or 'default'} inter-op", flush=True)
        results = []
        for mode in modes:
            step = functools.partial(sess.run, fetch[mode])
            t0 = time.perf_counter()
            step()
            first = time.perf_counter() - t0
            d = peer_common.time_run(step, "Forward" if mode == "forward" else "Forward-backward", args)
            results.append(peer_common.report_entry(
                "tensorflow", "cpu", mode, batch, d, first, args, tf_version=tf.__version__,
                device=peer_common.cpu_device(), tf32=None, threads=args.threads or None, inter_op_threads=inter_op or None,
                check={"reference": source, "max_rel_diff": rel}))
            if args.profile:
                results[-1]["profile"] = layer_profile(tf1, sess, fetch[mode], args.profile)
                label = "Forward" if mode == "forward" else "Forward-backward"
                print_profile(label, results[-1]["profile"], args.profile, mode != "forward")
    peer_common.print_summary(results)
    if args.json:
        peer_common.write_json(args.json, results)


if __name__ == "__main__":
    main()
