#!/usr/bin/env bash
# Sets up a fresh machine of this kind for tsbuild's tests and demo: the Debian packages the tests use
# as real consumers and peers, then the npm install (which compiles the two native helpers) and the build.
# Idempotent: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# command → Debian package that provides it
need=(
  "busybox:busybox-static"      # the base image's tools (fixtures/bases)
  "skopeo:skopeo"               # reads the store and exported archives; inspects the registry
  "umoci:umoci"                 # unpacks exported archives
  "oci-image-tool:oci-image-tool" # validates exported layouts
  "docker-registry:docker-registry" # the real registry for push/pull tests
  "htpasswd:apache2-utils"      # bcrypt htpasswd for the registry's basic-auth variant
  "openssl:openssl"             # self-signed CA for the registry's TLS variant
  "setcap:libcap2-bin"          # file capabilities in layer tests
  "getfattr:attr"               # xattr checks
  "xz:xz-utils"
  "bzip2:bzip2"
  "zstd:zstd"
  "bc:bc"                       # the conformance scripts time builds with bc
  "file:file"
  "strace:strace"               # durability-order tests (fsync → rename → fsync dir)
)
missing=()
for pair in "${need[@]}"; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$pkg")
done
if [ "${TSBUILD_BENCH:-}" = 1 ]; then
  command -v buildah >/dev/null 2>&1 || missing+=(buildah)
  command -v runc >/dev/null 2>&1 || missing+=(runc)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian registry package starts a system service on install; tests run their own on loopback.
if command -v systemctl >/dev/null 2>&1; then systemctl stop docker-registry >/dev/null 2>&1 || true; fi
pkill -f '^/usr/bin/docker-registry serve /etc/docker/registry' 2>/dev/null || true

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build
