// Spawns helpers/worker.js as a real node process and parses its one-line JSON answer.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

export interface WorkerResult {
  ok: boolean;
  code?: string;
  message?: string;
  result?: unknown;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export function runWorker(args: string[], env: NodeJS.ProcessEnv = {}): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      const line = out.trim().split('\n').pop() ?? '';
      let parsed: Partial<WorkerResult> = { ok: false };
      try {
        parsed = JSON.parse(line) as WorkerResult;
      } catch {
        parsed = { ok: false, message: `no JSON answer: ${out.slice(0, 200)}` };
      }
      resolve({ ok: false, ...parsed, exitCode, signal, stderr: err });
    });
  });
}
