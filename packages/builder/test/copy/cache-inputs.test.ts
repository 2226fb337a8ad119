// copyCacheInputs: pure, order-independent, keyed on content + mode + flags + dest, never mtimes.
import test from 'ava';
import { utimesSync } from 'node:fs';
import { openContext, sourceSetOf } from '../../src/context/index.js';
import { copyCacheInputs, matchedContext, type CopyParams, type InputGroup } from '../../src/copy/index.js';
import { stepKey } from '../../src/executor/cache.js';
import { makeSandbox, params, writeTree } from './helpers.js';

const base: CopyParams = params({ sources: ['src'], dest: '/app/' });
const files = [
  { path: 'src/b.js', digest: 'sha256:bb', mode: 0o100644 },
  { path: 'src/a.js', digest: 'sha256:aa', mode: 0o100755 },
];

/** The key the inputs give (a group counts by its digest). */
const keyOf = (p: CopyParams, f: typeof files): string => stepKey('parent', 'COPY', copyCacheInputs(p, sourceSetOf(f)));

test('equal inputs give equal keys, whatever the order of sources', (t) => {
  t.is(keyOf(base, files), keyOf(base, [...files].reverse()));
  const group = copyCacheInputs(base, sourceSetOf(files))['copy:files'] as InputGroup;
  t.deepEqual(group.members(), { 'file:src/a.js': 'sha256:aa:0755', 'file:src/b.js': 'sha256:bb:0644' });
});

test('the files are one input: its digest, never the list, goes into the key', (t) => {
  const inputs = copyCacheInputs(base, sourceSetOf(files));
  t.deepEqual(Object.keys(inputs).filter((k) => k.startsWith('file:')), []);
  t.regex((inputs['copy:files'] as InputGroup).digest, /^sha256:[0-9a-f]{64}$/);
  t.false('copy:files' in copyCacheInputs(base), 'COPY --from has no context files');
});

test('content, mode, dest and every flag change the inputs', (t) => {
  const ref = keyOf(base, files);
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
  for (const [what, p, f] of variants) t.not(keyOf(p, f), ref, what);
});

test('with the real context, touching a file (mtime only) does not change the inputs', (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'src/a.js': 'a', 'src/b.js': 'b' });
  const contextKey = (): string => {
    const ctx = openContext(sb.ctx, { dockerfileText: '' });
    const m = matchedContext(ctx, base);
    return stepKey('parent', 'COPY', copyCacheInputs(base, ctx.sourceSet(m.match.entries)));
  };
  const first = contextKey();
  utimesSync(`${sb.ctx}/src/a.js`, new Date(5e11), new Date(5e11));
  t.is(contextKey(), first);
  writeTree(sb.ctx, { 'src/a.js': 'changed' });
  t.not(contextKey(), first);
});
