// The Dockerfile keywords and the argument grammar each one uses (BuildKit parser.dispatch).

export type ArgGrammar =
  | 'maybe-json'          // RUN, CMD, ENTRYPOINT, SHELL: JSON array or the whole rest
  | 'maybe-json-list'     // ADD, COPY, VOLUME: JSON array or whitespace-separated words
  | 'whitespace'          // FROM, EXPOSE
  | 'string'              // MAINTAINER, STOPSIGNAL, USER, WORKDIR: the whole rest
  | 'name-val'            // ENV, LABEL
  | 'name-or-name-val'    // ARG
  | 'healthcheck'
  | 'subcommand';         // ONBUILD

export const GRAMMAR: Readonly<Record<string, ArgGrammar>> = {
  add: 'maybe-json-list',
  arg: 'name-or-name-val',
  cmd: 'maybe-json',
  copy: 'maybe-json-list',
  entrypoint: 'maybe-json',
  env: 'name-val',
  expose: 'whitespace',
  from: 'whitespace',
  healthcheck: 'healthcheck',
  label: 'name-val',
  maintainer: 'string',
  onbuild: 'subcommand',
  run: 'maybe-json',
  shell: 'maybe-json',
  stopsignal: 'string',
  user: 'string',
  volume: 'maybe-json-list',
  workdir: 'string',
};

export const KEYWORDS: readonly string[] = Object.keys(GRAMMAR).map((k) => k.toUpperCase());

/** Instructions whose line may open heredocs. */
export const HEREDOC_KEYWORDS = new Set(['run', 'copy', 'add']);
