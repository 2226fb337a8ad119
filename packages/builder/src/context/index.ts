// The build context: Dockerfile and .dockerignore reading, COPY source matching, content digests with a
// persistent stat cache. The source matching and the exclusion patterns are also what COPY --from uses
// in a stage's rootfs (matchInRootfs), so both roots follow one set of rules. IO lives here; nothing in
// it parses Dockerfiles or writes images.
export { BuildContext, openContext, DEFAULT_MAX_FILE_BYTES, DEFAULT_RACY_WINDOW_MS, type OpenContextOptions } from './build-context.js';
export { CONTEXT_CODES } from './codes.js';
export { nodeFs, type ContextFs, type HostPath } from './fs-port.js';
export { parseIgnoreRules, parseExcludePatterns, NO_IGNORE_RULES, type IgnoreRules, type ExclusionRules, type ExclusionHit } from './ignore-rules.js';
export { matchInRootfs, type RootfsMatch } from './match.js';
export { DEFAULT_MAX_DOCKERFILE_BYTES, type DockerfileSource } from './read-files.js';
export { digestSourceList, modeText, sortSourceList, sourceSetOf, type SourceSet } from './source-set.js';
export type { ContextEntry, EntryDigest, EntryType, MatchedSource, MatchOptions, MatchResult } from './types.js';
