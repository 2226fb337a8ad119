// RUN, CMD, ENTRYPOINT, SHELL and HEALTHCHECK: the instructions that carry a command.

import type { AstNode } from '../dockerfile/types.js';
import { baseOf, commandLineOf, fail, requireAtLeastOne } from './common.js';
import type { ParseContext } from './context.js';
import { parseFlags } from './flags.js';
import { parseMountSpec } from './mount.js';
import type {
  CmdInstruction, EntrypointInstruction, HealthcheckInstruction, NetworkMode, RunInstruction,
  SecurityMode, ShellInstruction,
} from './types.js';
import { failNear } from './context.js';

const NETWORKS: readonly NetworkMode[] = ['default', 'none', 'host'];
const SECURITY: readonly SecurityMode[] = ['sandbox', 'insecure'];

export function parseRun(node: AstNode, ctx: ParseContext): RunInstruction {
  const flags = parseFlags('RUN', node.flags, { mount: 'strings', network: 'string', security: 'string' }, node.location, ctx);
  requireAtLeastOne(node, 'RUN');
  const network = (flags.string('network') ?? 'default') as NetworkMode;
  if (!NETWORKS.includes(network)) {
    failNear(ctx, node.location, '--network', 'DF_FLAG_VALUE', `RUN: unsupported --network=${network} (default, none or host)`);
  }
  const security = (flags.string('security') ?? 'sandbox') as SecurityMode;
  if (!SECURITY.includes(security)) {
    failNear(ctx, node.location, '--security', 'DF_FLAG_VALUE', `RUN: unsupported --security=${security} (sandbox or insecure)`);
  }
  // Object.assign, not spread: V8 clones spread objects slowly (10 µs each, seen at 50k RUNs).
  return Object.assign(baseOf(node, 'RUN'), {
    command: commandLineOf(node.args, node.json),
    heredocs: node.heredocs,
    mounts: flags.strings('mount').map((m) => parseMountSpec(m, node.location, ctx)),
    network,
    security,
  });
}

export function parseCmd(node: AstNode, ctx: ParseContext): CmdInstruction {
  parseFlags('CMD', node.flags, {}, node.location, ctx);
  return Object.assign(baseOf(node, 'CMD'), { command: commandLineOf(node.args, node.json) });
}

export function parseEntrypoint(node: AstNode, ctx: ParseContext): EntrypointInstruction {
  parseFlags('ENTRYPOINT', node.flags, {}, node.location, ctx);
  return Object.assign(baseOf(node, 'ENTRYPOINT'), { command: commandLineOf(node.args, node.json) });
}

export function parseShell(node: AstNode, ctx: ParseContext): ShellInstruction {
  parseFlags('SHELL', node.flags, {}, node.location, ctx);
  if (!node.json) fail(node, 'DF_SHELL_NOT_JSON', 'SHELL requires the arguments to be in JSON form', 'SHELL ["/bin/bash", "-c"]');
  requireAtLeastOne(node, 'SHELL');
  return Object.assign(baseOf(node, 'SHELL'), { shell: [...node.args] });
}

const MIN_DURATION_NS = 1_000_000; // BuildKit: intervals must be 0 or at least 1ms
const UNIT_NS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds; undefined when invalid. */
export function parseDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) { sign = s[0] === '-' ? -1 : 1; s = s.slice(1); }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  const re = /^(\d*(?:\.\d*)?)(ns|us|µs|μs|ms|s|m|h)/;
  while (s !== '') {
    const m = re.exec(s);
    if (m === null || m[1] === '' || m[1] === '.') return undefined;
    total += Number(m[1]) * UNIT_NS[m[2]!]!;
    s = s.slice(m[0].length);
  }
  const ns = Math.round(sign * total);
  return Number.isSafeInteger(ns) ? ns : undefined;
}

export function parseHealthcheck(node: AstNode, ctx: ParseContext): HealthcheckInstruction {
  const flags = parseFlags('HEALTHCHECK', node.flags, {
    interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string',
  }, node.location, ctx);
  requireAtLeastOne(node, 'HEALTHCHECK');
  const type = node.args[0]!.toUpperCase();
  const base = baseOf(node, 'HEALTHCHECK');
  if (type === 'NONE') {
    if (node.args.length !== 1) fail(node, 'DF_INVALID_HEALTHCHECK', 'HEALTHCHECK NONE takes no arguments');
    return Object.assign(base, { test: ['NONE'] });
  }
  if (type !== 'CMD') fail(node, 'DF_INVALID_HEALTHCHECK', `unknown type ${node.args[0]} in HEALTHCHECK (try CMD)`);
  const cmd = node.healthcheckCommand ?? { args: [], json: false };
  if (cmd.args.length === 0) fail(node, 'DF_INVALID_HEALTHCHECK', 'missing command after HEALTHCHECK CMD');
  const test = cmd.json ? ['CMD', ...cmd.args] : ['CMD-SHELL', cmd.args.join(' ')];
  const out: HealthcheckInstruction = Object.assign(base, { test });
  const durations = [['interval', 'intervalNs'], ['timeout', 'timeoutNs'], ['start-period', 'startPeriodNs'], ['start-interval', 'startIntervalNs']] as const;
  for (const [flag, field] of durations) {
    const v = flags.string(flag);
    if (v === undefined || v === '') continue;
    const ns = parseDuration(v);
    if (ns === undefined) failNear(ctx, node.location, `--${flag}`, 'DF_INVALID_DURATION', `HEALTHCHECK: invalid duration --${flag}=${v}`);
    if (ns !== 0 && ns < MIN_DURATION_NS) failNear(ctx, node.location, `--${flag}`, 'DF_INVALID_DURATION', `HEALTHCHECK: --${flag} cannot be less than 1ms`);
    out[field] = ns;
  }
  const retries = flags.string('retries');
  if (retries !== undefined && retries !== '') {
    if (!/^[+-]?\d{1,9}$/.test(retries)) failNear(ctx, node.location, '--retries', 'DF_FLAG_VALUE', `HEALTHCHECK: invalid --retries=${retries}`);
    const n = Number(retries);
    if (n < 0) failNear(ctx, node.location, '--retries', 'DF_FLAG_VALUE', 'HEALTHCHECK: --retries cannot be negative');
    out.retries = n;
  }
  return out;
}
