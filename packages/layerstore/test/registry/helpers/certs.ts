// A throwaway CA and a server certificate for 127.0.0.1/localhost, made with the openssl CLI.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCerts {
  dir: string;
  caCert: string;
  caCertPath: string;
  serverCert: string;
  serverKey: string;
  serverCertPath: string;
  serverKeyPath: string;
}

export async function makeCerts(dir: string): Promise<TestCerts> {
  const p = (n: string): string => join(dir, n);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=tsbuild test CA',
    '-keyout', p('ca.key'), '-out', p('ca.crt')]);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', p('server.key'), '-out', p('server.csr')]);
  await writeFile(p('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  await run('openssl', ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', p('ext.cnf'), '-out', p('server.crt')]);
  return {
    dir,
    caCert: await readFile(p('ca.crt'), 'utf8'),
    caCertPath: p('ca.crt'),
    serverCert: await readFile(p('server.crt'), 'utf8'),
    serverKey: await readFile(p('server.key'), 'utf8'),
    serverCertPath: p('server.crt'),
    serverKeyPath: p('server.key'),
  };
}
