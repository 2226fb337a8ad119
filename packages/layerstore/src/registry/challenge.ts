// WWW-Authenticate parsing (RFC 7235 auth-params), enough for registry challenges:
//   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a:pull"
//   Basic realm="Registry Realm"
// A header may hold several challenges separated by commas; a new one starts at a token followed by a
// space that is not part of a key=value pair.

export interface Challenge {
  scheme: string; // lowercase: 'bearer', 'basic'
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const headers = Array.isArray(header) ? header : [header];
  const out: Challenge[] = [];
  for (const h of headers) out.push(...parseOne(h));
  return out;
}

function parseOne(input: string): Challenge[] {
  const out: Challenge[] = [];
  let s = input.trim();
  let current: Challenge | undefined;
  while (s.length > 0) {
    s = s.replace(/^[\s,]+/, '');
    const tok = TOKEN.exec(s);
    if (!tok) break;
    const word = tok[0];
    const after = s.slice(word.length);
    const eq = /^\s*=\s*/.exec(after);
    if (eq && current) {
      s = after.slice(eq[0].length);
      let value: string;
      if (s.startsWith('"')) {
        let i = 1;
        value = '';
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        s = s.slice(i + 1);
      } else {
        const v = /^[^,\s]*/.exec(s);
        value = v ? v[0] : '';
        s = s.slice(value.length);
      }
      current.params[word.toLowerCase()] = value;
    } else {
      current = { scheme: word.toLowerCase(), params: {} };
      out.push(current);
      s = after;
    }
  }
  return out;
}
