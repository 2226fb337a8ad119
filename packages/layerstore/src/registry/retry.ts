// Retries with exponential backoff and jitter, and a small concurrency limiter. What is retryable is
// decided by the error: StoreErrors carry details.retryable (5xx, 429, connection resets, truncated bodies).
import { setTimeout as sleep } from 'node:timers/promises';
import { isStoreError } from '../errors.js';
import type { RetryOptions } from './options.js';

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export function retryPolicy(opts: RetryOptions = {}): RetryPolicy {
  return {
    attempts: Math.max(1, opts.attempts ?? 4),
    baseDelayMs: Math.max(0, opts.baseDelayMs ?? 200),
    maxDelayMs: Math.max(0, opts.maxDelayMs ?? 5000),
  };
}

export function isRetryable(e: unknown): boolean {
  if (!isStoreError(e)) return false;
  if (e.details.retryable === true) return true;
  // A body that stopped early or a digest mismatch after a connection hiccup: worth one more try.
  return e.code === 'ESIZE' && e.details.truncated === true;
}

/** The delay before attempt `n` (2, 3, ...): base × 2^(n-2), ±25 % jitter, capped; Retry-After wins if given. */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxDelayMs);
  const raw = policy.baseDelayMs * 2 ** Math.max(0, attempt - 2);
  const jitter = raw * (0.75 + Math.random() * 0.5);
  return Math.min(jitter, policy.maxDelayMs);
}

/** Runs `fn` up to policy.attempts times while it fails with a retryable error. */
export async function withRetries<T>(policy: RetryPolicy, fn: (attempt: number) => Promise<T>,
  onRetry?: (attempt: number, e: unknown) => void, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= policy.attempts || !isRetryable(e) || signal?.aborted) throw e;
      onRetry?.(attempt + 1, e);
      const retryAfter = isStoreError(e) && typeof e.details.retryAfterMs === 'number' ? e.details.retryAfterMs : undefined;
      await sleep(backoffDelay(policy, attempt + 1, retryAfter), undefined, { signal });
    }
  }
}

/** Maps `items` through `fn` with at most `limit` running at once; the first failure rejects (others finish). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let firstError: unknown;
  async function worker(): Promise<void> {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (e) {
        if (!failed) firstError = e;
        failed = true;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker()));
  if (failed) throw firstError;
  return results;
}
