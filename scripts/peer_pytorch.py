"""PyTorch eager peer for alexnet-onnx bench: the identical network with the very weights of an exported .onnx file,
timed with the seeds' loop (burn-in, timed steps, a line every N steps, mean +/- population sd), printing the same
lines as `alexnet-onnx bench`, and optionally the same JSON fields.

  /usr/bin/python3 scripts/peer_pytorch.py --model graphs/alexnet.onnx [--device cpu|cuda]
      [--mode forward|forward-backward|both|train-step|all] [--batch 32] [--steps 100] [--burn-in 10]
      [--log-every 10] [--threads N] [--fetch grads|sum] [--tf32] [--no-cudnn-benchmark] [--json FILE]
      [--optimizer sgd|adamw] [--lr X] [--momentum X] [--nesterov] [--weight-decay X] [--beta1 X] [--beta2 X]
      [--eps X] [--save-params FILE.npz]

Forward fetches the output to the host; forward-backward computes autograd gradients of the loss with respect to
the same parameters as the model's gradients (conv, or all with --wrt all) and fetches them (grads) or only the
sum of their squares (sum), like `bench --fetch`. train-step is one step of training as `bench --mode train-step`
times it: zero_grad, forward, loss (l2 without the FC head, softmax cross-entropy with it), backward and the update
of the same parameters by torch.optim.SGD (dampening 0) or torch.optim.AdamW, fetching the loss; each step starts
from the parameters the previous one left. Any Python with torch (1.13 or 2.x), onnx and numpy runs it: Debian's
python3-torch, or a PyTorch 2.x venv (docs/benchmarks.md, "Peers").
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_common  # noqa: E402
import torch_alexnet  # noqa: E402

# The hyperparameters and their defaults as alexnet-onnx's optimizer table has them (src/model/optimizer.ts):
# torch.optim's, but SGD's momentum, which is the AlexNet paper's 0.9. Keys are the report's (snake_case).
OPTIMIZERS = {
    "sgd": {"momentum": 0.9, "nesterov": False, "weight_decay": 0.0},
    "adamw": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
}
# bench's DEFAULT_BENCH_LR (src/bench/types.ts)
DEFAULT_LR = 1e-9
LABELS = {"forward": "Forward", "forward-backward": "Forward-backward", "train-step": "Train-step"}
MODES = {"both": ["forward", "forward-backward"], "all": ["forward", "forward-backward", "train-step"]}


def device_name(device):
    return torch.cuda.get_device_name(0) if device == "cuda" else peer_common.cpu_device()


def add_optimizer_arguments(p):
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), help="train-step: torch.optim.SGD or AdamW (default sgd)")
    p.add_argument("--lr", type=float, help=f"train-step: learning rate (default {DEFAULT_LR})")
    for name in ("momentum", "weight-decay", "beta1", "beta2", "eps"):
        p.add_argument(f"--{name}", type=float)
    p.add_argument("--nesterov", action="store_true", default=None)
    p.add_argument("--save-params", help="train-step: write the trained parameters after the last step to this .npz")


def optimizer_settings(p, args, modes):
    """The report's optimizer object ({kind, lr, hyperparameters}) that the options ask for, or None without
    train-step; refuses, in one line, what bench refuses (a hyperparameter of the other optimizer, a value out of
    range, Nesterov without momentum, optimizer options without train-step)."""
    given = {k: getattr(args, k) for k in ("momentum", "nesterov", "weight_decay", "beta1", "beta2", "eps")}
    given = {k: v for k, v in given.items() if v is not None}
    named = [k for k in ("optimizer", "lr", *given, "save_params") if getattr(args, k) is not None]
    if "train-step" not in modes:
        if named:
            options = ", ".join(f"--{k.replace('_', '-')}" for k in named)
            p.error(f"{options}: only --mode train-step or all has an optimizer step")
        return None
    kind = args.optimizer or "sgd"
    settings = {"kind": kind, "lr": DEFAULT_LR if args.lr is None else args.lr, **OPTIMIZERS[kind]}
    problems = []
    if not settings["lr"] > 0:
        problems.append(f"--lr must be a number > 0, got {args.lr:g}")
    for k, v in given.items():
        option = f"--{k.replace('_', '-')}"
        if k not in OPTIMIZERS[kind]:
            problems.append(f"{option} is not a hyperparameter of --optimizer {kind}")
        elif k in ("momentum", "beta1", "beta2") and not 0 <= v < 1:
            problems.append(f"{option} must be in [0, 1), got {v:g}")
        elif k == "weight_decay" and not 0 <= v < float("inf"):
            problems.append(f"{option} must be a number >= 0, got {v:g}")
        elif k == "eps" and not 0 < v < float("inf"):
            problems.append(f"{option} must be a number > 0, got {v:g}")
        else:
            settings[k] = v
    if kind == "sgd" and settings["nesterov"] and settings["momentum"] == 0:
        problems.append("--nesterov needs a --momentum above 0")
    if problems:
        p.error("; ".join(problems))
    return settings


def make_optimizer(tensors, o):
    if o["kind"] == "sgd":
        return torch.optim.SGD(tensors, lr=o["lr"], momentum=o["momentum"], dampening=0, nesterov=o["nesterov"],
                               weight_decay=o["weight_decay"])
    return torch.optim.AdamW(tensors, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"],
                             weight_decay=o["weight_decay"])


def describe(o):
    """`sgd (lr 0.001, momentum 0.9, nesterov False, weight decay 0)`, for the header line."""
    values = [f"{k.replace('_', ' ')} {v if isinstance(v, bool) else format(v, 'g')}"
              for k, v in o.items() if k != "kind"]
    return f"{o['kind']} ({', '.join(values)})"


def inputs(meta, batch, size, with_labels, device):
    """The images (0.1 x standard normal from the model's seed, as the seeds) and, for cross-entropy, the labels."""
    gen = torch.Generator(device="cpu").manual_seed(int(meta["seed"]))
    images = (torch.randn(batch, 3, size, size, generator=gen) * 0.1).to(device)
    labels = torch.randint(0, int(meta["classes"]), (batch,), generator=gen).to(device) if with_labels else None
    return images, labels


def main():
    p = peer_common.Parser(description=__doc__.split("\n")[0])
    peer_common.add_loop_arguments(p, extra_modes=["train-step", "all"])
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--tf32", action="store_true", help="allow TF32 in cuBLAS and cuDNN")
    p.add_argument("--no-cudnn-benchmark", action="store_true")
    add_optimizer_arguments(p)
    args = p.parse_args()
    peer_common.check_loop_arguments(p, args)
    modes = MODES.get(args.mode, [args.mode])
    optimizer = optimizer_settings(p, args, modes)
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
    if args.loss == "softmax-cross-entropy" and meta["head"] != "fc":
        p.error("--loss softmax-cross-entropy needs a model exported with --head fc")
    # the seeds' l2 loss unless told, but a training step's is export --train-step's: cross-entropy with the FC head
    loss_kind = args.loss or meta.get("loss", "l2")
    step_loss = args.loss or meta.get("loss") or ("softmax-cross-entropy" if meta["head"] == "fc" else "l2")
    wrt_kind = args.wrt or meta.get("wrt", "conv")
    wrt = [n for n in params if n.startswith("conv") or wrt_kind == "all"]
    images, labels = inputs(meta, batch, size, "softmax-cross-entropy" in (loss_kind, step_loss), args.device)
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

    opt = make_optimizer([params[n] for n in wrt], optimizer) if optimizer else None
    losses = []

    def train_step():
        opt.zero_grad(set_to_none=True)
        out = torch_alexnet.forward(meta, params, images, masks())
        loss = torch_alexnet.loss_of(step_loss, out, labels)
        loss.backward()
        opt.step()
        # the loss is what bench's train-step fetches; .item() also waits for the GPU
        losses.append(loss.item())

    steps = {"forward": forward_step, "forward-backward": forward_backward_step, "train-step": train_step}
    print(f"pytorch peer: torch {torch.__version__}, device {args.device} ({device_name(args.device)}), batch {batch}, "
          f"weights from {args.model}, TF32 {'on' if args.tf32 else 'off'}, cudnn.benchmark {torch.backends.cudnn.benchmark}, "
          f"threads {torch.get_num_threads()}"
          + (f", train-step: {step_loss} loss, {len(wrt)} parameters, {describe(optimizer)}" if optimizer else ""),
          flush=True)
    results = []
    for mode in modes:
        step = steps[mode]
        t0 = time.perf_counter()
        step()
        sync()
        first = time.perf_counter() - t0
        d = peer_common.time_run(step, LABELS[mode], args)
        extra = {"fetch": "loss"} if mode == "train-step" else {}
        if mode != "forward":
            extra.update(loss=step_loss if mode == "train-step" else loss_kind, wrt=wrt_kind)
        results.append(peer_common.report_entry(
            "pytorch", args.device, mode, batch, d, first, args, torch_version=torch.__version__,
            device=device_name(args.device), tf32=args.tf32, threads=torch.get_num_threads(),
            optimizer=optimizer if mode == "train-step" else None, **extra))
    if losses:
        print(f"train-step: loss {losses[0]:.6g} at the first step, {losses[-1]:.6g} at step {len(losses)}", flush=True)
    peer_common.print_summary(results)
    if args.save_params:
        import numpy as np

        np.savez(args.save_params, **{n: params[n].detach().cpu().numpy() for n in wrt})
        print(f"wrote {args.save_params}")
    if args.json:
        peer_common.write_json(args.json, results)


if __name__ == "__main__":
    main()
