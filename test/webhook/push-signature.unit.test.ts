import { verifyPushSignature } from '../../services/webhook/push-signature';
import { SECRET, fixture, giteaHeaders, githubHeaders, hmacHex } from './push-delivery';

const body = fixture('github-push');
const sig = hmacHex(body);

describe('verifyPushSignature: accepted', () => {
  it("accepts GitHub's X-Hub-Signature-256", () => {
    expect(verifyPushSignature(githubHeaders(body), body, SECRET)).toBe(true);
  });

  it("accepts a full Gitea delivery, where every signature header carries the digest", () => {
    const gitea = fixture('gitea-push');
    expect(verifyPushSignature(giteaHeaders(gitea), gitea, SECRET)).toBe(true);
  });

  it('accepts X-Gitea-Signature or X-Gogs-Signature alone', () => {
    expect(verifyPushSignature({ 'x-gitea-signature': sig }, body, SECRET)).toBe(true);
    expect(verifyPushSignature({ 'x-gogs-signature': sig }, body, SECRET)).toBe(true);
  });

  it('accepts uppercase hex', () => {
    expect(verifyPushSignature({ 'x-hub-signature-256': `sha256=${sig.toUpperCase()}` }, body, SECRET)).toBe(true);
  });

  it('signs an empty body like any other', () => {
    const empty = Buffer.alloc(0);
    expect(verifyPushSignature({ 'x-gitea-signature': hmacHex(empty) }, empty, SECRET)).toBe(true);
  });
});

describe('verifyPushSignature: rejected', () => {
  it('rejects a signature made with another secret', () => {
    expect(verifyPushSignature(githubHeaders(body, 'push', 'not-the-secret'), body, SECRET)).toBe(false);
  });

  it('rejects a body changed after signing', () => {
    const tampered = Buffer.from(body.toString('utf8').replace('"ana-ferreira"', '"mallory"'));
    expect(tampered.equals(body)).toBe(false);
    expect(verifyPushSignature(githubHeaders(body), tampered, SECRET)).toBe(false);
  });

  it('rejects a delivery without any signature header', () => {
    const { 'x-hub-signature-256': _, ...unsigned } = githubHeaders(body);
    expect(verifyPushSignature(unsigned, body, SECRET)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['sha256= with nothing after it', 'sha256='],
    ['no sha256= prefix', sig],
    ['another algorithm', `sha1=${sig}`],
    ['one hex digit short', `sha256=${sig.slice(1)}`],
    ['one byte too long', `sha256=${sig}00`],
    ['not hex', `sha256=${'z'.repeat(64)}`],
    ['two values joined by a proxy', `sha256=${sig}, sha256=${sig}`],
  ])('rejects a malformed X-Hub-Signature-256: %s', (_what, value) => {
    expect(verifyPushSignature({ 'x-hub-signature-256': value }, body, SECRET)).toBe(false);
  });

  it('rejects a Gitea signature with a sha256= prefix', () => {
    expect(verifyPushSignature({ 'x-gitea-signature': `sha256=${sig}` }, body, SECRET)).toBe(false);
  });

  it('rejects a header repeated as a list', () => {
    expect(verifyPushSignature({ 'x-gitea-signature': [sig] as unknown as string }, body, SECRET)).toBe(false);
  });

  it('rejects when one of several signature headers does not match', () => {
    const gitea = fixture('gitea-push');
    const headers = { ...giteaHeaders(gitea), 'x-gogs-signature': hmacHex(gitea, 'forged') };
    expect(verifyPushSignature(headers, gitea, SECRET)).toBe(false);
  });

  it('refuses to verify with an empty secret rather than accept anything signed with it', () => {
    expect(() => verifyPushSignature(githubHeaders(body, 'push', ''), body, '')).toThrow(/webhook secret is empty/);
  });
});
