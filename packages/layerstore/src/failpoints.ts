// Failpoints for crash tests (containerd internal/failpoint style). A test sets
//   TSBUILD_FAILPOINTS="blobs.put.afterFsync=kill;index.write.beforeRename=throw;x=sleep(200)"
// and the named point SIGKILLs the process, throws StoreError('EFAILPOINT') or sleeps.
// Unset (production), `failpoint()` is one map lookup.
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreError } from './errors.js';

type Action = { kind: 'kill' } | { kind: 'throw' } | { kind: 'sleep'; ms: number };

function parseFailpoints(spec: string | undefined): Map<string, Action> {
  const map = new Map<string, Action>();
  for (const part of (spec ?? '').split(';')) {
    const [name, action] = part.split('=').map((s) => s.trim());
    if (!name || !action) continue;
    const m = /^sleep\((\d+)\)$/.exec(action);
    if (action === 'kill') map.set(name, { kind: 'kill' });
    else if (action === 'throw') map.set(name, { kind: 'throw' });
    else if (m) map.set(name, { kind: 'sleep', ms: Number(m[1]) });
  }
  return map;
}

const points = parseFailpoints(process.env.TSBUILD_FAILPOINTS);

/** Runs the action configured for `name`, if any. */
export async function failpoint(name: string): Promise<void> {
  if (points.size === 0) return;
  const action = points.get(name);
  if (!action) return;
  if (action.kind === 'kill') {
    process.kill(process.pid, 'SIGKILL');
    // The signal is delivered on the way back from the syscall; never continue past the point.
    await new Promise<never>(() => undefined);
  }
  if (action.kind === 'throw') throw new StoreError('EFAILPOINT', `failpoint ${name} triggered`, { details: { failpoint: name } });
  if (action.kind === 'sleep') await sleep(action.ms);
}
