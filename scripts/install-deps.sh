#!/usr/bin/env bash
# Installs the Debian 12 packages edgecache needs, skipping what is already
# there (so it costs ~0.1 s on a ready machine). Called by `make demo` and
# `make test`; safe to run by hand. Non-interactive.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build lld pkg-config make
  # cachelib / traces
  libabsl-dev libxxhash-dev libzstd-dev
  # bench and tests
  libcli11-dev libfmt-dev nlohmann-json3-dev doctest-dev gnuplot-nox python3
  # proxy and its store: Beast/Asio, RocksDB, admin API, config, TLS origins
  libboost-dev librocksdb-dev libcpp-httplib-dev libtomlplusplus-dev libssl-dev
  # end-to-end tests and benchmarks: real Prometheus (promtool), wrk, nginx, curl,
  # openssl (self-signed certificates for the https-origin test)
  prometheus wrk nginx-light curl openssl
  # agent: LibTorch on OpenBLAS (reference BLAS is ~6-10x slower)
  libtorch-dev libopenblas0-pthread
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
