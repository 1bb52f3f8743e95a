import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { temporalConnectionOptions } from '../../config/temporal-connection';
import { ManagedProcess } from '../../services/stack/managed-process';
import { ensurePostgres } from '../../services/stack/postgres-server';
import { ensureDatabases, ensureTemporalServer } from '../../services/stack/temporal-server';
import { testStack } from '../support/test-stack';

/**
 * An existing Temporal cluster that demands mTLS, as a real fleet's should: Temporal's own server (postgres engine
 * runs only, where it is built) with a private CA, reached through the variables every Lucid process reads.
 */
const stack = testStack();
const onPostgres = stack.engine === 'postgres';
let dir: string;
let temporal: ManagedProcess;
let postgres: ManagedProcess;
let address: string;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A CA, a server certificate for localhost/127.0.0.1 (also a client one: the server's system worker), a Pi's client certificate. */
function makeCertificates(): void {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=lucid-test-ca');
  const sign = (name: string, cn: string, ext: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
  };
  sign('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  sign('pi', 'pi-1', 'extendedKeyUsage=clientAuth\n');
}

const env = (vars: NodeJS.ProcessEnv) => temporalConnectionOptions(undefined, { TEMPORAL_ADDRESS: address, ...vars });
const f = (name: string) => path.join(dir, name);

(onPostgres ? describe : describe.skip)('Lucid against a Temporal cluster that requires mTLS', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-mtls-'));
    makeCertificates();
    // Beside the run's own servers: the next ports up, a PostgreSQL of its own.
    const pgPort = stack.postgresPort + 5;
    const port = stack.temporalPort + 20;
    address = `127.0.0.1:${port}`;
    postgres = new ManagedProcess('postgres', path.join(dir, 'stack'));
    temporal = new ManagedProcess('temporal', path.join(dir, 'stack'));
    await ensurePostgres(postgres, dir, pgPort);
    await ensureDatabases(dir, pgPort);
    await ensureTemporalServer(temporal, {
      dataDir: dir,
      port,
      pgPort,
      namespace: 'lucid',
      tls: { certFile: f('server.pem'), keyFile: f('server.key'), caFile: f('ca.pem') },
    });
  });
  afterAll(async () => {
    await temporal?.stop();
    await postgres?.stop(30_000, 'SIGINT');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const mtls = () => ({ TEMPORAL_TLS_CA_FILE: f('ca.pem'), TEMPORAL_TLS_CERT_FILE: f('pi.pem'), TEMPORAL_TLS_KEY_FILE: f('pi.key'), TEMPORAL_TLS_SERVER_NAME: 'localhost' });

  it('a client and a worker connection with the Pi certificate get in', async () => {
    const client = await Connection.connect({ ...env(mtls()), connectTimeout: 10_000 });
    expect((await client.workflowService.getSystemInfo({})).serverVersion).toBe('1.32.1');
    expect((await client.workflowService.describeNamespace({ namespace: 'lucid' })).namespaceInfo?.name).toBe('lucid');
    await client.close();
    const worker = await NativeConnection.connect(env(mtls()));
    await worker.workflowService.getSystemInfo({});
    await worker.close();
  });

  it('without a client certificate, or in plaintext, the server refuses', async () => {
    const { TEMPORAL_TLS_CERT_FILE: _c, TEMPORAL_TLS_KEY_FILE: _k, ...caOnly } = mtls();
    const noCert = Connection.connect({ ...env(caOnly), connectTimeout: 5000 }).then((c) => c.workflowService.getSystemInfo({}));
    await expect(noCert).rejects.toThrow();
    await expect(NativeConnection.connect(env(caOnly)).then((c) => c.workflowService.getSystemInfo({}))).rejects.toThrow();
    await expect(Connection.connect({ ...env({}), connectTimeout: 5000 }).then((c) => c.workflowService.getSystemInfo({}))).rejects.toThrow();
  });
});
