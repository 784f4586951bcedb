"""PyTorch eager peer for alexnet-onnx bench: the identical network with the very weights of an exported .onnx file,
timed with the seeds' loop (burn-in, timed steps, a line every N steps, mean +/- population sd), printing the same
lines as `alexnet-onnx bench`, and optionally the same JSON fields.

  /usr/bin/python3 scripts/peer_pytorch.py --model graphs/alexnet.onnx [--device cpu|cuda] [--mode both]
      [--batch 32] [--steps 100] [--burn-in 10] [--log-every 10] [--threads N] [--fetch grads|sum]
      [--tf32] [--no-cudnn-benchmark] [--json FILE]

Forward fetches the output to the host; forward-backward computes autograd gradients of the loss with respect to
the same parameters as the model's gradients (conv, or all with --wrt all) and fetches them (grads) or only the
sum of their squares (sum), like `bench --fetch`. Any Python with torch (1.13 or 2.x), onnx and numpy runs it:
Debian's python3-torch, or a PyTorch 2.x venv (docs/benchmarks.md, "Peers").
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_common  # noqa: E402
import torch_alexnet  # noqa: E402


def device_name(device):
    return torch.cuda.get_device_name(0) if device == "cuda" else peer_common.cpu_device()


def main():
    p = peer_common.Parser(description=__doc__.split("\n")[0])
    peer_common.add_loop_arguments(p)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--tf32", action="store_true", help="allow TF32 in cuBLAS and cuDNN")
    p.add_argument("--no-cudnn-benchmark", action="store_true")
    args = p.parse_args()
    peer_common.check_loop_arguments(p, args)
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
        d = peer_common.time_run(step, "Forward" if mode == "forward" else "Forward-backward", args)
        results.append(peer_common.report_entry(
            "pytorch", args.device, mode, batch, d, first, args, torch_version=torch.__version__,
            device=device_name(args.device), tf32=args.tf32, threads=torch.get_num_threads()))
    peer_common.print_summary(results)
    if args.json:
        peer_common.write_json(args.json, results)


if __name__ == "__main__":
    main()
