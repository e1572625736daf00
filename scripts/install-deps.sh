#!/usr/bin/env bash
# Installs the Debian 12 packages berth needs to build and test; only what is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  catch2 libvalijson-dev libssl-dev
  libarchive-dev libseccomp-dev libcap-dev libzstd-dev libnl-3-dev libnl-route-3-dev
  libboost-dev libnftables-dev
  busybox-static
  python3 python3-yaml
)
# Test-only peers: clang for the libFuzzer smoke run; skopeo and docker.io (a private dockerd)
# for image interoperability; zstd, iproute2 and bsdutils' script(1) for the integration tests.
if [[ "${1:-}" == "--test" ]]; then
  packages+=(clang libclang-rt-14-dev skopeo zstd iproute2 docker.io bsdutils)
fi
# Benchmark peers: the other engines and compose, measured side by side.
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(docker-compose hyperfine crun runc docker.io podman)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
