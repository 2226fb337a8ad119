// The /etc/hosts, /etc/resolv.conf and /etc/hostname a step sees. They are written to the run's
// temp dir on the host and bind-mounted read-only by the helper, so the rootfs never changes.
// Synchronous: three tiny files on the per-run path.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunSpec } from './types.js';

const DEFAULT_RESOLV = 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n';

export interface EtcFiles { hosts: string; resolv: string; hostname: string }

export function writeEtcFiles(dir: string, spec: RunSpec): EtcFiles {
  const hosts = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    `127.0.1.1\t${spec.hostname}`,
    ...(spec.extraHosts ?? []),
  ].join('\n') + '\n';
  const files = { hosts: path.join(dir, 'hosts'), resolv: path.join(dir, 'resolv.conf'), hostname: path.join(dir, 'hostname') };
  writeFileSync(files.hosts, hosts, { mode: 0o644 });
  writeFileSync(files.resolv, resolvConf(spec.network), { mode: 0o644 });
  writeFileSync(files.hostname, spec.hostname + '\n', { mode: 0o644 });
  return files;
}

/** The host's resolv.conf for host networking; with no network a loopback resolver is useless. */
function resolvConf(network: RunSpec['network']): string {
  if (network !== 'host') return DEFAULT_RESOLV;
  let text = '';
  try {
    text = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    // no host resolver configured
  }
  return text.trim() === '' ? DEFAULT_RESOLV : text;
}
