import test from 'ava';
import { containerArgv, containerEnv, DEFAULT_PATH } from '../../src/cli/run-config.js';

test('argv: entrypoint + cmd, command replaces cmd, --entrypoint drops cmd', (t) => {
  const cfg = { Entrypoint: ['/bin/echo', 'hi'], Cmd: ['there'] };
  t.deepEqual(containerArgv(cfg, []), ['/bin/echo', 'hi', 'there']);
  t.deepEqual(containerArgv(cfg, ['you']), ['/bin/echo', 'hi', 'you']);
  t.deepEqual(containerArgv(cfg, [], '/bin/true'), ['/bin/true']);
  t.deepEqual(containerArgv(cfg, ['x'], '/bin/ls'), ['/bin/ls', 'x']);
  t.deepEqual(containerArgv({ Cmd: ['sh'] }, []), ['sh']);
  t.deepEqual(containerArgv({ Entrypoint: null, Cmd: null }, []), []);
});

test('env: overrides win, PATH defaulted only when absent', (t) => {
  t.deepEqual(containerEnv(['A=1', 'B=2'], { B: '3' }), ['A=1', 'B=3', `PATH=${DEFAULT_PATH}`]);
  t.deepEqual(containerEnv(['PATH=/x'], {}), ['PATH=/x']);
});

test('run: flags after IMAGE belong to the container command', async (t) => {
  const { separateRunCommand } = await import('../../src/cli/commands/run.js');
  t.deepEqual(separateRunCommand(['run', 'img', 'ls', '-la']), ['run', '--', 'img', 'ls', '-la']);
  t.deepEqual(separateRunCommand(['run', '--rm', '-e', 'A=1', '-v', '/a:/b', 'img', 'sh', '-c', 'x']), ['run', '--rm', '-e', 'A=1', '-v', '/a:/b', '--', 'img', 'sh', '-c', 'x']);
  t.deepEqual(separateRunCommand(['--root', '/r', 'run', '--network=host', 'img']), ['--root', '/r', 'run', '--network=host', '--', 'img']);
  t.deepEqual(separateRunCommand(['run', '--', 'img', '-x']), ['run', '--', 'img', '-x']);
  t.deepEqual(separateRunCommand(['build', '-t', 'run', '.']), ['build', '-t', 'run', '.']);
  t.deepEqual(separateRunCommand(['images']), ['images']);
});

test('an explicit build command runs as the default one (unless help is asked for)', async (t) => {
  const { dropExplicitBuild } = await import('../../src/cli/main.js');
  t.deepEqual(dropExplicitBuild(['build', '-t', 'a', '.']), ['-t', 'a', '.']);
  t.deepEqual(dropExplicitBuild(['--root', '/r', 'build', '.']), ['--root', '/r', '.']);
  t.deepEqual(dropExplicitBuild(['build', '--help']), ['build', '--help']);
  t.deepEqual(dropExplicitBuild(['-t', 'build', '.']), ['-t', 'build', '.'], 'a tag named build stays');
  t.deepEqual(dropExplicitBuild(['--root=/r', 'build', '.']), ['--root=/r', 'build', '.']);
  t.deepEqual(dropExplicitBuild(['run', 'build']), ['run', 'build']);
  t.deepEqual(dropExplicitBuild(['images']), ['images']);
});
