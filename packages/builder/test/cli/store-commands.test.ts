// The store commands as a user meets them, checked with real consumers where they exist here.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cli, storeWithBase, tempDir } from './helpers.js';

const hasSkopeo = spawnSync('skopeo', ['--version']).status === 0;

test.serial('images, inspect, history, tag, rmi', (t) => {
  const root = storeWithBase();
  const images = cli(root, ['images']);
  t.is(images.code, 0, images.err);
  t.regex(images.out, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE/m);
  t.regex(images.out, /localhost\/busybox\s+latest\s+[0-9a-f]{12}/);

  const inspect = cli(root, ['inspect', 'localhost/busybox:latest']);
  t.is(inspect.code, 0, inspect.err);
  const [info] = JSON.parse(inspect.out) as Array<{ Id: string; RepoTags: string[]; RootFS: { Layers: string[] }; Os: string }>;
  t.regex(info!.Id, /^sha256:[0-9a-f]{64}$/);
  t.is(info!.Os, 'linux');
  t.true(info!.RootFS.Layers.length >= 1);

  const history = cli(root, ['history', 'localhost/busybox:latest']);
  t.is(history.code, 0, history.err);
  t.regex(history.out, /^LAYER\s+CREATED\s+CREATED BY/m);

  t.is(cli(root, ['tag', 'localhost/busybox:latest', 'example.com/other:v1']).code, 0);
  t.regex(cli(root, ['images']).out, /example\.com\/other\s+v1/);
  const rmi = cli(root, ['rmi', 'example.com/other:v1']);
  t.is(rmi.code, 0, rmi.err);
  t.regex(rmi.out, /Untagged: example\.com\/other:v1/);
  t.notRegex(cli(root, ['images']).out, /example\.com\/other/);

  const missing = cli(root, ['inspect', 'no/such:thing']);
  t.not(missing.code, 0);
  t.regex(missing.err, /\[ENOTFOUND\]/);
});

test.serial('save in each format, load again: same image id; skopeo reads archive and store', (t) => {
  const root = storeWithBase();
  const id = (JSON.parse(cli(root, ['inspect', 'localhost/busybox:latest']).out) as Array<{ Id: string }>)[0]!.Id;
  const dir = tempDir('tsb-save-');
  for (const format of ['both', 'oci', 'docker']) {
    const file = path.join(dir, `${format}.tar`);
    const s = cli(root, ['save', '--format', format, '-o', file, 'localhost/busybox:latest']);
    t.is(s.code, 0, s.err);
    t.true(statSync(file).size > 0);
    const fresh = tempDir('tsb-store2-');
    const l = cli(fresh, ['load', '-i', file]);
    t.is(l.code, 0, l.err);
    t.regex(l.out, /Loaded image: .*busybox/);
    t.is((JSON.parse(cli(fresh, ['inspect', 'localhost/busybox:latest']).out) as Array<{ Id: string }>)[0]!.Id, id, format);
    if (hasSkopeo && format !== 'docker') {
      const sk = spawnSync('skopeo', ['inspect', `oci-archive:${file}:localhost/busybox:latest`], { encoding: 'utf8' });
      t.is(sk.status, 0, sk.stderr);
    }
    if (hasSkopeo && format !== 'oci') {
      const sk = spawnSync('skopeo', ['inspect', `docker-archive:${file}`], { encoding: 'utf8' });
      t.is(sk.status, 0, sk.stderr);
    }
  }
  if (hasSkopeo) {
    const sk = spawnSync('skopeo', ['inspect', `oci:${root}:localhost/busybox:latest`], { encoding: 'utf8' });
    t.is(sk.status, 0, sk.stderr);
  }
});

test.serial('save refuses to write an archive to a terminal and never leaves a partial file', (t) => {
  const root = storeWithBase();
  const dir = tempDir('tsb-save-');
  const r = cli(root, ['save', '-o', path.join(dir, 'x.tar'), 'no/such:image']);
  t.is(r.code, 2);
  t.regex(r.err, /\[IMAGE_NOT_FOUND\]/);
  t.throws(() => statSync(path.join(dir, 'x.tar')));
});

test.serial('load of a corrupt archive fails with a code and stores nothing; verify stays clean', (t) => {
  const root = storeWithBase();
  const dir = tempDir('tsb-bad-');
  const bad = path.join(dir, 'bad.tar');
  writeFileSync(bad, Buffer.alloc(4096, 7));
  const r = cli(root, ['load', '-i', bad]);
  t.not(r.code, 0);
  t.regex(r.err, /\[[A-Z_]+\]/);
  // Truncated plain and gzip archives: a typed error, never a crash (they used to be unhandled rejections).
  const saved = path.join(dir, 'good.tar');
  t.is(cli(root, ['save', '-o', saved, 'localhost/busybox:latest']).code, 0);
  const source = readFileSync(saved);
  {
    const cut = path.join(dir, 'cut.tar');
    writeFileSync(cut, source.subarray(0, Math.floor(source.length / 2)));
    const c = cli(root, ['load', '-i', cut]);
    t.is(c.code, 1, c.err);
    t.regex(c.err, /\[EARCHIVE\]/);
    const gz = spawnSync('gzip', ['-c', cut]).stdout as Buffer;
    const cutgz = path.join(dir, 'cut.tgz');
    writeFileSync(cutgz, gz.subarray(0, 5000));
    const g = cli(root, ['load', '-i', cutgz]);
    t.is(g.code, 1, g.err);
    t.regex(g.err, /\[EARCHIVE\]/);
  }
  const v = cli(root, ['verify']);
  t.is(v.code, 0, v.out + v.err);
  t.regex(v.out, /0 problem/);
});

test.serial('verify finds a corrupted blob (exit 1), --repair quarantines it', (t) => {
  const root = storeWithBase();
  const info = (JSON.parse(cli(root, ['inspect', 'localhost/busybox:latest']).out) as Array<{ Id: string }>)[0]!;
  const config = path.join(root, 'blobs/sha256', info.Id.slice(7));
  const text = readFileSync(config);
  spawnSync('chmod', ['u+w', config]);
  writeFileSync(config, Buffer.concat([text.subarray(0, text.length - 1), Buffer.from(' ')]));
  const v = cli(root, ['verify']);
  t.is(v.code, 1);
  t.regex(v.err, /\[STORE_VERIFY_FAILED\]/);
  const r = cli(root, ['verify', '--repair']);
  t.is(r.code, 0, r.out + r.err);
  t.regex(r.out, /quarantined/);
});

test.serial('prune reports what it freed', (t) => {
  const root = storeWithBase();
  t.is(cli(root, ['rmi', 'localhost/busybox:latest']).code, 0);
  const p = cli(root, ['prune']);
  t.is(p.code, 0, p.err);
  t.regex(p.out, /^Freed [0-9.]+[kMG]?B: [1-9]\d* blobs/);
  t.is(cli(root, ['verify']).code, 0);
});

test.serial('run: image CMD, exit status passed through, -e, -w, -u, bind mount of $PWD', (t) => {
  const root = storeWithBase();
  const work = tempDir('tsb-run-');
  mkdirSync(path.join(work, 'sub'));
  writeFileSync(path.join(work, 'hello.txt'), 'hi from the host\n');
  const ls = cli(root, ['run', '--rm', '-v', `${work}:/w`, 'localhost/busybox:latest', 'ls', '/w'], { cwd: work });
  t.is(ls.code, 0, ls.err);
  t.regex(ls.out, /hello\.txt/);
  t.regex(ls.out, /sub/);
  t.is(cli(root, ['run', 'localhost/busybox:latest', 'sh', '-c', 'exit 3']).code, 3);
  const env = cli(root, ['run', '-e', 'GREETING=hello', '-w', '/tmp', '-u', 'app', 'localhost/busybox:latest', 'sh', '-c', 'echo $GREETING; pwd; id -u']);
  t.is(env.code, 0, env.err);
  t.deepEqual(env.out.trim().split('\n'), ['hello', '/tmp', '1000']);
  const ro = cli(root, ['run', '-v', `${work}:/w:ro`, 'localhost/busybox:latest', 'touch', '/w/new']);
  t.not(ro.code, 0);
  const net = cli(root, ['run', 'localhost/busybox:latest', 'ls', '/sys/class/net']);
  t.is(net.out.trim(), 'lo');
  // Writes go to a throwaway upper dir: the next run does not see them.
  t.is(cli(root, ['run', 'localhost/busybox:latest', 'touch', '/made-here']).code, 0);
  t.is(cli(root, ['run', 'localhost/busybox:latest', 'test', '-e', '/made-here']).code, 1);
});
