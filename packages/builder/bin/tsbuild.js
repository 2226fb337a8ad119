#!/usr/bin/env node
// The tsbuild command. It runs the one-file bundle of the CLI (dist/tsbuild.cjs, made by `npm run
// build`) through V8's code cache, so a cached rebuild does not spend its time resolving, reading and
// compiling ~270 modules (docs/performance.md, "Start-up"). Without a bundle, or with one older than the
// last `tsc -b` of any package (its stamp says which build it was made from), it runs the modules in
// dist/src directly: slower, never stale.
//
// The code cache (dist/tsbuild.cjs.<bundle id>.cache) is written at exit when there was none or V8 rejected it
// (another Node version, a rebuilt bundle). A run that took more than a second also refreshes it when
// it compiled clearly more of the bundle than the cache holds (the first run was `--help`, this one a
// build); making the cache costs ~5 ms, which fast runs never pay. A cache that cannot be written
// (read-only install) only costs speed; V8 checks a cache against the source before using it.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../dist');
const bundlePath = join(dist, 'tsbuild.cjs');

/** The bundle's id when it is as new as the last tsc build of every package, else undefined. */
function freshBundleId() {
  try {
    const stamp = JSON.parse(readFileSync(`${bundlePath}.stamp`, 'utf8'));
    const current = stamp.sources.every(([file, mtimeMs]) => statSync(resolve(dist, file)).mtimeMs === mtimeMs);
    return current && /^[0-9a-f]{16}$/.test(stamp.id) ? stamp.id : undefined;
  } catch {
    return undefined;
  }
}

// TSBUILD_NO_BUNDLE=1 runs the modules; TSBUILD_DEBUG_LOADER=1 says on stderr which way this run went.
const trace = process.env.TSBUILD_DEBUG_LOADER === '1' ? (m) => process.stderr.write(`tsbuild: loader: ${m}\n`) : () => {};

function loadBundle() {
  if (process.env.TSBUILD_NO_BUNDLE === '1') {
    trace('modules (TSBUILD_NO_BUNDLE=1)');
    return undefined;
  }
  const id = freshBundleId();
  if (id === undefined) {
    trace('modules (no bundle, or older than the last tsc build)');
    return undefined;
  }
  const source = readFileSync(bundlePath, 'utf8');
  // Named by the bundle's id: V8 checks a cache against the source's length only.
  const cachePath = `${bundlePath}.${id}.cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cachePath);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundlePath,
    ...(cachedData ? { cachedData } : {}),
  });
  trace(`bundle, code cache ${cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'used'}`);
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(bundlePath), mod, bundlePath, dist);
  process.once('exit', () => {
    try {
      const usable = cachedData !== undefined && !script.cachedDataRejected;
      if (usable && process.uptime() < 1) return;
      const data = script.createCachedData();
      if (usable && data.length <= cachedData.length * 1.1) return;
      const tmp = `${cachePath}.${process.pid}.tmp`;
      writeFileSync(tmp, data);
      renameSync(tmp, cachePath);
    } catch {
      // Read-only or full: run without a cache.
    }
  });
  return mod.exports;
}

const cli = loadBundle() ?? (await import('../dist/src/cli/main.js'));
cli.main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error('tsbuild: internal error:', err); process.exitCode = 70; },
);
