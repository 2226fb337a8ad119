// Sorting file names the way tar layers and Go tools do: by UTF-8 bytes.

/**
 * UTF-8 byte order without encoding: it is code-point order, which differs from JS's UTF-16 order only
 * where a surrogate (an astral code point) meets U+E000..U+FFFF. Encoding both names for every
 * comparison allocated ~1,400 buffers per 100-entry directory.
 */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort after every BMP character in UTF-8.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
