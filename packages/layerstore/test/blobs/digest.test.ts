import test from 'ava';
import { parseDigest, validateDigest } from '../../src/blobs/digest.js';
import { isStoreError } from '../../src/errors.js';

const hex = 'a'.repeat(64);

test('valid digests parse', (t) => {
  t.deepEqual(parseDigest(`sha256:${hex}`), { algorithm: 'sha256', hex });
  t.true(validateDigest(`sha256:${'0123456789abcdef'.repeat(4)}`));
});

// STO-02: every hostile form is refused before a path is built from it.
const hostile: Array<[string, unknown]> = [
  ['traversal', 'sha256:../x'],
  ['traversal with full length', `sha256:../${'a'.repeat(61)}`],
  ['uppercase', `sha256:${'A'.repeat(64)}`],
  ['63 chars', `sha256:${'a'.repeat(63)}`],
  ['65 chars', `sha256:${'a'.repeat(65)}`],
  ['sha512', `sha512:${'a'.repeat(128)}`],
  ['md5', `md5:${'a'.repeat(32)}`],
  ['NUL', `sha256:${'a'.repeat(63)}\u0000`],
  ['trailing newline', `sha256:${hex}\n`],
  ['no algorithm', hex],
  ['empty', ''],
  ['not a string', 42],
];
for (const [name, value] of hostile) {
  test(`STO-02 rejects ${name}`, (t) => {
    t.false(validateDigest(value));
    const e = t.throws(() => parseDigest(value));
    t.true(isStoreError(e, 'EINVALIDDIGEST'));
  });
}
