// Validators for values that BuildKit checks after expansion: ports and stop signals.
// Used at parse time for values without variables, and at dispatch for the rest.

import type { PortSpec } from './types.js';

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

/**
 * Docker accepts `[ip:][hostPort:]containerPort[/proto]` in EXPOSE and keeps only the container
 * port (BuildKit warns ExposeInvalidFormat); this drops the host part.
 */
export function containerPortOf(word: string): string {
  const colon = word.lastIndexOf(':');
  return colon < 0 ? word : word.slice(colon + 1);
}

/** `80`, `80/tcp`, `8000-8010/udp`; undefined when invalid. Protocol case is folded. */
export function parsePort(word: string): PortSpec | undefined {
  const slash = word.indexOf('/');
  const portPart = slash < 0 ? word : word.slice(0, slash);
  const proto = slash < 0 ? 'tcp' : word.slice(slash + 1).toLowerCase();
  if (!PROTOCOLS.has(proto)) return undefined;
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(portPart);
  if (m === null) return undefined;
  const port = Number(m[1]);
  const endPort = m[2] === undefined ? port : Number(m[2]);
  if (port < 1 || port > 65535 || endPort < port || endPort > 65535) return undefined;
  return { port, endPort, protocol: proto as PortSpec['protocol'] };
}

const SIGNALS = new Set([
  'ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE',
  'POLL', 'PROF', 'PWR', 'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU',
  'UNUSED', 'URG', 'USR1', 'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ',
]);

/** moby's signal.ParseSignal on Linux: a number 1..64, `SIGNAME`, `NAME`, or `RTMIN+n`. */
export function isValidSignal(value: string): boolean {
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    return n >= 1 && n <= 64;
  }
  const name = value.toUpperCase().replace(/^SIG/, '');
  if (SIGNALS.has(name)) return true;
  const rt = /^RT(MIN|MAX)(?:([+-])(\d{1,2}))?$/.exec(name);
  return rt !== null && (rt[3] === undefined || Number(rt[3]) <= 30);
}
