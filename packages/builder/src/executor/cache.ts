// The build cache as the executor sees it. A step's key is a chain: sha256 of the parent step's key,
// the expanded instruction, and every input the step reads (file digests and modes, ARG/ENV values in
// its environment, mount specs, the base image digest, the platform). Equal keys mean equal results,
// so a hit reuses the recorded layer and nothing runs.
//
// Beside each result record a "probe" record is kept under hash(parent + instruction) with the inputs
// last seen for it: when a lookup misses but the probe exists, the difference of the two input sets
// says which input changed ("cache miss: file app.js changed").
import { createHash } from 'node:crypto';
import type { CacheRecords, LayerRef } from '@tsbuild/layerstore';

/** Inputs of a step, flat: "file:src/a.js" → "sha256:…:0644", "env:PATH" → value, "mount:0" → spec. */
export type StepInputs = Record<string, string>;

/** What a cached step produced. */
export interface StepRecordValue {
  v: 1;
  instruction: string;
  inputs: StepInputs;
  /** null when the step changed nothing (no layer, empty_layer history entry). */
  layer: LayerRef | null;
  /** When the step first ran (history `created` unless SOURCE_DATE_EPOCH says otherwise). */
  created: string;
  sizeBytes: number;
}

interface ProbeValue {
  v: 1;
  inputs: StepInputs;
}

const KEY_VERSION = 'tsbuild-cache-v1';

/** The chain key of a step. Instruction text must already be expanded (ARG values substituted). */
export function stepKey(parent: string, instruction: string, inputs: StepInputs = {}): string {
  return hashJson([KEY_VERSION, parent, instruction, sortRecord(inputs)]);
}

function probeKey(parent: string, instruction: string): string {
  return hashJson([KEY_VERSION, 'probe', parent, instruction]);
}

export function hashJson(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

function sortRecord(r: StepInputs): [string, string][] {
  return Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export interface CacheLookup {
  key: string;
  hit?: StepRecordValue;
  /** Why it missed, when an earlier record for the same parent and instruction exists. */
  missReason?: string;
}

/** The step cache over the store's records. `disabled` (--no-cache) never reads, but still writes. */
export class StepCache {
  constructor(
    private readonly records: CacheRecords,
    private readonly disabled: boolean,
  ) {}

  async lookup(parent: string, instruction: string, inputs: StepInputs): Promise<CacheLookup> {
    const key = stepKey(parent, instruction, inputs);
    if (this.disabled) return { key };
    const rec = await this.records.get(key);
    const value = rec?.value as StepRecordValue | undefined;
    if (value && value.v === 1) return { key, hit: value };
    const probe = (await this.records.get(probeKey(parent, instruction)))?.value as ProbeValue | undefined;
    if (!probe || probe.v !== 1) return { key };
    return { key, missReason: explainMiss(probe.inputs, inputs) };
  }

  async save(parent: string, key: string, value: StepRecordValue): Promise<void> {
    const refs = value.layer ? [value.layer.blob.digest] : [];
    await this.records.put(key, { refs, value });
    await this.records.put(probeKey(parent, value.instruction), { refs: [], value: { v: 1, inputs: value.inputs } });
  }
}

/** "file app.js changed, env VERSION changed": the inputs that differ, named for people. */
export function explainMiss(before: StepInputs, after: StepInputs): string {
  const changes: string[] = [];
  for (const [k, v] of sortRecord(after)) {
    if (!(k in before)) changes.push(`${describeInput(k)} added`);
    else if (before[k] !== v) changes.push(`${describeInput(k)} changed`);
  }
  for (const k of Object.keys(before).sort()) if (!(k in after)) changes.push(`${describeInput(k)} removed`);
  if (changes.length === 0) return 'cache miss: the record was made by another tsbuild version';
  const shown = changes.slice(0, 5).join(', ');
  return `cache miss: ${shown}${changes.length > 5 ? ` and ${changes.length - 5} more` : ''}`;
}

function describeInput(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? key : `${key.slice(0, i)} ${key.slice(i + 1)}`;
}
