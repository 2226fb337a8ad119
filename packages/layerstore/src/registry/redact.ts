// Secrets (passwords, tokens, upload-state signatures) must never reach a log line or an error message,
// and text a registry chose must not carry terminal escapes into them either.

const SECRET_QUERY = /(token|state|sig|signature|key|auth|credential|password|secret|code)/i;

/** A URL as it may be shown: no userinfo, secret-looking query values replaced. */
export function redactUrl(url: string | URL): string {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    return '<invalid url>';
  }
  u.username = '';
  u.password = '';
  for (const key of [...u.searchParams.keys()]) {
    if (SECRET_QUERY.test(key)) u.searchParams.set(key, 'REDACTED');
  }
  return u.toString();
}

/** A set of secrets known to one client, scrubbed from any text before it is logged or thrown. */
export class Secrets {
  private readonly values = new Set<string>();

  add(value: string | undefined): void {
    // Very short values would scrub ordinary words; real secrets are longer.
    if (value !== undefined && value.length >= 4) this.values.add(value);
  }

  scrub(text: string): string {
    let out = text;
    for (const v of this.values) out = out.split(v).join('REDACTED');
    return out.replace(/(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 REDACTED');
  }
}

/** A registry-supplied string made safe to print: control characters replaced, length capped. */
export function printable(text: string, max = 100): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
