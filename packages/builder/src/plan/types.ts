// The build plan: what to build, in which order, from what. Produced by planBuild (pure), consumed
// by the executor. Stage indexes are the Dockerfile's (as in `COPY --from=1`), not build order.

import type { SourceRange } from '../errors.js';
import type { Directives, EscapeChar, Warning } from '../dockerfile/types.js';
import type { FromInstruction, Instruction } from '../instructions/types.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export type StageBase =
  | { kind: 'scratch' }
  /** An earlier stage of this Dockerfile (by its Dockerfile index). */
  | { kind: 'stage'; index: number }
  /** An image reference, expanded with the global ARGs (not yet normalised or resolved). */
  | { kind: 'image'; ref: string };

/** Why a stage needs another stage or an image besides its base. */
export interface StageDependency {
  /** The Dockerfile index of the stage it needs. */
  stage: number;
  /** The instruction that needs it (FROM, COPY --from, RUN --mount from=). */
  location: SourceRange;
}

export interface PlannedStage {
  /** Position in the Dockerfile (0-based); what `--from=N` refers to. */
  index: number;
  /** Lower-cased `AS` name. */
  name?: string;
  base: StageBase;
  /** `FROM --platform` expanded with the global ARGs, parsed; undefined = the target platform. */
  platform?: Platform;
  from: FromInstruction;
  /** The instructions after FROM, unexpanded: the executor expands each with `expandInstruction`. */
  instructions: Instruction[];
  /**
   * Stages (Dockerfile indexes, all lower than this stage's) it needs before it can run: base
   * stage, COPY --from, RUN --mount from=, and --from of ONBUILD triggers inherited from a base stage.
   */
  dependsOn: number[];
  dependencies: StageDependency[];
  /**
   * Images other than the base that its steps read (`COPY --from=alpine`, `RUN --mount from=img`),
   * as written (BuildKit allows no variables there); the executor pulls them.
   */
  imageRefs: string[];
  /** Comments right above FROM, for `--progress` stage descriptions. */
  comments: string[];
  location: SourceRange;
}

/** A global (before the first FROM) ARG with its value for this build. */
export interface GlobalArg {
  name: string;
  /** --build-arg value if given, else the expanded default; undefined when neither exists. */
  value?: string;
  location: SourceRange;
}

export interface BuildPlan {
  file: string;
  directives: Directives;
  escape: EscapeChar;
  /** Only the stages the target needs, dependencies first; the last one is the target. */
  stages: PlannedStage[];
  /** Dockerfile index of the target stage (`--target`, else the last stage). */
  target: number;
  /** How many stages the Dockerfile has (pruned ones included). */
  stageCount: number;
  /** Names of every named stage, in Dockerfile order. */
  stageNames: string[];
  globalArgs: GlobalArg[];
  /**
   * Values usable in FROM lines and inherited by `ARG NAME` (no default) in stages: the global ARGs
   * plus the automatic platform ARGs (TARGETPLATFORM, BUILDOS, ...).
   */
  metaArgs: Record<string, string | undefined>;
  /** The --build-arg values as given. */
  buildArgs: Record<string, string>;
  /** Proxy build args (HTTP_PROXY...): in RUN's environment, never in history or the image. */
  proxyEnv: Record<string, string>;
  /** Build args no built stage (nor the global scope) declares: docker warns about them. */
  unusedBuildArgs: string[];
  buildPlatform: Platform;
  targetPlatform: Platform;
  /** Static build-check findings, sorted by line; `directives.check` already applied. */
  warnings: Warning[];
}
