// Build checks that can be decided from the text alone (BuildKit's linter rules). FROM checks that
// need the global ARG values live in plan/from-checks.ts; UndefinedVar is reported at dispatch by
// expandInstructionWithInfo, because it depends on the base image's environment.

import type { Warning } from '../dockerfile/types.js';
import type { ArgInstruction, FromInstruction, Instruction } from './types.js';
import { containerPortOf } from './values.js';
import { createWarning } from './warnings.js';

export interface StageText {
  from: FromInstruction;
  instructions: readonly Instruction[];
}

const RESERVED_STAGE_NAMES = new Set(['scratch', 'context']);
const SECRET_KEY = /(?:_|^)(?:apikey|auth|credential|credentials|key|password|pass|pword|passwd|secret|token)(?:_|$)/i;
const SECRET_ALLOW = /(?:_|^)(?:public)(?:_|$)/i;

function isSelfConsistent(word: string): boolean {
  return word === word.toLowerCase() || word === word.toUpperCase();
}

export function checkCasing(all: readonly Instruction[]): Warning[] {
  let lower = 0;
  let upper = 0;
  for (const i of all) {
    if (!isSelfConsistent(i.keyword)) continue;
    if (i.keyword === i.keyword.toLowerCase()) lower++;
    else upper++;
  }
  const majorityLower = lower > upper;
  const out: Warning[] = [];
  for (const i of all) {
    const want = majorityLower ? i.keyword.toLowerCase() : i.keyword.toUpperCase();
    if (i.keyword !== want) {
      out.push(createWarning('ConsistentInstructionCasing',
        `Command '${i.keyword}' should match the case of the command majority (${majorityLower ? 'lowercase' : 'uppercase'})`, i.location));
    }
  }
  return out;
}

function checkFrom(from: FromInstruction): Warning[] {
  const out: Warning[] = [];
  const m = /\s(as)\s/i.exec(from.original);
  if (from.stageName !== undefined && m !== null) {
    const as = m[1]!;
    const fromUpper = from.keyword === from.keyword.toUpperCase();
    const asUpper = as === as.toUpperCase();
    if (fromUpper !== asUpper) {
      out.push(createWarning('FromAsCasing', `'${as}' and '${from.keyword}' keywords' casing do not match`, from.location));
    }
    const written = from.original.slice(m.index + m[0].length).trim();
    if (written !== written.toLowerCase()) {
      out.push(createWarning('StageNameCasing', `Stage name '${written}' should be lowercase`, from.location));
    }
    if (RESERVED_STAGE_NAMES.has(from.stageName)) {
      out.push(createWarning('ReservedStageName', `Stage name should not use the same name as reserved stage "${from.stageName}"`, from.location));
    }
  }
  return out;
}

function checkSecretNames(kind: 'ARG' | 'ENV', names: readonly string[], ins: Instruction): Warning[] {
  return names
    .filter((n) => SECRET_KEY.test(n) && !SECRET_ALLOW.test(n))
    .map((n) => createWarning('SecretsUsedInArgOrEnv', `Do not use ARG or ENV instructions for sensitive data (${kind} "${n}")`, ins.location));
}

function checkInstruction(ins: Instruction, hasShell: boolean): Warning[] {
  switch (ins.kind) {
    case 'MAINTAINER':
      return [createWarning('MaintainerDeprecated', 'Maintainer instruction is deprecated in favor of using label', ins.location)];
    case 'CMD':
    case 'ENTRYPOINT':
      return ins.command.form === 'shell' && !hasShell
        ? [createWarning('JSONArgsRecommended', `JSON arguments recommended for ${ins.kind} to prevent unintended behavior related to OS signals`, ins.location)]
        : [];
    case 'ENV':
    case 'LABEL': {
      const out = ins.legacyFormat
        ? [createWarning('LegacyKeyValueFormat', `"${ins.kind} key=value" should be used instead of legacy "${ins.kind} key value" format`, ins.location)]
        : [];
      if (ins.kind === 'ENV') out.push(...checkSecretNames('ENV', ins.env.map((e) => e.key), ins));
      return out;
    }
    case 'ARG':
      return checkSecretNames('ARG', ins.args.map((a) => a.name), ins);
    case 'EXPOSE':
      return ins.ports.flatMap((p) => {
        const out: Warning[] = [];
        if (p.includes(':')) {
          out.push(createWarning('ExposeInvalidFormat', `EXPOSE instruction should not define an IP address or host-port mapping, found '${p}'`, ins.location));
        }
        const proto = containerPortOf(p).split('/')[1];
        if (proto !== undefined && proto !== proto.toLowerCase()) {
          out.push(createWarning('ExposeProtoCasing', `Defined protocol '${p}' in EXPOSE instruction should be lowercase`, ins.location));
        }
        return out;
      });
    default:
      return [];
  }
}

/** What a stage passes to a stage built FROM it (BuildKit copies these from the base stage). */
interface Inherited {
  hasShell: boolean;
  workdirSet: boolean;
}

function checkStage(stage: StageText, inherited: Inherited): { warnings: Warning[]; state: Inherited } {
  const out = checkFrom(stage.from);
  let hasShell = inherited.hasShell;
  let workdirSet = inherited.workdirSet;
  const last: Record<string, Instruction> = {};
  const seen: Instruction[] = [];
  for (const ins of stage.instructions) {
    if (ins.kind === 'SHELL') hasShell = true;
    out.push(...checkInstruction(ins, hasShell));
    if (ins.kind === 'WORKDIR') {
      if (!workdirSet && !ins.path.startsWith('/') && !ins.path.startsWith('$')) {
        out.push(createWarning('WorkdirRelativePath', `Relative workdir "${ins.path}" can have unexpected results if the base image changes`, ins.location));
      }
      workdirSet = true;
    }
    if (ins.kind === 'CMD' || ins.kind === 'ENTRYPOINT' || ins.kind === 'HEALTHCHECK') {
      last[ins.kind] = ins;
      seen.push(ins);
    }
  }
  for (const ins of seen) {
    if (last[ins.kind] !== ins) {
      out.push(createWarning('MultipleInstructionsDisallowed',
        `Multiple ${ins.kind} instructions should not be used in the same stage because only the last one will be used`, ins.location));
    }
  }
  return { warnings: out, state: { hasShell, workdirSet } };
}

/**
 * Every static check over the global ARGs and the stages (all of them, pruned or not, like BuildKit).
 * Casing counts stage instructions only: BuildKit does not look at the global ARGs there.
 */
export function checkDockerfile(globalArgs: readonly ArgInstruction[], stages: readonly StageText[]): Warning[] {
  const all: Instruction[] = [];
  const out: Warning[] = [];
  for (const a of globalArgs) out.push(...checkInstruction(a, false));
  // A FROM naming an earlier stage (as written; FROM with variables is treated as an image here).
  const byName = new Map<string, Inherited>();
  for (const s of stages) {
    all.push(s.from, ...s.instructions);
    const base = byName.get(s.from.image.toLowerCase()) ?? { hasShell: false, workdirSet: false };
    const r = checkStage(s, base);
    out.push(...r.warnings);
    if (s.from.stageName !== undefined && !byName.has(s.from.stageName)) byName.set(s.from.stageName, r.state);
  }
  out.push(...checkCasing(all));
  return out;
}
