#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, only those missing, so a fresh
# machine needs no manual step. Safe to run repeatedly; needs root (or sudo) to install.
set -euo pipefail

# command -> Debian package
declare -A wanted=(
  [g++]=g++
  [make]=make
  [cmake]=cmake
  [python3]=python3
  [wrk]=wrk                 # load-generator cross-check (HTTP/1.1)
  [h2load]=nghttp2-client   # load-generator cross-check (HTTP/2)
  [prometheus]=prometheus   # dashboard and metrics tests (scrapes the apps on loopback)
  [promtool]=prometheus     # checks every dashboard query, backfills the lab history
  [chromium]=chromium       # headless browser for the HTML report test (playwright-core)
  [redis-server]=redis-server  # L2 key cache of the inference service (tests start their own on a free port)
  [openssl]=openssl         # self-signed certificates for the TLS tests
  [stress-ng]=stress-ng     # a bounded CPU neighbour for the gate's self-test (apps/lab/scripts/gate-selftest.mjs)
  [haproxy]=haproxy         # hlp cluster: the load balancer in front of the proxies and of the inference services
  [nft]=nftables            # hlp cluster: packet loss where the kernel has no netem qdisc
  [iptables]=iptables       # hlp cluster: the link delay's netfilter queue where the kernel has no netem qdisc
  [ip]=iproute2             # hlp cluster: network namespaces, veth pairs, the bridge, tc
  [clang-format]=clang-format  # npm run lint / npm run format: the C++ and CUDA under kernels/native
)

missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "[setup] system packages present"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
echo "[setup] installing: ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
