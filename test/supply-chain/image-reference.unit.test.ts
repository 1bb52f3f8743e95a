import { cosignTag, isDigest, parseImageReference } from '../../supply-chain/image-reference';

const D = `sha256:${'ab'.repeat(32)}`;

describe('parseImageReference', () => {
  it.each([
    [`127.0.0.1:5000/lucid/app@${D}`, { registry: '127.0.0.1:5000', repository: 'lucid/app', tag: undefined, digest: D }],
    [`127.0.0.1:5000/lucid/app:v1@${D}`, { registry: '127.0.0.1:5000', repository: 'lucid/app', tag: 'v1', digest: D }],
    ['registry.example.org/app:v1', { registry: 'registry.example.org', repository: 'app', tag: 'v1', digest: undefined }],
    ['localhost/app', { registry: 'localhost', repository: 'app', tag: undefined, digest: undefined }],
    ['lucid-local/demo-app:v1', { registry: 'docker.io', repository: 'lucid-local/demo-app', tag: 'v1', digest: undefined }],
    ['busybox', { registry: 'docker.io', repository: 'busybox', tag: undefined, digest: undefined }],
  ])('%s', (ref, expected) => {
    expect(parseImageReference(ref)).toEqual(expected);
  });

  it('knows a sha256 digest from anything else', () => {
    expect(isDigest(D)).toBe(true);
    expect(isDigest('sha256:abc')).toBe(false);
    expect(isDigest(`sha512:${'ab'.repeat(32)}`)).toBe(false);
    expect(isDigest(undefined)).toBe(false);
  });

  it("names cosign's signature and attestation tags", () => {
    expect(cosignTag(D, 'sig')).toBe(`sha256-${'ab'.repeat(32)}.sig`);
    expect(cosignTag(D, 'att')).toBe(`sha256-${'ab'.repeat(32)}.att`);
  });
});
