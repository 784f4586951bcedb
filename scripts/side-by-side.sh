#!/usr/bin/env bash
# One command that puts alexnet-onnx and the PyTorch eager peer side by side on this machine, same network, same
# weights (the peer loads them from the exported .onnx, which is byte-identical to the model bench builds), same
# timing loop. Usage: scripts/side-by-side.sh EP BATCH [extra bench args...]
#   EP: cpu | cuda | webgpu (the peer runs on cuda for cuda/webgpu, else on cpu). Results: docs/results/*.json
set -euo pipefail
cd "$(dirname "$0")/.."
ep=${1:?usage: scripts/side-by-side.sh EP BATCH [bench args]}; batch=${2:?batch}; shift 2
peer_device=cpu; [[ $ep == cuda || $ep == webgpu ]] && peer_device=cuda
stamp=$(date -u +%Y%m%dT%H%M%SZ); out=docs/results; mkdir -p "$out" graphs
model=graphs/side-by-side-b$batch.onnx
echo "== $(date -u '+%F %T') UTC on $(hostname): node $(node --version), $(nproc) cores"
node dist/cli/bin.js export --batch "$batch" -o "$model" | tail -2
echo "== alexnet-onnx bench --ep $ep --batch $batch $*"
node dist/cli/bin.js bench --ep "$ep" --batch "$batch" --json "$out/$stamp-ort-$ep-b$batch.json" "$@"
py=/usr/bin/python3; [[ -x $py ]] || py=python3
threads=(); [[ $peer_device == cpu ]] && threads=(--threads "$(nproc)")
echo "== PyTorch eager peer, $peer_device"
"$py" scripts/peer_pytorch.py --model "$model" --device "$peer_device" --batch "$batch" "${threads[@]}" --json "$out/$stamp-torch-$peer_device-b$batch.json"
