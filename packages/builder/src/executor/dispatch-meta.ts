// Instructions that change only the image config: each edits the config and appends an
// `empty_layer` history entry whose created_by reads like BuildKit's. WORKDIR is here too for its
// config part; the directory itself is made by a file step (dispatchWorkdir).
import type { ExpandedInstruction, HealthcheckInstruction } from '../instructions/types.js';
import { goQuoteList } from './created-by.js';
import {
  addExposedPorts,
  addHistory,
  addOnBuild,
  addVolumes,
  resolveWorkdir,
  setEntrypoint,
  setEnv,
  setHealthcheck,
  setLabels,
  shellOf,
} from './image-config.js';
import type { StageState } from './state.js';

export type MetaInstruction = Exclude<ExpandedInstruction, { kind: 'FROM' | 'RUN' | 'COPY' | 'ADD' }>;

export interface MetaOptions {
  /** --build-arg values: they override ARG defaults. */
  buildArgs: Record<string, string>;
  /** Global ARG values, inherited by `ARG NAME` without a default. */
  metaArgs: Record<string, string | undefined>;
  /** Names whose values never appear in history (secrets given as build args stay out of it). */
}

/** Applies a metadata instruction to `state`. Returns the created_by it recorded. */
export function dispatchMeta(state: StageState, ins: MetaInstruction, opts: MetaOptions): string {
  const cc = state.config.config;
  let createdBy: string;
  switch (ins.kind) {
    case 'ENV':
      for (const { key, value } of ins.env) setEnv(cc, key, value);
      createdBy = `ENV ${ins.env.map(({ key, value }) => `${key}=${value}`).join(' ')}`;
      break;
    case 'LABEL':
      setLabels(cc, ins.labels.map(({ key, value }) => [key, value]));
      createdBy = `LABEL ${ins.labels.map(({ key, value }) => `${key}=${value}`).join(' ')}`;
      break;
    case 'ARG':
      for (const a of ins.args) {
        const value = Object.hasOwn(opts.buildArgs, a.name)
          ? opts.buildArgs[a.name]
          : a.default !== undefined
            ? a.default
            : opts.metaArgs[a.name];
        state.args.set(a.name, value);
      }
      createdBy = `ARG ${ins.args.map((a) => (a.default !== undefined ? `${a.name}=${a.default}` : a.name)).join(' ')}`;
      break;
    case 'EXPOSE':
      addExposedPorts(cc, ins.portSpecs.flatMap((p) => portRange(p.port, p.endPort).map((n) => `${n}/${p.protocol}`)));
      createdBy = `EXPOSE map[${Object.keys(cc.ExposedPorts ?? {}).sort().map((p) => `${p}:{}`).join(' ')}]`;
      break;
    case 'VOLUME':
      addVolumes(cc, ins.volumes);
      createdBy = `VOLUME [${ins.volumes.join(' ')}]`;
      break;
    case 'USER':
      cc.User = ins.user;
      createdBy = `USER ${ins.user}`;
      break;
    case 'WORKDIR':
      cc.WorkingDir = resolveWorkdir(cc.WorkingDir, ins.path);
      createdBy = `WORKDIR ${cc.WorkingDir}`;
      break;
    case 'CMD':
      cc.Cmd = ins.command.form === 'exec' ? [...ins.command.args] : [...shellOf(cc), ins.command.text];
      state.cmdSet = true;
      createdBy = `CMD ${goQuoteList(cc.Cmd)}`;
      break;
    case 'ENTRYPOINT': {
      const ep = ins.command.form === 'exec' ? [...ins.command.args] : [...shellOf(cc), ins.command.text];
      setEntrypoint(cc, ep, state.cmdSet);
      createdBy = `ENTRYPOINT ${goQuoteList(ep)}`;
      break;
    }
    case 'SHELL':
      cc.Shell = [...ins.shell];
      createdBy = `SHELL [${ins.shell.join(' ')}]`;
      break;
    case 'STOPSIGNAL':
      cc.StopSignal = ins.signal;
      createdBy = `STOPSIGNAL ${ins.signal}`;
      break;
    case 'HEALTHCHECK':
      setHealthcheck(cc, healthConfig(ins));
      createdBy = `HEALTHCHECK ${goQuoteList(ins.test)}`;
      break;
    case 'ONBUILD':
      addOnBuild(cc, ins.expression);
      createdBy = `ONBUILD ${ins.expression}`;
      break;
    case 'MAINTAINER':
      state.config.author = ins.maintainer;
      createdBy = `MAINTAINER ${ins.maintainer}`;
      break;
  }
  addHistory(state.config, { created: state.created, created_by: createdBy, comment: 'buildkit.dockerfile.v0', empty_layer: true });
  return createdBy;
}

function healthConfig(ins: HealthcheckInstruction): NonNullable<StageState['config']['config']['Healthcheck']> {
  if (ins.test[0] === 'NONE') return { Test: ['NONE'] };
  return {
    Test: [...ins.test],
    ...(ins.intervalNs !== undefined ? { Interval: ins.intervalNs } : {}),
    ...(ins.timeoutNs !== undefined ? { Timeout: ins.timeoutNs } : {}),
    ...(ins.startPeriodNs !== undefined ? { StartPeriod: ins.startPeriodNs } : {}),
    ...(ins.startIntervalNs !== undefined ? { StartInterval: ins.startIntervalNs } : {}),
    ...(ins.retries !== undefined ? { Retries: ins.retries } : {}),
  };
}

function portRange(from: number, to: number): number[] {
  const out: number[] = [];
  for (let p = from; p <= Math.max(from, to); p++) out.push(p);
  return out;
}
