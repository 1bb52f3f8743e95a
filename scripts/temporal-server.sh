#!/usr/bin/env bash
# Builds the production Temporal server (go.temporal.io/server) and its SQL schema tool into $LUCID_TOOLS_DIR,
# idempotently, and keeps beside them what `lucid dev up --engine postgres` needs from the module: its PostgreSQL
# schema dirs (the server's config and dynamic config are written by the stack, services/stack/temporal-server.ts).
# PostgreSQL itself comes from Debian (installed here when initdb is absent).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TOOLS=${LUCID_TOOLS_DIR:-$HOME/.cache/lucid}
VERSION=$(node -p "require('./scripts/tool-versions.json').temporalServer")
OUT="$TOOLS/temporal-server-$VERSION"

say() { echo "temporal-server: $*" >&2; }
die() { echo "temporal-server: ERROR: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi; }

pg_bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if ! command -v initdb >/dev/null && [ -z "$(pg_bin_dir)" ]; then
  command -v apt-get >/dev/null || die "PostgreSQL (initdb, pg_ctl) not found and no apt-get to install it"
  say "installing Debian's postgresql"
  as_root apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null || die "apt-get install postgresql failed"
fi
id postgres >/dev/null 2>&1 || die "no 'postgres' user: PostgreSQL refuses to run as root, install Debian's postgresql"

if [ -x "$OUT/bin/temporal-server" ] && [ -x "$OUT/bin/temporal-sql-tool" ] && [ -d "$OUT/schema/postgresql" ]; then
  exit 0
fi
command -v go >/dev/null || die "go is required to build go.temporal.io/server $VERSION"
# The module's go.mod names the Go release it needs; auto lets an older local Go fetch that toolchain.
export GOTOOLCHAIN=${GOTOOLCHAIN:-auto}
DIR=$(go mod download -json "go.temporal.io/server@$VERSION" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})') \
  || die "cannot download go.temporal.io/server@$VERSION"
SRC=$(mktemp -d)
trap 'rm -rf "$SRC"' EXIT
cp -r "$DIR/." "$SRC" && chmod -R u+w "$SRC"
mkdir -p "$OUT.tmp/bin"
say "building go.temporal.io/server $VERSION (./cmd/server, ./cmd/tools/sql); several minutes"
(cd "$SRC" && go build -trimpath -o "$OUT.tmp/bin/temporal-server" ./cmd/server \
  && go build -trimpath -o "$OUT.tmp/bin/temporal-sql-tool" ./cmd/tools/sql) >&2 || die "go build of go.temporal.io/server@$VERSION failed"
mkdir -p "$OUT.tmp/schema"
cp -r "$SRC/schema/postgresql" "$OUT.tmp/schema/"
rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
say "built $OUT"
