// COPY --from matches sources with the context's rules (one implementation, context/match.ts): the same
// `..` clamping, Go filepath.Match wildcards, literal backslashes and exclusion patterns. The cases
// where the old --from matcher disagreed with BuildKit are pinned here, then a parity table runs the
// same sources against the same tree as a context and as a stage's rootfs.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, constants, existsSync, lstatSync, mkdirSync, symlinkSync, utimesSync } from 'node:fs';
import { mknodSync } from '@tsbuild/layerstore';
import { copy, makeSandbox, readIn, snapshot, writeTree, type Sandbox } from './helpers.js';
import { rootfsSourceRoot } from '../../src/copy/index.js';

const TREE = { 'a.txt': 'A', 'b.txt': 'B', '!.txt': 'bang', 'star*name': 'S', 'd/x.txt': 'X', 'd/y.md': 'Y', 'd/sub/z.txt': 'Z' };

function stageOf(sb: Sandbox): ReturnType<typeof rootfsSourceRoot> {
  const dir = `${sb.dir}/stage`;
  mkdirSync(dir);
  writeTree(dir, TREE);
  symlinkSync('/d', `${dir}/link-d`);
  return rootfsSourceRoot(dir, 'stage build');
}

test('--from: ".." is clamped at the stage root with a warning; missing after that is not found', async (t) => {
  const sb = makeSandbox(t);
  const source = stageOf(sb);
  const r = await copy(sb, { sources: ['../../a.txt'], dest: '/o' }, { source });
  t.is(readIn(sb.root, '/o'), 'A');
  t.true(r.warnings.some((w) => w.includes('climbs above the root of the stage build')));
  const err = await t.throwsAsync(copy(sb, { sources: ['../S/sentinel'], dest: '/x' }, { source }), { code: 'COPY_SOURCE_NOT_FOUND' });
  t.true((err as unknown as { details: { clamped?: boolean } }).details.clamped);
});

test('--from: a missing directory before a wildcard fails like in the context (buildkit#2933)', async (t) => {
  const sb = makeSandbox(t);
  const source = stageOf(sb);
  await t.throwsAsync(copy(sb, { sources: ['/nodir/*.txt'], dest: '/o/' }, { source }), { code: 'COPY_SOURCE_NOT_FOUND' });
  const r = await copy(sb, { sources: ['/d/*.nothing'], dest: '/o/' }, { source });
  t.true(r.warnings.some((w) => w.includes('matched no files')));
});

test('--from: a malformed wildcard matches nothing with a warning (fsutil ignores ErrBadPattern)', async (t) => {
  const sb = makeSandbox(t);
  const r = await copy(sb, { sources: ['[z-'], dest: '/o/' }, { source: stageOf(sb) });
  t.true(r.warnings.some((w) => w.includes('not a valid wildcard pattern')));
  t.deepEqual(snapshot(sb.root), { o: 'd 0755 0:0' });
});

test('--from: a backslash in a plain source is literal; [*] names a star', async (t) => {
  const sb = makeSandbox(t);
  const source = stageOf(sb);
  await t.throwsAsync(copy(sb, { sources: ['star\\*name'], dest: '/s' }, { source }), { code: 'COPY_SOURCE_NOT_FOUND' });
  await copy(sb, { sources: ['star[*]name'], dest: '/s' }, { source });
  t.is(readIn(sb.root, '/s'), 'S');
});

test('--from: [!a] is a class of "!" and "a" (Go has no ! negation)', async (t) => {
  const sb = makeSandbox(t);
  await copy(sb, { sources: ['[!a].txt'], dest: '/o/' }, { source: stageOf(sb) });
  t.deepEqual(Object.keys(snapshot(`${sb.root}/o`)), ['!.txt', 'a.txt']);
});

test('--from: --exclude is case-sensitive and a lone "!" is refused, as for the context', async (t) => {
  const sb = makeSandbox(t);
  const source = stageOf(sb);
  await copy(sb, { sources: ['d'], dest: '/o/', excludes: ['*.TXT', 'sub'] }, { source });
  t.deepEqual(Object.keys(snapshot(`${sb.root}/o`)), ['x.txt', 'y.md']);
  await t.throwsAsync(copy(sb, { sources: ['d'], dest: '/p/', excludes: ['!'] }, { source }), { code: 'DOCKERIGNORE_INVALID' });
  await t.throwsAsync(copy(sb, { sources: ['d'], dest: '/p/', excludes: ['!'] }), { code: 'DOCKERIGNORE_INVALID' });
});

test('--from: FIFOs and device nodes are made anew (type, rdev, mode, owner, mtime), never opened', async (t) => {
  const sb = makeSandbox(t);
  const dir = `${sb.dir}/stage`;
  mkdirSync(`${dir}/a/sub`, { recursive: true });
  // opening a FIFO with no writer blocks: a copier that read it would hang here
  execFileSync('mkfifo', ['-m', '0640', `${dir}/a/fifo`, `${dir}/a/sub/pipe`]);
  chownSync(`${dir}/a/fifo`, 1000, 1001);
  utimesSync(`${dir}/a/fifo`, 1_000_000, 1_000_000);
  mknodSync(`${dir}/a/null`, constants.S_IFCHR | 0o666, 1, 3);
  chmodSync(`${dir}/a/null`, 0o666); // past the umask: the copy must not narrow it either
  const source = rootfsSourceRoot(dir, 'stage src');
  const r = await copy(sb, { sources: ['a'], dest: '/b' }, { source });
  const fifo = lstatSync(`${sb.root}/b/fifo`);
  t.true(fifo.isFIFO());
  t.is(fifo.mode & 0o7777, 0o640);
  t.deepEqual([fifo.uid, fifo.gid, fifo.mtimeMs], [1000, 1001, 1_000_000_000]);
  t.true(lstatSync(`${sb.root}/b/sub/pipe`).isFIFO());
  const dev = lstatSync(`${sb.root}/b/null`);
  t.true(dev.isCharacterDevice());
  t.is(dev.rdev, lstatSync(`${dir}/a/null`).rdev);
  t.is(dev.mode & 0o7777, 0o666);
  t.deepEqual(r.warnings, []);
  // a named FIFO, and --chmod/--chown apply to it as to a file (fsutil's copyFileInfo)
  await copy(sb, { sources: ['a/fifo'], dest: '/single', chmod: { kind: 'octal', mode: 0o600 }, chown: { user: '7', group: '8' } }, { source });
  const single = lstatSync(`${sb.root}/single`);
  t.true(single.isFIFO());
  t.deepEqual([single.mode & 0o7777, single.uid, single.gid], [0o600, 7, 8]);
});

test('--from: sockets and 0/0 character devices (overlay whiteouts) are skipped with a warning', async (t) => {
  const sb = makeSandbox(t);
  const dir = `${sb.dir}/stage`;
  mkdirSync(`${dir}/a`, { recursive: true });
  mknodSync(`${dir}/a/sock`, constants.S_IFSOCK | 0o755, 0, 0);
  mknodSync(`${dir}/a/wh`, constants.S_IFCHR, 0, 0);
  writeTree(dir, { 'a/f': 'F' });
  const r = await copy(sb, { sources: ['a'], dest: '/b' }, { source: rootfsSourceRoot(dir, 'stage src') });
  t.deepEqual(Object.keys(snapshot(`${sb.root}/b`)), ['f']);
  t.false(existsSync(`${sb.root}/b/sock`));
  t.true(r.warnings.some((w) => w.includes('sock: socket not copied')), r.warnings.join('\n'));
  t.true(r.warnings.some((w) => w.includes('wh: character device not copied')), r.warnings.join('\n'));
});

// The same sources against the same tree, as the build context and as a stage's rootfs: the same
// files, or the same error code.
const parity = test.macro({
  async exec(t, sources: string[], excludes: string[] = []) {
    const sb = makeSandbox(t);
    writeTree(sb.ctx, TREE);
    symlinkSync('/d', `${sb.ctx}/link-d`);
    const stage = stageOf(sb);
    const outcome = async (label: string, extra: Parameters<typeof copy>[2]): Promise<unknown> => {
      try {
        await copy(sb, { sources, dest: `/${label}/`, excludes }, extra);
        return snapshot(`${sb.root}/${label}`);
      } catch (e) {
        return (e as { code?: string }).code;
      }
    };
    t.deepEqual(await outcome('fs', { source: stage }), await outcome('ctx', {}));
  },
  title: (given, sources: string[], excludes: string[] = []) =>
    `${given ?? 'context and --from agree on'} ${JSON.stringify(sources)}${excludes.length > 0 ? ` --exclude ${JSON.stringify(excludes)}` : ''}`,
});

test(parity, ['a.txt']);
test(parity, ['/a.txt', './b.txt']);
test(parity, ['../a.txt']);
test(parity, ['d/../../a.txt']);
test(parity, ['../nope']);
test(parity, ['nope']);
test(parity, ['a.txt/x']);
test(parity, ['*.txt']);
test(parity, ['?.txt', '[ab].txt']);
test(parity, ['*/*.txt']);
test(parity, ['d/*']);
test(parity, ['nodir/*']);
test(parity, ['a.txt/*']);
test(parity, ['[z-']);
test(parity, ['star\\*name']);
test(parity, ['star[*]name']);
test(parity, ['d']);
test(parity, ['d'], ['sub', '*.md']);
test(parity, ['*.txt'], ['b.txt']);
test(parity, ['d'], ['*', '!x.txt']);
test(parity, ['.'], ['d']);
test(parity, ['link-d']);
test(parity, ['link-d/*.txt']);
