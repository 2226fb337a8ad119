// TAR-03 race injection (node-tar test/symlink-race-extract technique): the first lstat of the victim
// plants a symlink to a host file there and answers ENOENT, as if another process raced us. The
// O_EXCL|O_NOFOLLOW create must then fail with a typed error and the host file stay unchanged.
// Serial: it patches node:fs for the whole process.
import test from 'ava';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { file, tar } from './helpers/raw-tar.js';
import { applyTar } from './helpers/apply.js';
import { makeSandbox } from './helpers/sandbox.js';

function withPlantedSymlink<T>(victim: string, target: string, fn: () => Promise<T>): Promise<T> {
  const original = fs.lstatSync;
  let planted = false;
  const patched = ((p: fs.PathLike, opts?: fs.StatSyncOptions) => {
    if (!planted && String(p) === victim) {
      planted = true;
      fs.symlinkSync(target, victim);
      throw Object.assign(new Error(`ENOENT: ${victim}`), { code: 'ENOENT' });
    }
    return original(p, opts);
  }) as typeof fs.lstatSync;
  const mutableFs = fs as { lstatSync: typeof fs.lstatSync };
  mutableFs.lstatSync = patched;
  syncBuiltinESMExports();
  return fn().finally(() => {
    mutableFs.lstatSync = original;
    syncBuiltinESMExports();
  });
}

test.serial('TAR-03: a symlink raced in at the leaf is never written through', async (t) => {
  const sb = makeSandbox(t);
  const before = sb.fingerprint();
  const victim = path.join(sb.R, 'x');
  const code = await withPlantedSymlink(victim, path.join(sb.S, 'marker'), () => applyTar(sb.R, tar(file('x', 'PWNED', 0o777))));
  t.is(code, 'EAPPLY');
  t.is(sb.fingerprint(), before);
});

test.serial('TAR-03: a symlink raced in at a parent is followed in-root only', async (t) => {
  const sb = makeSandbox(t);
  const before = sb.fingerprint();
  fs.mkdirSync(path.join(sb.R, 'd'));
  const victim = path.join(sb.R, 'd');
  // the resolver itself lstats `d`: it sees the planted link on its next lstat and resolves it in-root
  const code = await withPlantedSymlink(victim, sb.S, async () => {
    fs.rmdirSync(victim);
    return applyTar(sb.R, tar(file('d/marker', 'PWNED')));
  });
  t.true(code === undefined || code === 'EAPPLY');
  t.is(sb.fingerprint(), before);
});
