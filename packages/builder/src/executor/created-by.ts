// History `created_by` strings written the way BuildKit writes them, so `docker history` and tools
// that read history show what people expect ("RUN /bin/sh -c make # buildkit", "ENV A=b").

/** Go's %q of a []string: ["a" "b c"] (what BuildKit prints for CMD, ENTRYPOINT, SHELL). */
export function goQuoteList(items: readonly string[]): string {
  return `[${items.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/**
 * `RUN |2 A=1 B=2 /bin/sh -c make # buildkit`: BuildKit prefixes the build args in the step's
 * environment (count, then NAME=value) so history shows what the step saw.
 */
export function runCreatedBy(argv: readonly string[], args: [string, string][]): string {
  const prefix = args.length > 0 ? `|${args.length} ${args.map(([k, v]) => `${k}=${v}`).join(' ')} ` : '';
  return `RUN ${prefix}${argv.join(' ')} # buildkit`;
}

export function copyCreatedBy(verb: 'COPY' | 'ADD', flags: string[], sources: readonly string[], dest: string): string {
  return `${[verb, ...flags, ...sources, dest].join(' ')} # buildkit`;
}
