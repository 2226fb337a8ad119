// The two builders under test, each with a private store in the bench's work dir.
// buildah always runs with --network none: its default network would build a bridge and
// firewall rules, which must never happen on these machines.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandSpec } from './measure.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The `tsbuild` command as npm links it (a sh launcher that starts bin/tsbuild.js with the node on PATH). */
export const TSBUILD_BIN = path.join(repo, 'packages/builder/bin/tsbuild');

export interface Peer {
  name: string;
  build(ctx: string, tag: string, opts?: { noCache?: boolean; dockerfile?: string }): CommandSpec;
  /** Run `argv` in a container of `image`. */
  run(image: string, argv: string[]): CommandSpec;
  exportOci(image: string, dest: string, compress: boolean): CommandSpec;
  push(image: string, dest: string): CommandSpec;
  loadBase(archive: string): CommandSpec[];
  /**
   * Untimed, after each scenario: frees what no tagged image needs (layers of earlier runs, the build
   * cache), so that a full suite fits on the disk. Every scenario that needs a cache builds it first.
   */
  cleanup(): CommandSpec[];
}

export function tsbuild(root: string): Peer {
  const base = [TSBUILD_BIN, '--root', root];
  return {
    name: 'tsbuild',
    // `--network none`, as buildah's.
    build: (ctx, tag, o = {}) => ({ argv: [...base, 'build', '--progress', 'plain', '--network', 'none', '-t', tag, ...(o.noCache ? ['--no-cache'] : []), ...(o.dockerfile ? ['-f', o.dockerfile] : []), ctx] }),
    run: (image, argv) => ({ argv: [...base, 'run', '--rm', image, ...argv] }),
    exportOci: (image, dest, compress) => ({ argv: [...base, 'save', '--format', 'oci', '--compression', compress ? 'gzip' : 'none', '-o', dest, image] }),
    push: (image, dest) => ({ argv: [...base, 'push', '-q', image, dest] }),
    loadBase: (archive) => [{ argv: [...base, 'load', '-i', archive, 'localhost/busybox:latest'] }],
    cleanup: () => [{ argv: [...base, 'prune', '--all-cache'] }],
  };
}

export function buildah(root: string): Peer {
  const base = ['buildah', '--root', path.join(root, 'root'), '--runroot', path.join(root, 'run'), '--storage-driver', 'overlay'];
  const buildFlags = ['--layers', '--isolation', 'oci', '--runtime', 'runc', '--network', 'none', '--cgroup-manager', 'cgroupfs', '--pull=never', '--quiet'];
  return {
    name: 'buildah',
    build: (ctx, tag, o = {}) => ({ argv: [...base, 'build', ...buildFlags, '-t', tag, ...(o.noCache ? ['--no-cache'] : []), ...(o.dockerfile ? ['-f', o.dockerfile] : []), ctx] }),
    run: (image, argv) => ({ argv: ['sh', '-c', `c=$(${base.join(' ')} from --pull=never -q ${image}) && ${base.join(' ')} run --isolation oci --runtime runc --network none --cgroup-manager cgroupfs "$c" -- ${argv.join(' ')} ; s=$?; ${base.join(' ')} rm "$c" >/dev/null; exit $s`] }),
    exportOci: (image, dest, compress) => ({ argv: [...base, 'push', '--quiet', ...(compress ? [] : ['--disable-compression']), image, `oci-archive:${dest}`] }),
    push: (image, dest) => ({ argv: [...base, 'push', '--quiet', '--tls-verify=false', image, `docker://${dest}`] }),
    loadBase: (archive) => [
      { argv: ['sh', '-c', `id=$(${base.join(' ')} pull -q oci-archive:${archive}) && ${base.join(' ')} tag "$id" localhost/busybox:latest`] },
    ],
    cleanup: () => [{ argv: ['sh', '-c', `${base.join(' ')} rm --all >/dev/null && ${base.join(' ')} rmi --prune >/dev/null`] }],
  };
}
