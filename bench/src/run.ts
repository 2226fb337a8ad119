// `npm run bench`: tsbuild against buildah on the same machine in the same run, alternating
// A B A B, a warm-up first, then N counted runs each; prints medians, ranges, ratios and peak RSS.
// Usage: node bench/dist/run.js [--runs 5] [--only a,b,c,d1,d2,d3,e1,e2,f,g,h1,h2] [--work DIR] [--big-mib 1024] [--peers tsbuild,buildah] [--settle SECONDS]
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSources, manyRunsDockerfile, SCENARIO_DOCKERFILE, writeBigFile } from './generate.js';
import { measure, sh, stats, type CommandSpec, type Sample, type Stats } from './measure.js';
import { buildah, tsbuild, TSBUILD_BIN, type Peer } from './peers.js';
import { startRegistry, type LocalRegistry } from './registry.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Scenario {
  id: string;
  title: string;
  target?: number;
  /** Untimed, once per peer. */
  prepare?(p: Peer): void | Promise<void>;
  /** Untimed, before each counted run. */
  before?(p: Peer, i: number): void | Promise<void>;
  cmd(p: Peer): CommandSpec;
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

const runs = Number(arg('runs', '5'));
const only = arg('only', '').split(',').filter(Boolean);
const work = path.resolve(arg('work', path.join(os.tmpdir(), 'tsbuild-bench')));
const bigMiB = Number(arg('big-mib', '1024'));
/**
 * Untimed seconds of rest before each timed command. On this machine's ext4 (online discard) a command
 * right after a buildah build runs with ~3× the system time for ~15 s (buildah frees its containers'
 * blocks at exit; `sync` does not wait for that): measured tsbuild cold builds of 5.9 s right after
 * buildah against 2.6 s 15 s later.
 */
const settle = Number(arg('settle', '0'));
/** `--peers tsbuild` times one side only, for quick iterations (no ratios then). */
const peerNames = arg('peers', 'tsbuild,buildah').split(',');

function setupContexts(): { main: string; many40: string; many130: string; big: string } {
  const main = path.join(work, 'ctx-main');
  if (!existsSync(path.join(main, 'Dockerfile'))) {
    rmSync(main, { recursive: true, force: true });
    mkdirSync(path.join(main, 'src'), { recursive: true });
    const g = generateSources(path.join(main, 'src'));
    writeFileSync(path.join(main, 'Dockerfile'), SCENARIO_DOCKERFILE);
    console.error(`# generated ${g.files} files, ${(g.bytes / 1e6).toFixed(0)} MB`);
  }
  const many40 = path.join(work, 'ctx-40');
  mkdirSync(many40, { recursive: true });
  writeFileSync(path.join(many40, 'Dockerfile'), manyRunsDockerfile(40));
  const many130 = path.join(work, 'ctx-130');
  mkdirSync(many130, { recursive: true });
  writeFileSync(path.join(many130, 'Dockerfile'), manyRunsDockerfile(130));
  const big = path.join(work, 'ctx-big');
  if (!existsSync(path.join(big, 'big.bin'))) {
    mkdirSync(big, { recursive: true });
    writeBigFile(path.join(big, 'big.bin'), bigMiB * 1024 * 1024);
  }
  writeFileSync(path.join(big, 'Dockerfile'), 'FROM scratch\nCOPY big.bin /big.bin\n');
  return { main, many40, many130, big };
}

/** The base image, built by tsbuild itself from the host's static busybox, saved as an OCI archive. */
function makeBaseArchive(): string {
  const archive = path.join(work, 'busybox.oci.tar');
  if (existsSync(archive)) return archive;
  const ctx = path.join(work, 'ctx-base');
  sh(['bash', path.join(repo, 'fixtures/bases/make-busybox-context.sh'), ctx]);
  const root = path.join(work, 'base-store');
  sh([TSBUILD_BIN, '--root', root, 'build', '-q', '-t', 'localhost/busybox:latest', ctx]);
  sh([TSBUILD_BIN, '--root', root, 'save', '--format', 'oci', '-o', archive, 'localhost/busybox:latest']);
  return archive;
}

async function main(): Promise<void> {
  mkdirSync(work, { recursive: true });
  const ctx = setupContexts();
  const base = makeBaseArchive();
  const peers = [tsbuild(path.join(work, 'store-tsbuild')), buildah(path.join(work, 'store-buildah'))].filter((p) => peerNames.includes(p.name));
  for (const p of peers) for (const c of p.loadBase(base)) sh(c.argv);
  let registry: LocalRegistry | undefined;
  const changed = path.join(ctx.main, 'src/d50/f00050.bin');
  const original = path.join(work, 'f00050.bin.orig');
  if (!existsSync(original)) cpSync(changed, original);

  const scenarios: Scenario[] = [
    { id: 'a', title: '(a) cold build, no cache', target: 0.3, cmd: (p) => p.build(ctx.main, 'bench', { noCache: true }) },
    { id: 'b', title: '(b) no-op rebuild', target: 0.06, prepare: (p) => void sh(p.build(ctx.main, 'bench').argv), cmd: (p) => p.build(ctx.main, 'bench') },
    {
      id: 'c', title: '(c) one source file changed', target: 0.35,
      prepare: (p) => void sh(p.build(ctx.main, 'bench').argv),
      before: (_p, i) => { cpSync(original, changed); writeFileSync(changed, `changed ${i} ${Date.now()}`, { flag: 'a' }); },
      cmd: (p) => p.build(ctx.main, 'bench'),
    },
    {
      // tsbuild keeps a layer's compressed form once made, so each run exports a freshly built image
      // (one source file changed, untimed build) whose layers nobody has compressed yet.
      id: 'd1', title: '(d) export OCI archive, gzip, first after a build', target: 0.8,
      before: (p, i) => {
        cpSync(original, changed);
        writeFileSync(changed, `export ${i} ${Date.now()}`, { flag: 'a' });
        sh(p.build(ctx.main, 'bench').argv);
        rmSync(path.join(work, 'export.tar'), { force: true });
      },
      cmd: (p) => p.exportOci('bench', path.join(work, 'export.tar'), true),
    },
    { id: 'd2', title: '(d) export OCI archive, uncompressed', before: () => rmSync(path.join(work, 'export.tar'), { force: true }), cmd: (p) => p.exportOci('bench', path.join(work, 'export.tar'), false) },
    { id: 'd3', title: '(d) export OCI archive, gzip, again (tsbuild reuses its compressed layers)', before: () => rmSync(path.join(work, 'export.tar'), { force: true }), cmd: (p) => p.exportOci('bench', path.join(work, 'export.tar'), true) },
    { id: 'e1', title: '(e) 40 RUN steps, cold', target: 0.18, cmd: (p) => p.build(ctx.many40, 'bench40', { noCache: true }) },
    { id: 'e2', title: '(e) 40 RUN steps, warm', target: 0.07, prepare: (p) => void sh(p.build(ctx.many40, 'bench40').argv), cmd: (p) => p.build(ctx.many40, 'bench40') },
    { id: 'f', title: '(f) run on a 130-layer image', prepare: (p) => void sh(p.build(ctx.many130, 'bench130').argv), cmd: (p) => p.run('bench130', ['true']) },
    { id: 'g', title: `(g) COPY of one ${bigMiB} MiB file, cold`, cmd: (p) => p.build(ctx.big, 'benchbig', { noCache: true }) },
    {
      id: 'h1', title: '(h) push to a local registry, first time',
      prepare: async (p) => { sh(p.build(ctx.main, 'bench').argv); registry ??= await startRegistry(path.join(work, 'registry')); },
      before: async () => { await registry!.restartEmpty(); },
      cmd: (p) => p.push('bench', `${registry!.host}/bench/${p.name}:latest`),
    },
    { id: 'h2', title: '(h) push to a local registry, again', cmd: (p) => p.push('bench', `${registry!.host}/bench/${p.name}:latest`), prepare: async (p) => { registry ??= await startRegistry(path.join(work, 'registry')); sh(p.push('bench', `${registry.host}/bench/${p.name}:latest`).argv); } },
  ];

  const rows: string[] = [];
  const results: Record<string, unknown> = {};
  const fmt = (x: Stats): string => `${x.median.toFixed(2)} s (${x.min.toFixed(2)}-${x.max.toFixed(2)})`;
  // The registry is ours to stop, whatever happens (an interrupted run must not leave it behind).
  const stopRegistry = (): void => void registry?.stop();
  process.once('SIGINT', () => { stopRegistry(); process.exit(130); });
  try {
    for (const s of scenarios) {
      if (only.length && !only.includes(s.id) && !only.includes(s.id[0]!)) continue;
      const samples = new Map<string, Sample[]>(peers.map((p) => [p.name, []]));
      // A peer that cannot do a scenario (buildah refuses more than 128 layers) is reported, not fatal.
      const failed = new Map<string, string>();
      const attempt = async (p: Peer, what: () => unknown): Promise<void> => {
        if (failed.has(p.name)) return;
        try {
          await what();
        } catch (err) {
          const msg = err instanceof Error ? err.message : String(err);
          const reason = msg.split('\n').map((l) => l.trim()).filter((l) => /error/i.test(l)).pop() ?? msg.split('\n')[0]!;
          failed.set(p.name, reason.length > 100 ? reason.slice(reason.lastIndexOf(': ') + 2) : reason);
          console.error(`# ${s.id} ${p.name} failed: ${msg.slice(-1500)}`);
        }
      };
      for (const p of peers) await attempt(p, () => s.prepare?.(p));
      for (let i = 0; i <= runs; i++) {
        for (const p of peers) {
          await attempt(p, async () => {
            await s.before?.(p, i);
            // Untimed: write back what the previous command left dirty, so that a peer's fsyncs never
            // wait on the other peer's writeback (measured: a tsbuild rebuild took 14 s instead of 2.6 s).
            sh(['sync']);
            if (settle > 0) sh(['sleep', String(settle)]);
            const sample = measure(s.cmd(p));
            if (i > 0) samples.get(p.name)!.push(sample);
          });
        }
      }
      // Untimed: free the disk for the next scenario (a failure here only costs space).
      for (const p of peers) {
        for (const c of p.cleanup()) {
          try {
            sh(c.argv);
          } catch (err) {
            console.error(`# cleanup after ${s.id} (${p.name}) failed: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`);
          }
        }
      }
      const stat = (name: string): { t?: Stats; rss?: number } => {
        const v = samples.get(name);
        if (failed.has(name) || !v?.length) return {};
        return { t: stats(v.map((x) => x.seconds)), rss: Math.max(...v.map((x) => x.maxRssMiB)) };
      };
      const T = stat('tsbuild');
      const B = stat('buildah');
      const ratio = T.t && B.t ? T.t.median / B.t.median : undefined;
      const verdict = s.target === undefined || ratio === undefined ? '' : ratio <= s.target ? `≤ ${s.target} met` : `≤ ${s.target} MISSED`;
      const cell = (name: string, x: { t?: Stats }): string => (x.t ? fmt(x.t) : samples.has(name) ? `fails: ${failed.get(name) ?? 'no sample'}` : 'not run');
      const row = `| ${s.title} | ${cell('tsbuild', T)} | ${cell('buildah', B)} | ${ratio === undefined ? '-' : ratio.toFixed(3)} | ${verdict} | ${T.rss?.toFixed(0) ?? '-'} / ${B.rss?.toFixed(0) ?? '-'} MiB |`;
      console.log(row);
      rows.push(row);
      results[s.id] = { title: s.title, tsbuild: T.t, buildah: B.t, ratio, target: s.target, rssMiB: { tsbuild: T.rss, buildah: B.rss }, failed: Object.fromEntries(failed) };
      if (s.id === 'g' && T.t) {
        const big = path.join(ctx.big, 'big.bin');
        const copy = path.join(work, 'big.copy');
        const ref = stats([0, 1, 2].map(() => {
          rmSync(copy, { force: true });
          const a = measure({ argv: ['cp', big, copy] });
          const h = measure({ argv: ['sha256sum', big] });
          return a.seconds + h.seconds;
        }));
        rmSync(copy, { force: true });
        const line = `(g) reference: cp + sha256sum of the same file: ${ref.median.toFixed(2)} s; tsbuild throughput = ${(ref.median / T.t.median).toFixed(2)} × that (target ≥ 0.8), peak RSS ${T.rss!.toFixed(0)} MiB (target ≤ 150)`;
        console.log(line);
        rows.push('', line, '');
        results.gReference = ref;
      }
    }
  } finally {
    await registry?.stop();
  }
  const header = `| scenario | tsbuild median (min-max) | buildah median (min-max) | ratio | target | peak RSS tsbuild / buildah |\n|---|---|---|---|---|---|`;
  const md = `# tsbuild vs buildah, ${runs} counted runs each after a warm-up, alternating\n\n${header}\n${rows.join('\n')}\n`;
  mkdirSync(path.join(repo, 'bench/out'), { recursive: true });
  writeFileSync(path.join(repo, 'bench/out/results.md'), md);
  writeFileSync(path.join(repo, 'bench/out/results.json'), JSON.stringify({ runs, machine: { cpus: os.cpus().length, mem: os.totalmem() }, results }, null, 2));
  console.log(`\n${md}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
