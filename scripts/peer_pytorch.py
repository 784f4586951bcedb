"""PyTorch eager peer for alexnet-onnx bench: the identical network with the very weights of an exported .onnx file,
timed with the seeds' loop (burn-in, timed steps, a line every N steps, mean +/- population sd), printing the same
lines as `alexnet-onnx bench`, and optionally the same JSON fields.

  /usr/bin/python3 scripts/peer_pytorch.py --model graphs/alexnet.onnx [--device cpu|cuda] [--mode both]
      [--batch 32] [--steps 100] [--burn-in 10] [--log-every 10] [--threads N] [--fetch grads|sum]
      [--tf32] [--no-cudnn-benchmark] [--json FILE]

Forward fetches the output to the host; forward-backward computes autograd gradients of the loss with respect to
the same parameters as the model's gradients (conv, or all with --wrt all) and fetches them (grads) or only the
sum of their squares (sum), like `bench --fetch`.
"""
import argparse
import json
import math
import os
import platform
import sys
import time
from datetime import datetime, timezone

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_alexnet  # noqa: E402


def percentile(sorted_xs, p):
    rank = p / 100 * (len(sorted_xs) - 1)
    lo, hi = math.floor(rank), math.ceil(rank)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (rank - lo)


def time_run(step, label, args):
    durations = []
    for i in range(args.burn_in + args.steps):
        start = time.perf_counter()
        step()
        duration = time.perf_counter() - start
        if i >= args.burn_in:
            k = i - args.burn_in
            if k % args.log_every == 0:
                print("%s: step %d, duration = %.3f" % (datetime.now(), k, duration), flush=True)
            durations.append(duration)
    mn = sum(durations) / len(durations)
    sd = math.sqrt(sum((d - mn) ** 2 for d in durations) / len(durations))
    print("%s: %s across %d steps, %.3f +/- %.3f sec / batch" % (datetime.now(), label, args.steps, mn, sd), flush=True)
    return durations


def device_name(device):
    if device == "cuda":
        return torch.cuda.get_device_name(0)
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--mode", choices=["forward", "forward-backward", "both"], default="both")
    p.add_argument("--batch", type=int)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--burn-in", type=int, default=10)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--fetch", choices=["grads", "sum"], default="grads")
    p.add_argument("--wrt", choices=["conv", "all"])
    p.add_argument("--loss", choices=["l2", "softmax-cross-entropy"])
    p.add_argument("--tf32", action="store_true", help="allow TF32 in cuBLAS and cuDNN")
    p.add_argument("--no-cudnn-benchmark", action="store_true")
    p.add_argument("--json")
    args = p.parse_args()
    if args.steps < 1 or args.burn_in < 0 or args.log_every < 1:
        p.error("--steps and --log-every must be >= 1, --burn-in >= 0")
    if args.tf32 and os.environ.get("NVIDIA_TF32_OVERRIDE") == "0":
        p.error("--tf32 asks for TF32, but NVIDIA_TF32_OVERRIDE=0 in the environment turns it off: unset it")
    if args.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: PyTorch sees no CUDA device")
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cudnn.benchmark = not args.no_cudnn_benchmark

    meta, params = torch_alexnet.load(args.model, dtype=torch.float32, device=args.device)
    batch = args.batch or (int(meta["batch"]) if meta["batch"].isdigit() else 32)
    size = int(meta["imageSize"])
    wrt_kind = args.wrt or meta.get("wrt", "conv")
    loss_kind = args.loss or meta.get("loss", "l2")
    wrt = [n for n in params if n.startswith("conv") or wrt_kind == "all"]
    gen = torch.Generator(device="cpu").manual_seed(int(meta["seed"]))
    images = (torch.randn(batch, 3, size, size, generator=gen) * 0.1).to(args.device)
    labels = torch.randint(0, int(meta["classes"]), (batch,), generator=gen).to(args.device) if loss_kind != "l2" else None
    if loss_kind != "l2" and meta["head"] != "fc":
        p.error("--loss softmax-cross-entropy needs a model exported with --head fc")
    dropout = float(meta.get("dropout", "0"))
    sync = torch.cuda.synchronize if args.device == "cuda" else (lambda: None)

    def forward_step():
        with torch.no_grad():
            out = torch_alexnet.forward(meta, params, images)
            out.cpu()

    for n in wrt:
        params[n].requires_grad_(True)

    def masks():
        if dropout == 0:
            return None
        return {i: (torch.rand(batch, 4096, device=args.device) >= dropout).float() / (1 - dropout) for i in (6, 7)}

    def forward_backward_step():
        out = torch_alexnet.forward(meta, params, images, masks())
        loss = torch_alexnet.loss_of(loss_kind, out, labels)
        grads = torch.autograd.grad(loss, [params[n] for n in wrt])
        if args.fetch == "grads":
            for g in grads:
                g.cpu()
        else:
            sum(g.square().sum() for g in grads).item()
        sync()

    modes = ["forward", "forward-backward"] if args.mode == "both" else [args.mode]
    print(f"pytorch peer: torch {torch.__version__}, device {args.device} ({device_name(args.device)}), batch {batch}, "
          f"weights from {args.model}, TF32 {'on' if args.tf32 else 'off'}, cudnn.benchmark {torch.backends.cudnn.benchmark}, "
          f"threads {torch.get_num_threads()}", flush=True)
    results = []
    for mode in modes:
        step = forward_step if mode == "forward" else forward_backward_step
        t0 = time.perf_counter()
        step()
        sync()
        first = time.perf_counter() - t0
        label = "Forward" if mode == "forward" else "Forward-backward"
        d = time_run(step, label, args)
        s = sorted(d)
        mn = sum(d) / len(d)
        results.append({
            "runtime": "pytorch", "ep": args.device, "mode": mode, "batch": batch, "steps": args.steps,
            "burn_in": args.burn_in, "mean_s": mn, "sd_s": math.sqrt(sum((x - mn) ** 2 for x in d) / len(d)),
            "min_s": s[0], "p50_s": percentile(s, 50), "p90_s": percentile(s, 90), "p99_s": percentile(s, 99),
            "max_s": s[-1], "images_per_s": batch / mn, "gflops_per_s": None, "first_run_s": first,
            "ort_version": None, "torch_version": torch.__version__, "device": device_name(args.device),
            "fallback_nodes": [], "fetch": args.fetch if mode != "forward" else "output", "tf32": args.tf32,
            "threads": torch.get_num_threads(), "model": args.model,
            "date": datetime.now(timezone.utc).isoformat(), "durations_s": d,
        })
    for r in results:
        print("%-17s mean %.2f ms  sd %.2f  min %.2f  p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  images/s %.1f" % (
            r["mode"], r["mean_s"] * 1e3, r["sd_s"] * 1e3, r["min_s"] * 1e3, r["p50_s"] * 1e3, r["p90_s"] * 1e3,
            r["p99_s"] * 1e3, r["max_s"] * 1e3, r["images_per_s"]))
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump(results, f, indent=2)
        os.replace(args.json + ".tmp", args.json)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
