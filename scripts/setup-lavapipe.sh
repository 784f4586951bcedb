#!/usr/bin/env bash
# Sets up Mesa's lavapipe (a CPU Vulkan driver) so Dawn, and with it ONNX Runtime's WebGPU EP, finds a WebGPU adapter
# on a machine without a GPU. Debian 12's own Mesa 22.3 gives no adapter; bookworm-backports has Mesa 25.
# The driver is extracted into a folder (nothing of Mesa is installed system-wide); its runtime libraries come from
# Debian 12 itself and are installed with apt-get (root).
# Usage: scripts/setup-lavapipe.sh [DIR]   (default .cache/lavapipe). Prints the ICD JSON path for VK_DRIVER_FILES.
set -euo pipefail
dir=$(mkdir -p "${1:-.cache/lavapipe}" && cd "${1:-.cache/lavapipe}" && pwd)
icd=$dir/lvp_icd.json
if [[ -s $icd ]]; then echo "$icd"; exit 0; fi
deps=(libvulkan1 libllvm15 libwayland-client0 libx11-xcb1 libxcb-dri3-0 libxcb-present0 libxcb-randr0 libxcb-shm0
      libxcb-sync1 libxcb-xfixes0 libxshmfence1 libelf1 libdrm2 libzstd1)
missing=()
for p in "${deps[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || { echo "setup-lavapipe: run as root, or install: ${missing[*]}" >&2; exit 1; }
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
apt=$dir/apt; mkdir -p "$apt/lists/partial" "$apt/sources"
cat > "$apt/sources/backports.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt/sources" -o "Dir::State::Lists=$apt/lists"
      -o APT::Sandbox::User=root)
apt-get "${opts[@]}" update -qq >&2
(cd "$apt" && apt-get "${opts[@]}" download mesa-vulkan-drivers >&2)
dpkg -x "$apt"/mesa-vulkan-drivers_*.deb "$dir/root"
lib=$(find "$dir/root" -name libvulkan_lvp.so | head -1)
[[ -n $lib ]] || { echo "setup-lavapipe: libvulkan_lvp.so not in the package" >&2; exit 1; }
printf '{ "file_format_version": "1.0.0", "ICD": { "library_path": "%s", "api_version": "1.3.0" } }\n' "$lib" > "$icd.tmp"
mv "$icd.tmp" "$icd"
echo "$icd"
