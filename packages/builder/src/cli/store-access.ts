// Opening the store for one command and closing it whatever happens.
import type { OpenedStore } from '@tsbuild/layerstore';

export { formatSize as humanSize } from '../progress/format.js';

export async function withStore<T>(root: unknown, fn: (store: OpenedStore) => Promise<T>): Promise<T> {
  const { openStore } = await import('@tsbuild/layerstore');
  const store = await openStore(root === undefined || root === null ? undefined : String(root));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function humanAge(iso: string | undefined, now: number): string {
  if (!iso) return 'N/A';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'N/A';
  const s = Math.max(0, Math.round((now - t) / 1000));
  const steps: Array<[number, string]> = [[60, 'second'], [60, 'minute'], [24, 'hour'], [30, 'day'], [12, 'month'], [Infinity, 'year']];
  let v = s;
  for (const [size, unit] of steps) {
    if (v < size) return `${v} ${unit}${v === 1 ? '' : 's'} ago`;
    v = Math.floor(v / size);
  }
  return 'long ago';
}

/** Rows as left-aligned columns separated by three spaces, as docker prints tables. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
