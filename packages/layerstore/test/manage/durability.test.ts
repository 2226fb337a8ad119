// CRASH-06: the syscalls of a real put and a real tag, traced with strace, come in the order
// fsync(file) → rename → fsync(dir), for blobs and for index.json.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/temp-root.js';
import { tool, withTools } from '../helpers/tools.js';

const WORKER = fileURLToPath(new URL('../helpers/worker.js', import.meta.url));

/** Line index of the first line after `from` matching re, or -1. */
function find(lines: string[], re: RegExp, from = 0): number {
  for (let i = from; i < lines.length; i++) if (re.test(lines[i]!)) return i;
  return -1;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Asserts fsync(temp fd) < rename(temp → final) < open(dir) < fsync(dir fd) for a temp file name pattern. */
function checkOrder(t: import('ava').ExecutionContext, lines: string[], tempRe: string, finalRe: string, dir: string): void {
  const open = find(lines, new RegExp(`openat\\(AT_FDCWD, "[^"]*${tempRe}", [^)]*O_CREAT[^)]*\\) = (\\d+)`));
  t.true(open >= 0, `open of ${tempRe}`);
  const fd = /= (\d+)$/.exec(lines[open]!.trim())![1];
  const sync = find(lines, new RegExp(`fsync\\(${fd}[<)]`), open);
  const rename = find(lines, new RegExp(`rename\\w*\\(.*${tempRe}.*${finalRe}`), open);
  t.true(sync > open && rename > sync, `fsync(file) at ${sync} before rename at ${rename}`);
  const dirOpen = find(lines, new RegExp(`openat\\(AT_FDCWD, "${escapeRe(dir)}", O_RDONLY[^)]*\\) = (\\d+)`), rename);
  t.true(dirOpen > rename, 'the folder is opened after the rename');
  const dirFd = /= (\d+)$/.exec(lines[dirOpen]!.trim())![1];
  t.true(find(lines, new RegExp(`fsync\\(${dirFd}[<)]`), dirOpen) > dirOpen, 'and fsynced');
}

const strace = withTools('strace');
strace.run(strace.title('CRASH-06: put and tag follow fsync(file) → rename → fsync(dir)'), async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'root');
  const trace = join(dir, 'trace');
  await tool('strace', ['-f', '-qq', '-o', trace, '-e', 'trace=openat,fsync,fdatasync,rename,renameat,renameat2', process.execPath, WORKER, 'images', root, '0', '1', 'localhost/d:1']);
  const lines = (await readFile(trace, 'utf8')).split('\n');
  checkOrder(t, lines, 'ingest-[0-9]+-[0-9a-f]+', 'blobs/sha256/[0-9a-f]{64}', join(root, 'blobs/sha256'));
  checkOrder(t, lines, 'index-[0-9a-f]+\\.json', 'index\\.json', root);
});

strace.run(strace.title('CRASH-06: writing the same image again writes no blob and no index, but fsyncs both folders once'), async (t) => {
  // The first writer may have died between its rename and its folder fsync: a process that finds the
  // blobs (and index.json) already there makes their names durable before it relies on them.
  const dir = await tempDir(t);
  const root = join(dir, 'root');
  const trace = join(dir, 'trace');
  const args = [process.execPath, WORKER, 'images', root, '0', '1', 'localhost/d:1'];
  await tool(args[0]!, args.slice(1));
  await tool('strace', ['-f', '-qq', '-o', trace, '-e', 'trace=openat,fsync,fdatasync,rename,renameat,renameat2', ...args]);
  const lines = (await readFile(trace, 'utf8')).split('\n');
  t.is(find(lines, /ingest-|index-[0-9a-f]+\.json/), -1, 'nothing was written');
  for (const folder of [join(root, 'blobs/sha256'), root]) {
    const opens = lines.map((l) => new RegExp(`openat\\(AT_FDCWD, "${escapeRe(folder)}", O_RDONLY[^)]*\\) = (\\d+)`).exec(l)).filter((m) => m !== null);
    const synced = opens.filter((m) => find(lines, new RegExp(`fsync\\(${m![1]}[<)]`), lines.findIndex((l) => l.includes(m![0]))) >= 0);
    t.is(synced.length, 1, `${folder} fsynced once`);
  }
});
