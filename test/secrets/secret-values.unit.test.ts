import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_LIMITS } from '../../config/limits';
import { readSecretsSources } from '../../config/secrets-file';
import { ageRecipientsFor } from '../../config/sops-rules';
import { decryptClusterSecrets } from '../../secrets/cluster-secrets';
import { encryptSopsYaml } from '../../secrets/sops-encrypt';
import { configError, removeTrees, writeTree } from '../config/fixture-tree';
import { generateAgeKey, secretTools, type AgeKey } from './secret-tools';

/**
 * A secret value sealed on its own (by the console) in secrets/<id>.d/<NAME>.enc.yaml takes the place of NAME in
 * secrets/<id>.enc.yaml; `.sops.yaml` says whom it is sealed to, as it tells `sops encrypt`.
 */
const ID = 'edge-node-1';
let dir: string;
let a: AgeKey;
let b: AgeKey;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-secret-values-'));
  a = generateAgeKey(secretTools(), dir, 'a');
  b = generateAgeKey(secretTools(), dir, 'b');
});
afterAll(() => {
  removeTrees();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('secrets sealed one value to a file', () => {
  it("override the cluster's file by name, in name order, each opened with the cluster's key", () => {
    const tree = writeTree({
      [`secrets/${ID}.enc.yaml`]: encryptSopsYaml({ DB_PASSWORD: 'old', API_TOKEN: 'kept' }, [a.recipient]),
      [`secrets/${ID}.d/DB_PASSWORD.enc.yaml`]: encryptSopsYaml({ DB_PASSWORD: 'new "one"\nwith a newline' }, [a.recipient, b.recipient]),
      [`secrets/${ID}.d/S3.KEY.enc.yaml`]: encryptSopsYaml({ 'S3.KEY': 's3' }, [a.recipient]),
    });
    expect(Object.fromEntries(decryptClusterSecrets(tree, ID, [a.identity], DEFAULT_LIMITS)!)).toEqual({
      DB_PASSWORD: 'new "one"\nwith a newline',
      API_TOKEN: 'kept',
      'S3.KEY': 's3',
    });
    expect(readSecretsSources(tree, ID, DEFAULT_LIMITS).map((s) => [s.file, s.names])).toEqual([
      [`secrets/${ID}.enc.yaml`, ['DB_PASSWORD', 'API_TOKEN']],
      [`secrets/${ID}.d/DB_PASSWORD.enc.yaml`, ['DB_PASSWORD']],
      [`secrets/${ID}.d/S3.KEY.enc.yaml`, ['S3.KEY']],
    ]);
    // b opens the sealed value but not the cluster's own file: nothing is returned, the file is named.
    expect(configError(() => decryptClusterSecrets(tree, ID, [b.identity], DEFAULT_LIMITS)).file).toBe(`secrets/${ID}.enc.yaml`);
  });

  it('a .d file alone is enough, and none at all is undefined', () => {
    const only = writeTree({ [`secrets/${ID}.d/TOKEN.enc.yaml`]: encryptSopsYaml({ TOKEN: 't' }, [a.recipient]) });
    expect(Object.fromEntries(decryptClusterSecrets(only, ID, [a.identity], DEFAULT_LIMITS)!)).toEqual({ TOKEN: 't' });
    expect(decryptClusterSecrets(writeTree(), ID, [a.identity], DEFAULT_LIMITS)).toBeUndefined();
  });

  it('refuses a .d file not named <NAME>.enc.yaml, one holding another name or two, and more names than the limit', () => {
    const d = `secrets/${ID}.d`;
    const refusal = (files: Record<string, string>) => configError(() => readSecretsSources(writeTree(files), ID, DEFAULT_LIMITS)).toJSON();
    expect(refusal({ [`${d}/TOKEN.yaml`]: encryptSopsYaml({ TOKEN: 't' }, [a.recipient]) })).toEqual({
      file: `${d}/TOKEN.yaml`,
      field: '(file)',
      reason: 'a file of secrets/<id>.d/ is <NAME>.enc.yaml, NAME letters, digits, _ . and -, starting with a letter, digit or _, at most 100',
    });
    expect(refusal({ [`${d}/TOKEN.enc.yaml`]: encryptSopsYaml({ OTHER: 't' }, [a.recipient]) })).toEqual({
      file: `${d}/TOKEN.enc.yaml`,
      field: '(file)',
      reason: "holds exactly one secret, TOKEN (its file's name); it holds OTHER",
    });
    expect(refusal({ [`${d}/TOKEN.enc.yaml`]: encryptSopsYaml({ TOKEN: 't', MORE: 'm' }, [a.recipient]) }).reason).toBe(
      "holds exactly one secret, TOKEN (its file's name); it holds TOKEN, MORE",
    );
    const many = Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`${d}/S${i}.enc.yaml`, `S${i}: ENC[x]\nsops: {mac: x}\n`]));
    const tree = writeTree({ ...many, [`secrets/${ID}.enc.yaml`]: 'A: ENC[x]\nB: ENC[x]\nsops: {mac: x}\n' });
    const limits = { ...DEFAULT_LIMITS, secrets: { ...DEFAULT_LIMITS.secrets, maxSecrets: 4 } };
    expect(configError(() => readSecretsSources(tree, ID, limits)).toJSON()).toEqual({
      file: `secrets/${ID}.enc.yaml with ${d}/`,
      field: '(file)',
      reason: 'lists 5 secrets, over the limit of 4 (raise secrets.maxSecrets in policies/limits.yaml)',
    });
    // Bytes: the files together, before any is read.
    const small = { ...DEFAULT_LIMITS, secrets: { ...DEFAULT_LIMITS.secrets, maxBytes: 100 } };
    const bytes = writeTree({ [`secrets/${ID}.enc.yaml`]: `A: ENC[${'x'.repeat(60)}]\n`, [`${d}/B.enc.yaml`]: `B: ENC[${'x'.repeat(60)}]\n` });
    expect(configError(() => readSecretsSources(bytes, ID, small)).toJSON()).toMatchObject({
      file: `secrets/${ID}.enc.yaml with ${d}/`,
      reason: expect.stringMatching(/^is 138 bytes, over the limit of 100 bytes/),
    });
    // A link where the directory should be is refused, not followed.
    const linked = writeTree();
    fs.mkdirSync(path.join(linked, 'elsewhere'));
    fs.mkdirSync(path.join(linked, 'secrets'), { recursive: true });
    fs.symlinkSync(path.join(linked, 'elsewhere'), path.join(linked, d));
    expect(configError(() => readSecretsSources(linked, ID, DEFAULT_LIMITS)).toJSON()).toEqual({
      file: d,
      field: '(file)',
      reason: 'must be a directory of <NAME>.enc.yaml files (not a link or a file)',
    });
    expect(refusal({ [`${d}/..enc.yaml`]: 'x: y\n' }).file).toBe(`${d}/..enc.yaml`);
  });
});

describe('.sops.yaml: the age recipients of a new secrets file', () => {
  const rules = (r: object[]) => JSON.stringify({ creation_rules: r });

  it('takes the first rule whose path_regex matches, a rule without one matching all, in string, list or key group form', () => {
    const text = rules([
      { path_regex: '^secrets/edge-a(\\.enc\\.yaml|\\.d/)', age: `${a.recipient}, ${b.recipient}` },
      { path_regex: '^secrets/edge-b', key_groups: [{ age: [b.recipient] }] },
      { age: [a.recipient] },
    ]);
    expect(ageRecipientsFor(text, 'secrets/edge-a.d/TOKEN.enc.yaml')).toEqual([a.recipient, b.recipient]);
    expect(ageRecipientsFor(text, 'secrets/edge-b.d/TOKEN.enc.yaml')).toEqual([b.recipient]);
    expect(ageRecipientsFor(text, 'secrets/edge-c.d/TOKEN.enc.yaml')).toEqual([a.recipient]);
    // As in sops: key_groups over the rule's own keys; (?i) as RE2 reads it.
    expect(ageRecipientsFor(rules([{ path_regex: '(?i)^SECRETS/', age: a.recipient, key_groups: [{ age: [b.recipient] }] }]), 'secrets/x.d/T.enc.yaml')).toEqual([b.recipient]);
  });

  it('refuses a rule that also names keys of another kind: the value would be sealed to fewer keys than it says', () => {
    expect(configError(() => ageRecipientsFor(rules([{ age: a.recipient, pgp: 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4' }]), 'secrets/x.d/T.enc.yaml')).toJSON()).toEqual({
      file: '.sops.yaml',
      field: 'creation_rules[0].pgp',
      reason: 'the console seals to age recipients only',
    });
  });

  it('refuses a path no rule covers, a rule without age recipients, a bad recipient and a bad regex, naming the field', () => {
    const refusal = (text: string) => configError(() => ageRecipientsFor(text, 'secrets/edge-c.d/T.enc.yaml')).toJSON();
    expect(refusal(rules([{ path_regex: '^secrets/edge-a', age: a.recipient }]))).toEqual({
      file: '.sops.yaml',
      field: 'creation_rules',
      reason: "no rule's path_regex matches secrets/edge-c.d/T.enc.yaml",
    });
    expect(refusal(rules([{ path_regex: 'edge-c' }]))).toEqual({
      file: '.sops.yaml',
      field: 'creation_rules[0].age',
      reason: 'the rule for secrets/edge-c.d/T.enc.yaml names no age recipient',
    });
    expect(refusal(rules([{ age: 'age1notakey' }]))).toMatchObject({ field: 'creation_rules[0].age', reason: expect.stringMatching(/^invalid age recipient "age1notakey"/) });
    expect(refusal(rules([{ age: a.identity }])).reason).toBe(
      'age recipient is an AGE-SECRET-KEY-1… secret key, not an age1… public key (the secret key is not shown)',
    );
    expect(refusal(rules([{ path_regex: '(', age: a.recipient }]))).toEqual({
      file: '.sops.yaml',
      field: 'creation_rules[0].path_regex',
      reason: 'not a regular expression this console reads the way sops does',
    });
    expect(refusal('creation_rules: []\n')).toMatchObject({ field: 'creation_rules', reason: 'names no rule' });
  });
});
