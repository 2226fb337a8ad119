// EXP-01, STO-01 and CTX-07 (SECURITY.md §4) through the CLI: exports are deterministic and safe to
// unpack, the store is closed to other users, and --secret bytes end up nowhere they could persist.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BASE, blobFiles, buildText, canMakeBase, cli, filesContaining, isRoot, plainBytes, sandbox, writeTree } from './helpers.js';

const serial = canMakeBase && isRoot ? test.serial : test.skip;

interface TarEntry {
  name: string;
  type: string;
  size: number;
}

/** Entries of an uncompressed tar, read from its raw headers (PAX path and GNU long names applied). */
function tarEntries(buf: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let off = 0;
  let paxPath: string | undefined;
  let longName: string | undefined;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, n: number): string => h.subarray(a, a + n).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(str(124, 12).trim() || '0', 8);
    const type = str(156, 1) || '0';
    const prefix = h.subarray(257, 263).toString('latin1').startsWith('ustar') ? str(345, 155) : '';
    const data = buf.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      paxPath = m?.[1];
      continue;
    }
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    const name = paxPath ?? longName ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    paxPath = undefined;
    longName = undefined;
    out.push({ name, type, size });
  }
  return out;
}

function unsafeName(name: string): boolean {
  return name.startsWith('/') || name.split('/').includes('..') || name.includes('\0');
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

serial('EXP-01: two saves and two OCI exports are byte-identical; every blob verifies; names are safe', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  await writeTree(sb.ctx, { 'a.txt': 'a\n', 'd/b.txt': 'b\n' });
  const env = { SOURCE_DATE_EPOCH: '1700000000' };
  const df = `FROM ${BASE}\nCOPY . /app/\nRUN ln /app/a.txt /app/hard && ln -s a.txt /app/soft && mkdir -p /app/e && rm /bin/true\nLABEL x=y\n`;
  const ociA = path.join(sb.dir, 'a.oci.tar');
  const ociB = path.join(sb.dir, 'b.oci.tar');
  const r1 = await buildText(sb, df, ['-t', 'localhost/exp01:1', '-o', `type=oci,dest=${ociA}`], { env });
  t.is(r1.code, 0, r1.stderr);
  // The same build again on a second store root (nothing cached there), from a copy of the context.
  const sb2 = await sandbox();
  t.teardown(sb2.cleanup);
  await writeTree(sb2.ctx, { 'd/b.txt': 'b\n', 'a.txt': 'a\n' });
  const r2 = await buildText(sb2, df, ['-t', 'localhost/exp01:1', '-o', `type=oci,dest=${ociB}`], { env });
  t.is(r2.code, 0, r2.stderr);
  t.is(sha256(await readFile(ociA)), sha256(await readFile(ociB)), 'two builds export the same bytes');

  for (const format of ['both', 'oci', 'docker']) {
    const s1 = path.join(sb.dir, `s1-${format}.tar`);
    const s2 = path.join(sb.dir, `s2-${format}.tar`);
    t.is((await cli(sb.root, ['save', '--format', format, '-o', s1, 'localhost/exp01:1', BASE])).code, 0);
    t.is((await cli(sb.root, ['save', '--format', format, '-o', s2, 'localhost/exp01:1', BASE])).code, 0);
    t.is(sha256(await readFile(s1)), sha256(await readFile(s2)), `save --format ${format} is deterministic`);
  }

  for (const archive of [ociA, path.join(sb.dir, 's1-both.tar'), path.join(sb.dir, 's1-docker.tar')]) {
    const entries = tarEntries(await readFile(archive));
    const names = entries.map((e) => e.name);
    t.deepEqual(names.filter(unsafeName), [], `${archive}: no absolute or .. names`);
    t.is(new Set(names).size, names.length, `${archive}: no duplicate entries`);
    t.deepEqual(entries.filter((e) => !['0', '5', '2', '1'].includes(e.type)), [], `${archive}: only files, dirs and links`);
  }

  // The OCI layout: oci-layout, index.json, and every blob named by its digest, with the sizes the
  // descriptors say; every layer's own entries are safe, unique and never sparse.
  const dir = path.join(sb.dir, 'layout');
  spawnSync('mkdir', ['-p', dir]);
  t.is(spawnSync('tar', ['-C', dir, '-xf', ociA]).status, 0);
  t.deepEqual(JSON.parse(await readFile(path.join(dir, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
  const blobs = path.join(dir, 'blobs/sha256');
  for (const name of readdirSync(blobs)) t.is(sha256(await readFile(path.join(blobs, name))), name, `blob ${name}`);
  type Desc = { digest: string; size: number; mediaType: string };
  const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests: Desc[] };
  t.true(index.manifests.length >= 1);
  for (const m of index.manifests) {
    const mb = await readFile(path.join(blobs, m.digest.slice(7)));
    t.is(mb.length, m.size);
    const manifest = JSON.parse(mb.toString()) as { config: Desc; layers: Desc[] };
    t.is(statSync(path.join(blobs, manifest.config.digest.slice(7))).size, manifest.config.size);
    for (const l of manifest.layers) {
      const lb = await readFile(path.join(blobs, l.digest.slice(7)));
      t.is(lb.length, l.size);
      const entries = tarEntries(plainBytes(lb));
      const names = entries.map((e) => e.name.replace(/\/$/, ''));
      t.deepEqual(names.filter(unsafeName), [], `layer ${l.digest}: safe names`);
      t.is(new Set(names).size, names.length, `layer ${l.digest}: no duplicate paths`);
      t.deepEqual(entries.filter((e) => e.type === 'S'), [], `layer ${l.digest}: no sparse entries`);
    }
  }
});

serial('STO-01: the store root is 0700 root:root, blobs are 0444, and nobody cannot reach anything in it', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  // A setuid-root copy of busybox in a layer: it must not be reachable by other users in the store.
  const r = await buildText(sb, `FROM ${BASE}\nRUN cp /bin/busybox /suid && chmod 4755 /suid\n`, ['-t', 'localhost/sto01:1']);
  t.is(r.code, 0, r.stderr);
  const st = statSync(sb.root);
  t.is(st.mode & 0o7777, 0o700);
  t.is(st.uid, 0);
  t.is(st.gid, 0);
  const blobs = blobFiles(sb.root);
  t.true(blobs.length > 3);
  for (const b of blobs) t.is(statSync(b).mode & 0o7777, 0o444, b);
  const suid = filesNamed(sb.root, 'suid');
  t.true(suid.length > 0, 'the setuid file is in a snapshot');
  const asNobody = (...argv: string[]) => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...argv], { encoding: 'utf8' });
  for (const p of [sb.root, path.join(sb.root, 'blobs/sha256'), blobs[0] as string, ...suid]) {
    const ls = asNobody('ls', '-l', p);
    t.not(ls.status, 0, `nobody can list ${p}`);
    t.regex(ls.stderr, /Permission denied/, p);
  }
  const exec = asNobody(suid[0] as string, 'id', '-u');
  t.not(exec.status, 0, 'nobody cannot run the setuid file from the store');
});

function filesNamed(dir: string, name: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === name) out.push(p);
    }
  };
  walk(dir);
  return out;
}

serial('CTX-07: --secret bytes appear in no layer, config, history, record, log, export or message', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const fileSecret = `FILESECRET-${randomBytes(12).toString('hex')}`;
  const envSecret = `ENVSECRET-${randomBytes(12).toString('hex')}`;
  const secretFile = path.join(sb.dir, 'secret.txt');
  await writeFile(secretFile, fileSecret);
  const oci = path.join(sb.dir, 'out.oci.tar');
  const local = path.join(sb.dir, 'rootfs');
  const env = { MY_ENV_SECRET: envSecret };
  const secrets = ['--secret', `id=filesec,src=${secretFile}`, '--secret', 'id=envsec,env=MY_ENV_SECRET'];
  const df =
    `FROM ${BASE}\n` +
    'RUN --mount=type=secret,id=filesec --mount=type=secret,id=envsec,env=ENVSEC ' +
    'test -s /run/secrets/filesec && test -n "$ENVSEC" && sha256sum /run/secrets/filesec > /tmp/sum && ' +
    '(echo x > /run/secrets/filesec) 2>/dev/null; echo done\n' +
    'RUN --mount=type=secret,id=filesec,target=/etc/app.key cat /etc/app.key | wc -c > /tmp/len\n';
  const r = await buildText(sb, df, [...secrets, '-t', 'localhost/ctx07:1', '-o', `type=oci,dest=${oci}`, '-o', `type=local,dest=${local}`], { env });
  t.is(r.code, 0, r.stderr);
  t.is((await readFile(path.join(local, 'tmp/len'), 'utf8')).trim(), String(fileSecret.length), 'the secret was usable');
  t.deepEqual(readdirSync(path.join(local, 'run')).filter((n) => n === 'secrets'), [], 'no /run/secrets stub in the image');
  // A failing step with secrets: its error message carries no secret either.
  const fail = await buildText(sb, `FROM ${BASE}\nRUN --mount=type=secret,id=filesec --mount=type=secret,id=envsec,env=E exit 7\n`, secrets, { env });
  t.is(fail.code, 1);
  // Again with json progress; the extra first step makes every later step run again.
  const jsonDf = path.join(sb.dir, 'Dockerfile.json');
  await writeFile(jsonDf, df.replace('\n', '\nRUN echo json\n'));
  const json = await cli(sb.root, ['build', '--progress', 'json', '-f', jsonDf, ...secrets, sb.ctx], { env });
  t.is(json.code, 0, json.stderr);
  const save = await cli(sb.root, ['save', '-o', path.join(sb.dir, 'saved.tar'), 'localhost/ctx07:1']);
  t.is(save.code, 0);
  const inspect = await cli(sb.root, ['inspect', 'localhost/ctx07:1']);
  const history = await cli(sb.root, ['history', 'localhost/ctx07:1']);
  // Archives are unpacked so the search sees inside their (compressed) layers.
  const unpacked: string[] = [];
  for (const archive of [oci, path.join(sb.dir, 'saved.tar')]) {
    const d = `${archive}.d`;
    spawnSync('mkdir', ['-p', d]);
    t.is(spawnSync('tar', ['-C', d, '-xf', archive]).status, 0);
    unpacked.push(d);
  }
  for (const secret of [fileSecret, envSecret]) {
    t.deepEqual(filesContaining(sb.root, secret), [], 'not in the store (blobs, records, logs)');
    t.deepEqual(filesContaining(local, secret), [], 'not in the exported rootfs');
    for (const d of unpacked) t.deepEqual(filesContaining(d, secret), [], `not in ${path.basename(d)}`);
    for (const out of [r, fail, json, inspect, history]) {
      t.false(out.stdout.includes(secret) || out.stderr.includes(secret), 'not in any output or message');
    }
  }
});

serial('CRASH-05: a flipped byte in a layer blob is never exported; verify reports it; after --repair the build works again', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  await writeTree(sb.ctx, { 'f.txt': 'content of f\n' });
  const df = `FROM ${BASE}\nCOPY f.txt /f\nRUN echo more > /more\n`;
  const r = await buildText(sb, df, ['-t', 'localhost/crash05:1']);
  t.is(r.code, 0, r.stderr);
  const ins = JSON.parse((await cli(sb.root, ['inspect', 'localhost/crash05:1'])).stdout) as Array<{ RootFS: { Layers: string[] } }>;
  const layers = ins[0]?.RootFS.Layers ?? [];
  // The COPY layer: built layers are stored uncompressed, so the blob is named by the diffID.
  const blob = path.join(sb.root, 'blobs/sha256', (layers[layers.length - 2] as string).slice(7));
  const bytes = await readFile(blob);
  const at = bytes.indexOf('content of f');
  t.true(at > 0, 'the layer blob holds the file');
  bytes[at] ^= 0x20;
  await writeFile(blob, bytes);
  const out = path.join(sb.dir, 'corrupt.tar');
  const save = await cli(sb.root, ['save', '-o', out, 'localhost/crash05:1']);
  t.is(save.code, 1, save.stderr);
  const oci = await buildText(sb, df, ['-o', `type=oci,dest=${path.join(sb.dir, 'corrupt.oci.tar')}`]);
  t.not(oci.code, 0, 'an export of the corrupt layer fails');
  const v = await cli(sb.root, ['verify']);
  t.is(v.code, 1);
  t.true((v.stdout + v.stderr).includes(path.basename(blob)), 'verify names the blob');
  const fix = await cli(sb.root, ['verify', '--repair']);
  t.true(fix.code === 0 || fix.code === 1, fix.stderr);
  t.is((await cli(sb.root, ['verify'])).code, 0, 'clean after repair');
  const again = await buildText(sb, df, ['-t', 'localhost/crash05:1', '-o', `type=oci,dest=${path.join(sb.dir, 'good.oci.tar')}`]);
  t.is(again.code, 0, again.stderr);
  t.is((await cli(sb.root, ['save', '-o', path.join(sb.dir, 'good.tar'), 'localhost/crash05:1'])).code, 0);
  t.is((await cli(sb.root, ['verify'])).code, 0);
});
