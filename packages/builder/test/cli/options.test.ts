import test from 'ava';
import { parseAssignments, parseOutput, parsePlatform, parseSecret, parseSize, parseVolume } from '../../src/cli/options.js';

const outputs: Array<[string, unknown]> = [
  ['type=oci,dest=out.tar', { type: 'oci', dest: 'out.tar' }],
  ['type=docker,dest=-', { type: 'docker', dest: '-' }],
  ['type=oci,dest=o.tar,compression=zstd', { type: 'oci', dest: 'o.tar', compression: 'zstd' }],
  ['type=oci,dest=o.tar,compression=uncompressed', { type: 'oci', dest: 'o.tar', compression: 'none' }],
  ['type=local,dest=rootfs', { type: 'local', dest: 'rootfs' }],
  ['type=tar,dest=fs.tar', { type: 'tar', dest: 'fs.tar' }],
  ['dir', { type: 'local', dest: 'dir' }],
  ['-', { type: 'tar', dest: '-' }],
  ['type=registry', { type: 'registry' }],
  ['type=image,name=a/b:c,push=true', { type: 'image', name: 'a/b:c', push: true }],
];
for (const [spec, want] of outputs) {
  test(`--output ${spec}`, (t) => t.deepEqual(parseOutput(spec), want as ReturnType<typeof parseOutput>));
}

for (const bad of ['type=zip,dest=x', 'type=oci', 'type=oci,dest=', 'type=oci,dest=x,compression=lz4', 'type=oci,novalue']) {
  test(`--output ${bad} is a usage error`, (t) => {
    const e = t.throws(() => parseOutput(bad));
    t.is((e as { code?: string }).code?.startsWith('USAGE'), true);
  });
}

test('assignments: K=V, K= (empty), K from env, K missing from env dropped', (t) => {
  t.deepEqual(parseAssignments(['A=1', 'B=', 'C', 'D', 'E=x=y'], '--build-arg', { C: 'from-env' }), { A: '1', B: '', C: 'from-env', E: 'x=y' });
  t.throws(() => parseAssignments(['=1'], '--build-arg'), { code: 'USAGE_ASSIGNMENT' } as never);
});

test('secrets', (t) => {
  t.deepEqual(parseSecret('id=npm,src=/run/npmrc'), { id: 'npm', src: '/run/npmrc' });
  t.deepEqual(parseSecret('id=tok,env=TOKEN'), { id: 'tok', env: 'TOKEN' });
  t.deepEqual(parseSecret('id=x'), { id: 'x' });
  t.throws(() => parseSecret('src=/x'), { code: 'USAGE_SECRET' } as never);
  t.throws(() => parseSecret('id=x,bogus=1'), { code: 'USAGE_SECRET' } as never);
});

test('platforms', (t) => {
  t.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
  t.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  for (const bad of ['linux', 'a/b/c/d', 'linux/', 'li nux/amd64']) t.throws(() => parsePlatform(bad), { code: 'USAGE_PLATFORM' } as never);
});

test('sizes', (t) => {
  t.is(parseSize('64m', '--memory'), 64 * 1024 * 1024);
  t.is(parseSize('1g', '--memory'), 1024 ** 3);
  t.is(parseSize('512k', '--memory'), 512 * 1024);
  t.is(parseSize('1048576', '--memory'), 1048576);
  t.is(parseSize('64MB', '--memory'), 64 * 1024 * 1024);
  for (const bad of ['', 'm', '-1m', '0', '1x', '99999999999t']) t.throws(() => parseSize(bad, '--memory'), { code: 'USAGE_SIZE' } as never);
});

test('volumes', (t) => {
  t.deepEqual(parseVolume('/a:/b'), { source: '/a', target: '/b', readonly: false });
  t.deepEqual(parseVolume('/a:/b:ro'), { source: '/a', target: '/b', readonly: true });
  for (const bad of ['/a', '/a:b', ':/b', '/a:/b:xx', '/a:/b:ro:z']) t.throws(() => parseVolume(bad), { code: 'USAGE_VOLUME' } as never);
});
