#!/usr/bin/env bash
# Runs ../shared/conformance with tsbuild on a private store; fails unless every case passes.
set -euo pipefail
cd "$(dirname "$0")/.."
conf=../shared/conformance
[ -d "$conf" ] || { echo "conformance: $conf not found, nothing to run"; exit 0; }
export PATH="$PWD/node_modules/.bin:$PATH"
export TSBUILD_ROOT=${TSBUILD_ROOT:-$(mktemp -d /tmp/tsbuild-conformance.XXXXXX)}
out=$(mktemp)
"$conf/run-all.sh" --name tsbuild \
  --prepare "tsbuild load -i $conf/bases/busybox.oci.tar localhost/busybox:latest" \
  'tsbuild build -t {tag} -o type=oci,dest={out} {buildargs} {target} {ctx}' | tee "$out"
rm -rf "$TSBUILD_ROOT"
last=$(tail -n 1 "$out"); rm -f "$out"
case "$last" in *" 0 failed"*) exit 0 ;; *) echo "conformance: $last"; exit 1 ;; esac
