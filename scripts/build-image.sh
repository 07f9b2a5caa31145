#!/usr/bin/env bash
# npm run build:image: build the keelhaul image as keelhaul:local with no container registry.
#
# The Dockerfile's base is a build argument (default node:22-bookworm-slim, pulled from a registry).
# Machines without a registry get a base made here instead, keelhaul-base:local:
#   - a minimal Debian root filesystem (debootstrap --variant=minbase, from the mirror apt uses),
#     with ca-certificates, tini and busybox-static from Debian, and this machine's extra CA
#     certificates (an egress proxy's, for example) so the build can reach the npm registry;
#   - this machine's Node and npm, copied in at /usr/local (the layout of the official node images).
#     That is the Node you have, not necessarily 22: keelhaul's engines field asks for >=20.19.
# The base is made once and reused (it is rebuilt when the machine's Node version changes, or with
# --rebuild-base). Then the real Dockerfile is built on it: `docker build --build-arg BASE=...`.
#
#   scripts/build-image.sh [--rebuild-base] [--base IMAGE] [--tag TAG]
#   KEELHAUL_IMAGE=...   tag to build (default keelhaul:local)
#
# Needs: docker, and for the local base: root, node, and debootstrap (installed with apt-get if missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tag="${KEELHAUL_IMAGE:-keelhaul:local}"
base=""
rebuild_base=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rebuild-base) rebuild_base=1 ;;
    --base) base="$2"; shift ;;
    --tag) tag="$2"; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "build-image: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

log() { echo "build-image: $*" >&2; }

# Two builds at once (CI and a developer) would debootstrap twice and race on the tags.
exec 9>/tmp/keelhaul-build-image.lock
flock -w 900 9 || { log "another build holds /tmp/keelhaul-build-image.lock"; exit 1; }

local_base="keelhaul-base:local"
node_bin="$(command -v node || true)"
node_version="$([ -n "$node_bin" ] && "$node_bin" --version || echo none)"

base_is_current() {
  local label
  label="$(docker image inspect -f '{{ index .Config.Labels "keelhaul.base.node" }}' "$local_base" 2>/dev/null)" || return 1
  [ "$label" = "$node_version" ]
}

make_local_base() {
  [ "$(id -u)" = 0 ] || { log "making the local base needs root (debootstrap); or pass --base IMAGE"; exit 1; }
  [ -n "$node_bin" ] || { log "no node on this machine to copy into the base"; exit 1; }
  if ! command -v debootstrap >/dev/null; then
    # A fresh machine of this kind has apt and the Debian mirror, not debootstrap.
    log "installing debootstrap (apt-get)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap; } >&2 \
      || { log "cannot install debootstrap: apt-get install -y debootstrap, or pass --base IMAGE"; exit 1; }
  fi
  local mirror root npm_dir started
  started=$(date +%s)
  # The mirror apt already uses (deb822 sources or the one-line format), else deb.debian.org.
  mirror="$(grep -hE '^URIs: .*/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 | awk '{print $2}')"
  [ -n "$mirror" ] || mirror="$(grep -hE '^deb +(\[[^]]*\] +)?https?://[^ ]+/debian/? +bookworm ' /etc/apt/sources.list 2>/dev/null | head -n1 | sed -E 's/^deb +(\[[^]]*\] +)?//' | awk '{print $1}')"
  [ -n "$mirror" ] || mirror="http://deb.debian.org/debian"
  root="$(mktemp -d /var/tmp/keelhaul-base.XXXXXX)"
  trap 'rm -rf "$root"' EXIT
  log "debootstrap bookworm (minbase) from $mirror into $root"
  debootstrap --variant=minbase --include=ca-certificates,tini,busybox-static bookworm "$root" "$mirror" >"$root.log" 2>&1 \
    || { tail -n 20 "$root.log" >&2; log "debootstrap failed (full log: $root.log)"; exit 1; }
  rm -f "$root.log"
  # This machine's extra trust anchors (e.g. an egress proxy's CA), so npm and apt work in the build.
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates >/dev/null 2>&1 || log "warning: update-ca-certificates failed in the base"
  fi
  # Node and npm at /usr/local, as in the official images.
  log "copying $node_bin ($node_version) into the base"
  install -D -m 0755 "$(readlink -f "$node_bin")" "$root/usr/local/bin/node"
  npm_dir="$(dirname "$(readlink -f "$node_bin")")/../lib/node_modules/npm"
  if [ -d "$npm_dir" ]; then
    mkdir -p "$root/usr/local/lib/node_modules"
    cp -a "$(readlink -f "$npm_dir")" "$root/usr/local/lib/node_modules/npm"
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  else
    log "warning: no npm next to $node_bin; the build stage needs one"
  fi
  chroot "$root" /usr/local/bin/node --version >/dev/null \
    || { log "the copied node does not run in the Debian root (missing libraries?)"; exit 1; }
  # What a runtime image never needs.
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
         "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*
  log "importing the root filesystem as $local_base"
  tar --numeric-owner -C "$root" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c "LABEL keelhaul.base.node=$node_version keelhaul.base.from=debootstrap-bookworm-minbase" \
    -c 'CMD ["node"]' - "$local_base" >/dev/null
  rm -rf "$root"
  trap - EXIT
  log "base $local_base made in $(( $(date +%s) - started )) s"
}

if [ -z "$base" ]; then
  base="$local_base"
  if [ "$rebuild_base" = 1 ] || ! base_is_current; then
    make_local_base
  else
    log "reusing $local_base (node $node_version)"
  fi
fi

# npm inside the build: pass this machine's CA file setting on (an egress proxy may re-sign TLS).
build_args=(--build-arg "BASE=$base")
cafile="$(npm config get cafile 2>/dev/null || true)"
if [ -n "$cafile" ] && [ "$cafile" != null ] && [ "$cafile" != undefined ]; then
  build_args+=(--build-arg "NPM_CONFIG_CAFILE=$cafile")
fi
revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
build_args+=(--build-arg "REVISION=$revision" --build-arg "VERSION=$(node -p 'require("./package.json").version' 2>/dev/null || echo unknown)")

# Every folder tsconfig.json compiles must be in the build context (.dockerignore is an allow-list).
for dir in $(node -e 'const t=JSON.parse(require("fs").readFileSync("tsconfig.json","utf8")); console.log([...new Set((t.include||[]).map((p)=>p.split("/")[0]))].join(" "))'); do
  grep -qxF "!$dir/" .dockerignore || { log ".dockerignore does not let $dir/ into the build (tsconfig.json compiles it): add a line !$dir/"; exit 1; }
done

started=$(date +%s)
log "docker build $tag on $base"
# Host networking: the build's npm ci reaches the registry the way this machine does.
DOCKER_BUILDKIT=0 docker build --network host "${build_args[@]}" -t "$tag" . >&2
size="$(docker image inspect -f '{{ .Size }}' "$tag")"
log "built $tag in $(( $(date +%s) - started )) s, $(( size / 1000 / 1000 )) MB"
