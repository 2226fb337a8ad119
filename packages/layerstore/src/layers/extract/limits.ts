// Limits on untrusted archives. Every one is enforced before the resource is spent and reported as
// StoreError ELIMIT with details {limit, value, max}. Defaults suit real images; callers may lower them.
import { StoreError } from '../../errors.js';

export interface ExtractLimits {
  /** Entries (headers of any kind that reach the applier). */
  maxEntries: number;
  /** Path components of one entry name (node-tar's maxDepth; CVE-2024-28863). */
  maxDepth: number;
  /** Bytes of one PAX extended header or GNU long name/link record. */
  maxPaxBytes: number;
  /** Bytes of an entry name or link target (Linux PATH_MAX). */
  maxNameBytes: number;
  /** Uncompressed tar bytes (headers, data and padding). */
  maxTotalBytes: number;
  /** Uncompressed/compressed ratio allowed once `ratioFloorBytes` are out (node-tar uses 1000). */
  maxRatio: number;
  ratioFloorBytes: number;
}

export const DEFAULT_LIMITS: Readonly<ExtractLimits> = Object.freeze({
  maxEntries: 1_000_000,
  maxDepth: 1024,
  maxPaxBytes: 1 << 20,
  maxNameBytes: 4096,
  maxTotalBytes: 64 * 2 ** 30,
  maxRatio: 1000,
  ratioFloorBytes: 64 << 20,
});

export function limitError(limit: keyof ExtractLimits, value: number, max: number, what: string): StoreError {
  return new StoreError('ELIMIT', `${what}: ${value} exceeds the limit ${limit}=${max}`, { details: { limit, value, max } });
}

export function invalidArchive(message: string, details: Record<string, unknown> = {}): StoreError {
  return new StoreError('EINVALIDARCHIVE', message, { details });
}
