import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { s3Target } from '../../config/s3-config';
import { generateAgeKey, runTool, secretTools } from '../secrets/secret-tools';

let dir: string;
let shm: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-s3-'));
  shm = fs.mkdtempSync(path.join('/dev/shm', 'lucid-s3-test-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(shm, { recursive: true, force: true });
});

const ENDPOINT = { LUCID_S3_ENDPOINT: 'http://127.0.0.1:9000' };

function credentialsFile(where: string, json: object, mode = 0o400): string {
  const file = path.join(where, 'credentials.json');
  fs.writeFileSync(file, JSON.stringify(json), { mode });
  return file;
}

/** A SOPS file made by the real sops for a fresh age key; the key file is the worker's identity. */
function sopsFile(plain: string): { file: string; keyFile: string } {
  const tools = secretTools();
  const key = generateAgeKey(tools, dir, 'node');
  fs.writeFileSync(path.join(dir, 'plain.yaml'), plain);
  const text = runTool(tools.sops, ['encrypt', '--age', key.recipient, '--input-type', 'yaml', '--output-type', 'yaml', 'plain.yaml'], { cwd: dir });
  const file = path.join(dir, 's3.enc.yaml');
  fs.writeFileSync(file, text);
  return { file, keyFile: key.keyFile };
}

describe('the replication target from LUCID_S3_*', () => {
  it('is none without LUCID_S3_ENDPOINT', () => {
    expect(s3Target({ LUCID_S3_ACCESS_KEY_ID: 'someone' })).toBeUndefined();
  });

  it('takes keys from the environment, with the default bucket and region', () => {
    expect(s3Target({ ...ENDPOINT, LUCID_S3_ACCESS_KEY_ID: 'key-id', LUCID_S3_SECRET_ACCESS_KEY: 'secret-key' })).toEqual({
      endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', bucket: 'lucid-chunks', accessKeyId: 'key-id', secretAccessKey: 'secret-key',
    });
  });

  it('takes keys from a SOPS file, decrypted in memory with the worker age identity', () => {
    const { file, keyFile } = sopsFile('S3_ACCESS_KEY: key-id\nS3_SECRET_KEY: secret-key-from-sops\n');
    expect(fs.readFileSync(file, 'utf8')).not.toContain('secret-key-from-sops');
    expect(s3Target({ ...ENDPOINT, LUCID_S3_SECRETS_FILE: file, LUCID_AGE_IDENTITY_FILE: keyFile })).toMatchObject({
      accessKeyId: 'key-id', secretAccessKey: 'secret-key-from-sops',
    });
  });

  it('refuses a SOPS file without its identity, with another identity, or without a key, naming what is wrong', () => {
    const { file, keyFile } = sopsFile('S3_ACCESS_KEY: key-id\n');
    expect(() => s3Target({ ...ENDPOINT, LUCID_S3_SECRETS_FILE: file })).toThrow(/LUCID_AGE_IDENTITY_FILE: is not set \(nor LUCID_AGE_IDENTITY\), but LUCID_S3_SECRETS_FILE/);
    const other = generateAgeKey(secretTools(), dir, 'other');
    expect(() => s3Target({ ...ENDPOINT, LUCID_S3_SECRETS_FILE: file, LUCID_AGE_IDENTITY_FILE: other.keyFile })).toThrow(/s3\.enc\.yaml/);
    expect(() => s3Target({ ...ENDPOINT, LUCID_S3_SECRETS_FILE: file, LUCID_AGE_IDENTITY_FILE: keyFile })).toThrow(/LUCID_S3_SECRETS_FILE: .*s3\.enc\.yaml: S3_SECRET_KEY: must be set/);
  });

  it('takes keys from a private credentials file on tmpfs', () => {
    const file = credentialsFile(shm, { accessKeyId: 'key-id', secretAccessKey: 'secret-key' });
    expect(s3Target({ ...ENDPOINT, LUCID_S3_BUCKET: 'node.copies', LUCID_S3_CREDENTIALS_FILE: file })).toMatchObject({ bucket: 'node.copies', accessKeyId: 'key-id' });
  });

  it('refuses a plaintext credentials file on a disk, or one others can read', () => {
    const onDisk = credentialsFile(dir, { accessKeyId: 'key-id', secretAccessKey: 'secret-key' });
    expect(() => s3Target({ ...ENDPOINT, LUCID_S3_CREDENTIALS_FILE: onDisk })).toThrow(/LUCID_S3_CREDENTIALS_FILE: .*credentials.json is on a disk .*LUCID_S3_SECRETS_FILE/);
    const shared = credentialsFile(shm, { accessKeyId: 'key-id', secretAccessKey: 'secret-key' }, 0o644);
    expect(() => s3Target({ ...ENDPOINT, LUCID_S3_CREDENTIALS_FILE: shared })).toThrow(/LUCID_S3_CREDENTIALS_FILE: .*mode 644 lets others read the keys/);
  });

  it.each([
    [{ LUCID_S3_ENDPOINT: 'ftp://host/' }, /LUCID_S3_ENDPOINT: must be an http\(s\):\/\/ URL/],
    [{ ...ENDPOINT, LUCID_S3_BUCKET: 'Upper_Case' }, /LUCID_S3_BUCKET: must be an S3 bucket name/],
    [ENDPOINT, /LUCID_S3_ACCESS_KEY_ID: is not set \(nor LUCID_S3_SECRETS_FILE or LUCID_S3_CREDENTIALS_FILE\), but LUCID_S3_ENDPOINT is/],
    [{ ...ENDPOINT, LUCID_S3_ACCESS_KEY_ID: 'key-id' }, /LUCID_S3_SECRET_ACCESS_KEY: is not set, but LUCID_S3_ACCESS_KEY_ID is/],
    [{ ...ENDPOINT, LUCID_S3_CREDENTIALS_FILE: '/nonexistent/creds.json' }, /LUCID_S3_CREDENTIALS_FILE: cannot read \/nonexistent\/creds.json: ENOENT/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => s3Target(env)).toThrow(message);
  });

  it('refuses a credentials file without a secret, naming the field', () => {
    const file = credentialsFile(shm, { accessKeyId: 'key-id' });
    expect(() => s3Target({ ...ENDPOINT, LUCID_S3_CREDENTIALS_FILE: file })).toThrow(/LUCID_S3_CREDENTIALS_FILE: .*credentials.json: secretAccessKey: /);
  });
});
