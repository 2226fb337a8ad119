// containerd pkg/archive TestBreakouts, ported case by case (names kept), applied into R inside the
// sandbox S; every case also checks that nothing in S outside R changed.
import test from 'ava';
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dir, file, hardlink, symlink, tar, type RawEntry } from './helpers/raw-tar.js';
import { applyTar, isSymlink, sameFile } from './helpers/apply.js';
import { makeSandbox } from './helpers/sandbox.js';

interface Case {
  name: string;
  setup?: (R: string, S: string) => void;
  entries: (S: string) => RawEntry[];
  check?: (R: string, S: string) => boolean;
  code?: string;
}

const unbroken = (R: string): boolean => readFileSync(path.join(R, 'etc/unbroken'), 'utf8') === 'unbroken';
const etcPasswd = (R: string, content = 'inside'): void => {
  mkdirSync(path.join(R, 'etc'), { recursive: true });
  writeFileSync(path.join(R, 'etc/passwd'), content);
};

const cases: Case[] = [
  { name: 'SymlinkAbsolute', entries: () => [dir('etc'), symlink('localetc', '/etc'), file('/localetc/unbroken', 'unbroken')], check: unbroken },
  { name: 'SymlinkUpAndOut', entries: () => [dir('etc'), dir('dummy'), symlink('localetc', '/dummy/../etc'), file('/localetc/unbroken', 'unbroken')], check: unbroken },
  { name: 'SymlinkMultipleAbsolute', entries: () => [dir('etc'), dir('dummy'), symlink('/dummy/etc', '/etc'), symlink('localetc', '/dummy/etc'), file('/dummy/etc/unbroken', 'unbroken')], check: unbroken },
  { name: 'SymlinkMultipleRelative', entries: () => [dir('etc'), dir('dummy'), symlink('/dummy/etc', '/etc'), symlink('localetc', './dummy/etc'), file('/dummy/etc/unbroken', 'unbroken')], check: unbroken },
  {
    name: 'SymlinkEmptyFile',
    entries: () => [dir('etc'), file('etc/emptied', 'notempty'), symlink('localetc', '/etc'), file('/localetc/emptied', '')],
    check: (R) => readFileSync(path.join(R, 'etc/emptied'), 'utf8') === '',
  },
  {
    name: 'HardlinkRelative',
    entries: () => [dir('etc', 0o770), file('/etc/passwd', 'inside'), dir('breakouts'), symlink('breakouts/d1', '../../etc'), hardlink('breakouts/mypasswd', '/breakouts/d1/passwd')],
    check: (R) => sameFile(R, '/breakouts/mypasswd', '/etc/passwd'),
  },
  {
    name: 'HardlinkDownAndOut',
    entries: () => [dir('etc', 0o770), file('/etc/passwd', 'inside'), dir('breakouts'), dir('downandout'), symlink('breakouts/d1', '../downandout/../../etc'), hardlink('breakouts/mypasswd', '/breakouts/d1/passwd')],
    check: (R) => sameFile(R, '/breakouts/mypasswd', '/etc/passwd'),
  },
  {
    name: 'HardlinkAbsolute',
    entries: () => [dir('etc', 0o770), file('/etc/passwd', 'inside'), symlink('localetc', '/etc'), hardlink('localpasswd', '/localetc/passwd')],
    check: (R) => sameFile(R, 'localpasswd', '/etc/passwd'),
  },
  {
    name: 'HardlinkRelativeLong',
    entries: () => [dir('etc', 0o770), file('/etc/passwd', 'inside'), symlink('localetc', '../../../../../../../etc'), hardlink('localpasswd', '/localetc/passwd')],
    check: (R) => sameFile(R, 'localpasswd', '/etc/passwd'),
  },
  {
    name: 'HardlinkRelativeUpAndOut',
    entries: () => [dir('etc', 0o770), file('/etc/passwd', 'inside'), symlink('localetc', 'upandout/../../../etc'), hardlink('localpasswd', '/localetc/passwd')],
    check: (R) => sameFile(R, 'localpasswd', '/etc/passwd'),
  },
  {
    name: 'HardlinkDirectRelative',
    entries: () => [dir('etc', 0o770), file('/etc/passwd', 'inside'), hardlink('localpasswd', '../../../../../etc/passwd')],
    check: (R) => sameFile(R, 'localpasswd', '/etc/passwd'),
  },
  {
    name: 'HardlinkDirectAbsolute',
    entries: () => [dir('etc', 0o770), file('/etc/passwd', 'inside'), hardlink('localpasswd', '/etc/passwd')],
    check: (R) => sameFile(R, 'localpasswd', '/etc/passwd'),
  },
  {
    name: 'SymlinkParentDirectory',
    entries: () => [dir('etc', 0o770), file('/etc/passwd', 'inside'), symlink('..', '/etc/'), hardlink('localpasswd', '/etc/passwd')],
    check: (R) => sameFile(R, '/localpasswd', '/etc/passwd'),
  },
  {
    name: 'SymlinkEmptyFilename',
    entries: () => [dir('etc', 0o770), file('/etc/passwd', 'inside'), symlink('', '/etc/'), hardlink('localpasswd', '/etc/passwd')],
    check: (R) => sameFile(R, '/localpasswd', '/etc/passwd'),
  },
  {
    name: 'SymlinkParentRelative',
    entries: () => [dir('etc', 0o770), file('/etc/passwd', 'inside'), symlink('localetc/sub/..', '/etc/'), hardlink('/localetc/localpasswd', '/etc/passwd')],
    check: (R) => sameFile(R, '/localetc/localpasswd', '/etc/passwd'),
  },
  {
    name: 'SymlinkSlashEnded',
    entries: () => [dir('etc', 0o770), file('/etc/passwd', 'inside'), dir('localetc/', 0o770), hardlink('/localetc/localpasswd', '/etc/passwd')],
    check: (R) => sameFile(R, '/localetc/localpasswd', '/etc/passwd'),
  },
  {
    name: 'SymlinkOverrideDirectory',
    setup: (R) => {
      etcPasswd(R);
      mkdirSync(path.join(R, 'localetc'));
    },
    entries: () => [symlink('localetc', '/etc'), hardlink('/localetc/localpasswd', '/etc/passwd')],
    check: (R) => sameFile(R, '/localetc/localpasswd', '/etc/passwd'),
  },
  {
    name: 'SymlinkOverrideDirectoryRelative',
    setup: (R) => {
      etcPasswd(R);
      mkdirSync(path.join(R, 'localetc'));
    },
    entries: () => [symlink('localetc', '../../etc'), hardlink('/localetc/localpasswd', '/etc/passwd')],
    check: (R) => sameFile(R, '/localetc/localpasswd', '/etc/passwd'),
  },
  {
    name: 'DirectoryOverrideSymlink',
    setup: (R) => {
      etcPasswd(R);
      symlinkSync('/etc', path.join(R, 'localetc'));
    },
    entries: () => [dir('/localetc/'), hardlink('/localetc/localpasswd', '/etc/passwd')],
    check: (R) => sameFile(R, '/localetc/localpasswd', '/etc/passwd') && lstatSync(path.join(R, 'localetc')).isDirectory(),
  },
  {
    name: 'DirectoryOverrideSymlinkAndHardlink',
    setup: (R) => {
      etcPasswd(R);
      symlinkSync('etc', path.join(R, 'localetc'));
      linkSync(path.join(R, 'etc/passwd'), path.join(R, 'etc/localpasswd'));
    },
    entries: () => [dir('/localetc/'), file('/localetc/localpasswd', 'different')],
    check: (R) => !sameFile(R, '/localetc/localpasswd', '/etc/passwd') && readFileSync(path.join(R, 'etc/passwd'), 'utf8') === 'inside',
  },
  { name: 'WhiteoutRootParent', setup: (R) => etcPasswd(R), entries: () => [file('.wh...')], code: 'EINVALIDARCHIVE' },
  { name: 'WhiteoutParent', setup: (R) => etcPasswd(R), entries: () => [file('etc/.wh...')], code: 'EINVALIDARCHIVE' },
  { name: 'WhiteoutRoot', setup: (R) => etcPasswd(R), entries: () => [file('.wh..')], code: 'EINVALIDARCHIVE' },
  { name: 'WhiteoutCurrentDirectory', setup: (R) => etcPasswd(R), entries: () => [file('etc/.wh..')], code: 'EINVALIDARCHIVE' },
  {
    name: 'WhiteoutSymlink',
    setup: (R) => {
      etcPasswd(R, 'all users');
      symlinkSync('/etc', path.join(R, 'localetc'));
    },
    entries: () => [file('.wh.localetc')],
    check: (R) => readFileSync(path.join(R, 'etc/passwd'), 'utf8') === 'all users' && !existsSync(path.join(R, 'localetc')) && !isSymlink(path.join(R, 'localetc')),
  },
  {
    name: 'WhiteoutSymlinkPath',
    setup: (R) => {
      etcPasswd(R, 'all users');
      writeFileSync(path.join(R, 'etc/whitedout'), 'ahhhh whiteout');
      symlinkSync('/etc', path.join(R, 'localetc'));
    },
    entries: () => [file('localetc/.wh.whitedout')],
    check: (R) => readFileSync(path.join(R, 'etc/passwd'), 'utf8') === 'all users' && !existsSync(path.join(R, 'etc/whitedout')),
  },
  {
    name: 'WhiteoutDirectoryName',
    setup: (R) => {
      etcPasswd(R, 'all users');
      symlinkSync('/etc', path.join(R, 'localetc'));
    },
    entries: () => [file('.wh.etc/somefile', 'non-empty')],
    check: (R) => readFileSync(path.join(R, 'etc/passwd'), 'utf8') === 'all users' && readFileSync(path.join(R, '.wh.etc/somefile'), 'utf8') === 'non-empty',
  },
  {
    name: 'WhiteoutDeadSymlinkParent',
    setup: (R) => {
      etcPasswd(R, 'all users');
      symlinkSync('/dne', path.join(R, 'localetc'));
    },
    entries: () => [file('localetc/.wh.etc')],
    check: (R) => readFileSync(path.join(R, 'etc/passwd'), 'utf8') === 'all users',
  },
  {
    name: 'WhiteoutRelativePath',
    setup: (R) => {
      etcPasswd(R, 'all users');
      symlinkSync('/dne', path.join(R, 'localetc'));
    },
    entries: () => [file('dne/../.wh.etc')],
    check: (R) => !existsSync(path.join(R, 'etc/passwd')),
  },
  {
    name: 'HardlinkSymlinkBeforeCreateTarget',
    entries: () => [dir('etc', 0o770), symlink('localpasswd', '/etc/passwd'), hardlink('localpasswd-dup', 'localpasswd'), file('/etc/passwd', 'after')],
    check: (R) => sameFile(R, 'localpasswd-dup', '/etc/passwd'),
  },
  {
    name: 'HardlinkSymlinkRelative',
    entries: () => [dir('etc', 0o770), file('/etc/passwd', 'inside'), symlink('passwdlink', '../../../../../etc/passwd'), hardlink('localpasswd', '/passwdlink')],
    check: (R) => readlinkSync(path.join(R, 'localpasswd')) === readlinkSync(path.join(R, 'passwdlink')) && sameFile(R, '/localpasswd', '/etc/passwd'),
  },
  {
    name: 'HardlinkSymlinkAbsolute',
    entries: () => [dir('etc', 0o770), file('/etc/passwd', 'inside'), symlink('passwdlink', '/etc/passwd'), hardlink('localpasswd', '/passwdlink')],
    check: (R) => readlinkSync(path.join(R, 'localpasswd')) === readlinkSync(path.join(R, 'passwdlink')) && sameFile(R, '/localpasswd', '/etc/passwd'),
  },
  {
    // CVE-2021-32760: a chmod entry through a symlink to a host file must not change the host file.
    name: 'HardlinkSymlinkChmod',
    entries: (S) => [symlink(path.join(S, 'also-exists-outside-root'), path.join(S, 'sentinel')), { ...hardlink('sketchylink', path.join(S, 'also-exists-outside-root')), mode: 0o777 }],
    check: (_R, S) => (lstatSync(path.join(S, 'sentinel')).mode & 0o7777) === 0o400,
  },
];

for (const c of cases) {
  test(`TestBreakouts/${c.name}`, async (t) => {
    const sb = makeSandbox(t);
    c.setup?.(sb.R, sb.S);
    const before = sb.fingerprint();
    const code = await applyTar(sb.R, tar(...c.entries(sb.S)));
    t.is(code, c.code);
    if (c.check !== undefined && code === undefined) t.true(c.check(sb.R, sb.S));
    t.is(sb.fingerprint(), before, 'nothing outside R changed');
  });
}
