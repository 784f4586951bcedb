"""What the peer benchmarks (scripts/peer_pytorch.py, scripts/peer_tensorflow.py) share with each other and with
`alexnet-onnx bench`: the seeds' timing loop and its lines, the statistics, the device line, the summary lines and
the `--json` report entry that scripts/compare.mjs reads. Plain Python: no framework is imported here.
"""
import argparse
import json
import math
import os
import platform
import resource
import time
from datetime import datetime, timezone


class Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors, exit code 2, as the CLI refuses options (`--help` shows the usage)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message}\n")


def add_loop_arguments(p, extra_modes=()):
    """The options every peer takes with the same meaning as `alexnet-onnx bench`'s; `extra_modes` are the modes a
    peer times beside forward, forward-backward and both (the PyTorch peer's train-step)."""
    p.add_argument("--model", required=True, help="an .onnx file written by `alexnet-onnx export`: its options and weights")
    p.add_argument("--mode", choices=["forward", "forward-backward", "both", *extra_modes], default="both")
    p.add_argument("--batch", type=int, help="default: the model's batch (32 for a dynamic one)")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--burn-in", type=int, default=10)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--threads", type=int, default=0, help="0: the framework's default")
    p.add_argument("--fetch", choices=["grads", "sum"], default="grads")
    p.add_argument("--wrt", choices=["conv", "all"])
    p.add_argument("--loss", choices=["l2", "softmax-cross-entropy"])
    p.add_argument("--json", help="write the report entries (one per mode) to this file")


def check_loop_arguments(p, args):
    """Refuses loop settings that cannot run (argparse's usage error: one line, exit 2)."""
    if args.steps < 1 or args.burn_in < 0 or args.log_every < 1 or args.threads < 0:
        p.error("--steps and --log-every must be >= 1, --burn-in and --threads >= 0")
    if args.batch is not None and args.batch < 1:
        p.error("--batch must be >= 1")


def percentile(sorted_xs, p):
    """Linear interpolation between closest ranks, numpy's default, as bench computes it."""
    rank = p / 100 * (len(sorted_xs) - 1)
    lo, hi = math.floor(rank), math.ceil(rank)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (rank - lo)


def time_run(step, label, args):
    """The seeds' time_tensorflow_run: burn-in, timed steps, a line every --log-every, then the mean and the
    population sd in seconds. Returns the timed durations."""
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


def cpu_device():
    """`<CPU model>, <n> cores`, the device line bench prints for its CPU targets (Node's os.cpus())."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


def peak_rss_bytes():
    """This process's peak resident set so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def report_entry(runtime, ep, mode, batch, durations, first_run_s, args, **extra):
    """One `--json` entry with the fields of bench's report that compare.mjs reads, and the raw durations.
    `peak_rss_bytes` is the process's peak when the mode ended: a later mode's includes the earlier ones'."""
    s = sorted(durations)
    mn = sum(durations) / len(durations)
    return {
        "runtime": runtime, "ep": ep, "mode": mode, "batch": batch, "steps": args.steps, "burn_in": args.burn_in,
        "mean_s": mn, "sd_s": math.sqrt(sum((x - mn) ** 2 for x in durations) / len(durations)),
        "min_s": s[0], "p50_s": percentile(s, 50), "p90_s": percentile(s, 90), "p99_s": percentile(s, 99),
        "max_s": s[-1], "images_per_s": batch / mn, "gflops_per_s": None, "first_run_s": first_run_s,
        "ort_version": None, "fallback_nodes": [], "fetch": args.fetch if mode != "forward" else "output",
        "model": args.model, "peak_rss_bytes": peak_rss_bytes(), "date": datetime.now(timezone.utc).isoformat(),
        **extra, "durations_s": durations,
    }


def print_summary(results):
    """One line per mode, in milliseconds, like bench's table."""
    for r in results:
        print("%-17s mean %.2f ms  sd %.2f  min %.2f  p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  images/s %.1f  peak RSS %.2f GB" % (
            r["mode"], r["mean_s"] * 1e3, r["sd_s"] * 1e3, r["min_s"] * 1e3, r["p50_s"] * 1e3, r["p90_s"] * 1e3,
            r["p99_s"] * 1e3, r["max_s"] * 1e3, r["images_per_s"], r["peak_rss_bytes"] / 1e9))


def write_json(path, results):
    """Written whole or not at all (temporary file, then rename), like bench's --json."""
    with open(path + ".tmp", "w") as f:
        json.dump(results, f, indent=2)
    os.replace(path + ".tmp", path)
    print(f"wrote {path}")
