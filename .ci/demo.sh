#!/usr/bin/env bash
# The README's first command: set up, build the base image and the bundled multi-stage demo, run it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
base=$(mktemp -d /tmp/tsbuild-base.XXXXXX)
trap 'rm -rf "$base"' EXIT
fixtures/bases/make-busybox-context.sh "$base"
tsbuild build -t localhost/busybox:latest "$base"
tsbuild build -t demo fixtures/demo
tsbuild run demo
