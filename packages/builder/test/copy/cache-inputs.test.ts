// copyCacheInputs: pure, order-independent, keyed on content + mode + flags + dest, never mtimes.
import test from 'ava';
import { utimesSync } from 'node:fs';
import { openContext } from '../../src/context/index.js';
import { copyCacheInputs, matchedContext, type CopyParams } from '../../src/copy/index.js';
import { makeSandbox, params, writeTree } from './helpers.js';

const base: CopyParams = params({ sources: ['src'], dest: '/app/' });
const files = [
  { path: 'src/b.js', digest: 'sha256:bb', mode: 0o100644 },
  { path: 'src/a.js', digest: 'sha256:aa', mode: 0o100755 },
];

test('equal inputs give equal records, whatever the order of sources', (t) => {
  t.deepEqual(copyCacheInputs(base, files), copyCacheInputs(base, [...files].reverse()));
  t.is(copyCacheInputs(base, files)['file:src/a.js'], 'sha256:aa:0755');
});

test('content, mode, dest and every flag change the inputs', (t) => {
  const ref = JSON.stringify(copyCacheInputs(base, files));
  const variants: Array<[string, CopyParams, typeof files]> = [
    ['content', base, [{ ...files[0], digest: 'sha256:cc' }, files[1]]],
    ['mode', base, [{ ...files[0], mode: 0o100600 }, files[1]]],
    ['dest', { ...base, dest: '/other/' }, files],
    ['workdir for a relative dest', { ...base, dest: 'rel/', workdir: '/w' }, files],
    ['chown', { ...base, chown: { user: 'app' } }, files],
    ['chmod', { ...base, chmod: { kind: 'octal', mode: 0o755 } }, files],
    ['parents', { ...base, parents: true }, files],
    ['exclude', { ...base, excludes: ['*.md'] }, files],
    ['link', { ...base, link: true }, files],
    ['heredoc', { ...base, sourceContents: [{ path: 'EOF', data: 'x' }] }, files],
    ['ADD', { ...base, kind: 'ADD' }, files],
  ];
  for (const [what, p, f] of variants) t.not(JSON.stringify(copyCacheInputs(p, f)), ref, what);
});

test('with the real context, touching a file (mtime only) does not change the inputs', (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'src/a.js': 'a', 'src/b.js': 'b' });
  const keyOf = (): Record<string, string> => {
    const ctx = openContext(sb.ctx, { dockerfileText: '' });
    const m = matchedContext(ctx, base);
    return copyCacheInputs(base, ctx.entryDigests(m.match.entries));
  };
  const first = keyOf();
  utimesSync(`${sb.ctx}/src/a.js`, new Date(5e11), new Date(5e11));
  t.deepEqual(keyOf(), first);
  writeTree(sb.ctx, { 'src/a.js': 'changed' });
  t.notDeepEqual(keyOf(), first);
});
