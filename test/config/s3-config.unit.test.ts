import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { s3Target } from '../../config/s3-config';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-s3-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const ENDPOINT = { LUCID_S3_ENDPOINT: 'http://127.0.0.1:9000' };

describe('the replication target from LUCID_S3_*', () => {
  it('is none without LUCID_S3_ENDPOINT', () => {
    expect(s3Target({ LUCID_S3_ACCESS_KEY_ID: 'someone' })).toBeUndefined();
  });

  it('takes keys from the environment, with the default bucket and region', () => {
    expect(s3Target({ ...ENDPOINT, LUCID_S3_ACCESS_KEY_ID: 'key-id', LUCID_S3_SECRET_ACCESS_KEY: 'secret-key' })).toEqual({
      endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', bucket: 'lucid-chunks', accessKeyId: 'key-id', secretAccessKey: 'secret-key',
    });
  });

  it('takes keys from a credentials file', () => {
    const file = path.join(dir, 'credentials.json');
    fs.writeFileSync(file, JSON.stringify({ accessKeyId: 'key-id', secretAccessKey: 'secret-key' }));
    expect(s3Target({ ...ENDPOINT, LUCID_S3_BUCKET: 'node.copies', LUCID_S3_CREDENTIALS_FILE: file })).toMatchObject({ bucket: 'node.copies', accessKeyId: 'key-id' });
  });

  it.each([
    [{ LUCID_S3_ENDPOINT: 'ftp://host/' }, /LUCID_S3_ENDPOINT: must be an http\(s\):\/\/ URL/],
    [{ ...ENDPOINT, LUCID_S3_BUCKET: 'Upper_Case' }, /LUCID_S3_BUCKET: must be an S3 bucket name/],
    [ENDPOINT, /LUCID_S3_ACCESS_KEY_ID: is not set \(nor LUCID_S3_CREDENTIALS_FILE\), but LUCID_S3_ENDPOINT is/],
    [{ ...ENDPOINT, LUCID_S3_ACCESS_KEY_ID: 'key-id' }, /LUCID_S3_SECRET_ACCESS_KEY: is not set, but LUCID_S3_ACCESS_KEY_ID is/],
    [{ ...ENDPOINT, LUCID_S3_CREDENTIALS_FILE: '/nonexistent/creds.json' }, /LUCID_S3_CREDENTIALS_FILE: cannot read \/nonexistent\/creds.json: ENOENT/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => s3Target(env)).toThrow(message);
  });

  it('refuses a credentials file without a secret, naming the field', () => {
    const file = path.join(dir, 'credentials.json');
    fs.writeFileSync(file, JSON.stringify({ accessKeyId: 'key-id' }));
    expect(() => s3Target({ ...ENDPOINT, LUCID_S3_CREDENTIALS_FILE: file })).toThrow(/LUCID_S3_CREDENTIALS_FILE: .*credentials.json: secretAccessKey: /);
  });
});
