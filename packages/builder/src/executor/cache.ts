// The build cache as the executor sees it. A step's key is a chain: sha256 of the parent step's key,
// the expanded instruction, and every input the step reads (file digests and modes, ARG/ENV values in
// its environment, mount specs, the base image digest, the platform). Equal keys mean equal results,
// so a hit reuses the recorded layer and nothing runs.
//
// An input may be a group (a COPY's source files): the key hashes the group's digest, and its members
// are only listed on a miss. So a hit costs a small key and a small record, however many files a COPY
// reads.
//
// Beside each result record a "probe" record is kept under hash(parent + instruction) with the inputs
// last seen for it, groups listed member by member: when a lookup misses but the probe exists, the
// difference of the two input sets says which input changed ("cache miss: file app.js changed").
import { createHash } from 'node:crypto';
import type { CacheRecords, LayerRef } from '@tsbuild/layerstore';
import type { InputGroup } from '../copy/index.js';

/** Inputs of a step: "env:PATH" → value, "mount:0" → spec, "copy:files" → the group of "file:src/a.js" → "sha256:…:0644". */
export type StepInputs = Record<string, string | InputGroup>;

/** What a cached step produced. */
export interface StepRecordValue {
  v: 1;
  instruction: string;
  /** The key's inputs; a group is recorded as its digest. */
  inputs: StepInputs;
  /** null when the step changed nothing (no layer, empty_layer history entry). */
  layer: LayerRef | null;
  /** When the step first ran (history `created` unless SOURCE_DATE_EPOCH says otherwise). */
  created: string;
  sizeBytes: number;
}

interface ProbeValue {
  v: 2;
  /** The inputs with every group as its digest (what the key hashed). */
  inputs: Record<string, string>;
  /** Each group's members, by the group's input name. */
  groups: Record<string, Record<string, string>>;
}

/** v2: a COPY's files are one input (`copy:files`), not one input per file. */
const KEY_VERSION = 'tsbuild-cache-v2';

/** The chain key of a step. Instruction text must already be expanded (ARG values substituted). */
export function stepKey(parent: string, instruction: string, inputs: StepInputs = {}): string {
  return hashJson([KEY_VERSION, parent, instruction, sortRecord(flatten(inputs))]);
}

function probeKey(parent: string, instruction: string): string {
  return hashJson([KEY_VERSION, 'probe', parent, instruction]);
}

export function hashJson(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

function sortRecord(r: Record<string, string>): [string, string][] {
  return Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The inputs as the key sees them: a group is its digest. */
function flatten(inputs: StepInputs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(inputs)) out[k] = typeof v === 'string' ? v : v.digest;
  return out;
}

/** The inputs as a person reads them: a group is its members. */
function expand(inputs: StepInputs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(inputs)) {
    if (typeof v === 'string') out[k] = v;
    else Object.assign(out, v.members());
  }
  return out;
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
    if (!probe || probe.v !== 2 || typeof probe.groups !== 'object' || probe.groups === null) return { key };
    const before = changedOnly(probe, inputs);
    const after = expandChanged(probe, inputs);
    return after === undefined ? { key } : { key, missReason: explainMiss(before, after) };
  }

  async save(parent: string, key: string, value: StepRecordValue): Promise<void> {
    const refs = value.layer ? [value.layer.blob.digest] : [];
    const flat = flatten(value.inputs);
    await this.records.put(key, { refs, value: { ...value, inputs: flat } });
    const groups: ProbeValue['groups'] = {};
    for (const [k, v] of Object.entries(value.inputs)) {
      const members = typeof v === 'string' ? undefined : membersOf(v);
      if (members !== undefined) groups[k] = members;
    }
    const probe: ProbeValue = { v: 2, inputs: flat, groups };
    await this.records.put(probeKey(parent, value.instruction), { refs: [], value: probe });
  }
}

/**
 * A group's members, or undefined when they cannot be listed now (a COPY's files may need reading, and
 * a file changed since the walk fails that with a coded error): explanations are advice, and a build
 * never fails for want of one. Errors without a code are bugs and are thrown.
 */
function membersOf(group: InputGroup): Record<string, string> | undefined {
  try {
    return group.members();
  } catch (e) {
    if (typeof (e as { code?: unknown }).code === 'string') return undefined;
    throw e;
  }
}

/**
 * Whether input `k` is to be compared member by member: a group now, listed in the probe, with another
 * digest. An equal group cannot explain anything, and listing it would cost as much as it is big.
 */
function expands(probe: ProbeValue, current: StepInputs, k: string): boolean {
  const now = current[k];
  return now !== undefined && typeof now !== 'string' && probe.groups[k] !== undefined && probe.inputs[k] !== now.digest;
}

/** The probe's inputs, with the groups that `expands` listed as members. */
function changedOnly(probe: ProbeValue, current: StepInputs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(probe.inputs)) {
    if (expands(probe, current, k)) Object.assign(out, probe.groups[k]);
    else out[k] = v;
  }
  return out;
}

/** The current inputs likewise; undefined when a group cannot be listed (see membersOf). */
function expandChanged(probe: ProbeValue, current: StepInputs): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(current)) {
    if (typeof v === 'string') out[k] = v;
    else if (!expands(probe, current, k)) out[k] = v.digest;
    else {
      const members = membersOf(v);
      if (members === undefined) return undefined;
      Object.assign(out, members);
    }
  }
  return out;
}

/** "file app.js changed, env VERSION changed": the inputs that differ, named for people. */
export function explainMiss(before: StepInputs, after: StepInputs): string {
  const b = expand(before);
  const a = expand(after);
  const changes: string[] = [];
  for (const [k, v] of sortRecord(a)) {
    if (!(k in b)) changes.push(`${describeInput(k)} added`);
    else if (b[k] !== v) changes.push(`${describeInput(k)} changed`);
  }
  for (const k of Object.keys(b).sort()) if (!(k in a)) changes.push(`${describeInput(k)} removed`);
  if (changes.length === 0) return 'cache miss: the record was made by another tsbuild version';
  const shown = changes.slice(0, 5).join(', ');
  return `cache miss: ${shown}${changes.length > 5 ? ` and ${changes.length - 5} more` : ''}`;
}

function describeInput(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? key : `${key.slice(0, i)} ${key.slice(i + 1)}`;
}
