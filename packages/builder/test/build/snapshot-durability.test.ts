// Snapshots are written without fsync (volatile overlays) and recorded as "unsynced under boot X".
// After a reboot (simulated: the records say another boot, and a snapshot's file is torn) a build
// that needs them unpacks them again from the blobs and gives the image a clean store gives.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from '../../src/build.js';
import { env, haveBusybox, sink } from './helpers.js';

const serial = haveBusybox ? test.serial : test.skip;
const OTHER_BOOT = '00000000-1111-2222-3333-444444444444';

const FIRST = `FROM localhost/busybox:latest
COPY src/ /app/
RUN echo ran > /app/ran.txt
`;
const SECOND = `${FIRST}RUN cat /app/a.txt /app/ran.txt > /app/both.txt
`;

function snapshotRecords(root: string): string[] {
  const layers = path.join(root, 'layers');
  return readdirSync(layers).map((hex) => path.join(layers, hex, 'snapshot')).filter((p) => {
    try {
      readFileSync(p);
      return true;
    } catch {
      return false;
    }
  });
}

serial('snapshots left unsynced by another boot are unpacked again; the image is the one a clean store builds', async (t) => {
  const e = await env();
  t.teardown(e.cleanup);
  await e.write({ Dockerfile: FIRST, 'src/a.txt': 'from the context\n' });
  const opts = { contextDir: e.ctx, root: e.root, progress: 'quiet' as const, sourceDateEpoch: 1_700_000_000 };
  await build(opts, { stdout: sink(), stderr: sink(), env: {} });

  const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const records = snapshotRecords(e.root);
  t.true(records.length >= 3, 'the base, COPY and RUN layers have snapshots');
  for (const r of records) {
    const [name, marker] = readFileSync(r, 'utf8').split('\n');
    t.is(marker, `unsynced ${bootId}`);
    // What a power loss can leave: the record (fsynced) says the dir is there, its files are not.
    writeFileSync(r, `${name}\nunsynced ${OTHER_BOOT}\n`);
    execFileSync('find', [path.join(e.root, 'snapshots', name as string), '-type', 'f', '-exec', 'truncate', '-s', '0', '{}', '+']);
  }

  await e.write({ Dockerfile: SECOND });
  const stdout = sink();
  const after = await build({ ...opts, outputs: [{ type: 'local', dest: path.join(e.tmp, 'out') }] }, { stdout, stderr: sink(), env: {} });
  t.is(after.cachedSteps, 2, 'COPY and the first RUN come from the cache');
  t.is(readFileSync(path.join(e.tmp, 'out/app/both.txt'), 'utf8'), 'from the context\nran\n');
  for (const r of snapshotRecords(e.root)) t.is(readFileSync(r, 'utf8').split('\n')[1], `unsynced ${bootId}`);

  const clean = await env();
  t.teardown(clean.cleanup);
  await clean.write({ Dockerfile: SECOND, 'src/a.txt': 'from the context\n' });
  const fresh = await build({ ...opts, contextDir: clean.ctx, root: clean.root }, { stdout: sink(), stderr: sink(), env: {} });
  t.is(after.imageId, fresh.imageId);
});
