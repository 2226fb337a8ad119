// "Did you mean X?" for unknown instructions and stage names: the closest candidate by edit
// distance, if it is close enough to be a plausible typo.

function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  // Words longer than this are not typos of a keyword; skip the quadratic work.
  if (a.length > 64 || b.length > 64) return Math.max(a.length, b.length);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

export function suggest(word: string, candidates: readonly string[], caseSensitive = false): string | undefined {
  const w = caseSensitive ? word : word.toLowerCase();
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, caseSensitive ? c : c.toLowerCase());
    if (d < bestDist) { best = c; bestDist = d; }
  }
  // BuildKit's suggest.Search threshold: at most a third of the word's length, and at least 1.
  const max = Math.max(1, Math.floor(w.length / 3));
  return best !== undefined && bestDist <= max ? best : undefined;
}
