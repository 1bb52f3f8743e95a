import { createPublicKey, verify } from 'node:crypto';
import { preAuthEncoding } from '../../supply-chain/attestations';
import { dsseEnvelope, inTotoStatement } from '../../supply-chain/cosign-attest';
import { generateCosignKeyPair, loadCosignPrivateKey } from '../../supply-chain/cosign-key';
import { pinnedImage, simpleSigningPayload } from '../../supply-chain/cosign-sign';
import { goJson, type GoJson } from '../../supply-chain/go-json';

/**
 * The bytes the TypeScript signer signs, against what cosign v2.6.5 wrote to a
 * registry for the same image and predicate files (captured from the real
 * binary; test/supply-chain/cosign-interop.test.ts checks the live round trip).
 */
const DIGEST = 'sha256:44131372ec16f54579f9f0892f96ef917bcdab0b974ff2fc044b2e18aadc227e';
const IMAGE = pinnedImage(`127.0.0.1:15600/probe/app@${DIGEST}`);
const SUBJECT = `"subject":[{"name":"127.0.0.1:15600/probe/app","digest":{"sha256":"${DIGEST.slice(7)}"}}]`;

// A throwaway key made by `cosign generate-key-pair` with an empty password, for the key-format test only.
const COSIGN_KEY = `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----
eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjo2NTUzNiwiciI6
OCwicCI6MX0sInNhbHQiOiJyS2ZUNGNOaWVmQmJjSFV2c2RYd2RxNVNWeWpIZnRD
ODRiMXB6T3lKYXNvPSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94
Iiwibm9uY2UiOiJWQ0wxelN1OWJMdjhIOHgvSzIrK3R0VzhzWWF0TlBBQSJ9LCJj
aXBoZXJ0ZXh0IjoiYXJKamhWSFFHYXFwS05FWlA2MTJtSGNsNGp2S3hrUGR0bWM4
N3lSV2M3c1hVSVUyR0g2QnVIVXErZGZIUk5XUFhrNFNkek9tR2hmMDlIVjA3Y2lX
dmdlQ1ZnbUlzTnJpbHhncW12c09LTktqWU9SbVQvVDJ2Y1MraXJYNzdJS2JPc1Ar
enQveGFPZEN5b2ZUbHptK284YXNHbThHOG5WVUVoNVJhK1Q2V1RKUDZJSDNLUTFw
WVhEYUpxeEQ1T09way9UYmRpZGNSV0Rtcmc9PSJ9
-----END ENCRYPTED SIGSTORE PRIVATE KEY-----
`;
const COSIGN_PUB = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2EmPtHrSer/0V20BxUFlmmkKnWjq
B/2gnnXCVT4z1A3Hr/f4N7cM5kPk9MrWBtZMrPEKqAi1C5LLjBFpbArzHQ==
-----END PUBLIC KEY-----
`;

describe('cosign payloads, byte for byte', () => {
  it('the simple-signing payload of `cosign sign`', () => {
    expect(simpleSigningPayload(IMAGE).toString()).toBe(
      `{"critical":{"identity":{"docker-reference":"127.0.0.1:15600/probe/app"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`,
    );
  });

  it('names Docker Hub images as go-containerregistry does', () => {
    expect(pinnedImage(`busybox@${DIGEST}`).name).toBe('index.docker.io/library/busybox');
    expect(pinnedImage(`docker.io/acme/app@${DIGEST}`).name).toBe('index.docker.io/acme/app');
    expect(() => pinnedImage('127.0.0.1:5000/app:v1')).toThrow(/sign a digest/);
  });

  it('a vuln statement keeps only cosign\'s struct fields, in its order, with Go\'s zero values and time format', () => {
    const predicate = { scanner: { uri: 'x' }, metadata: { scanStartedOn: '2026-01-01T00:00:00.100+02:00' }, extra: 1 };
    expect(inTotoStatement('vuln', IMAGE.name, DIGEST, predicate).toString()).toBe(
      `{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://cosign.sigstore.dev/attestation/vuln/v1",${SUBJECT},` +
        `"predicate":{"invocation":{"parameters":null,"uri":"","event_id":"","builder.id":""},"scanner":{"uri":"x","version":"","db":{"uri":"","version":""},"result":null},` +
        `"metadata":{"scanStartedOn":"2026-01-01T00:00:00.1+02:00","scanFinishedOn":"0001-01-01T00:00:00Z"}}}`,
    );
    expect(() => inTotoStatement('vuln', IMAGE.name, DIGEST, { metadata: { scanStartedOn: 'yesterday' } })).toThrow(/RFC 3339/);
  });

  it('an spdxjson predicate as a Go map: keys sorted byte-wise, <, >, & and U+2028 escaped, numbers as Go prints float64', () => {
    const predicate = JSON.parse('{"b":"<x>&\\u2028 é 😀","a":[1,2.5,1e21,1e-7,0.000001,123456789012],"10":1,"9":2,"n":null,"t":true,"z":{"ctl":"\\u0001\\b\\f\\n"}}');
    expect(inTotoStatement('spdxjson', IMAGE.name, DIGEST, predicate).toString()).toBe(
      `{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document",${SUBJECT},` +
        String.raw`"predicate":{"10":1,"9":2,"a":[1,2.5,1e+21,1e-7,0.000001,123456789012],"b":"\u003cx\u003e\u0026\u2028 é 😀","n":null,"t":true,"z":{"ctl":"\u0001\b\f\n"}}}`,
    );
    expect(() => inTotoStatement('spdxjson', IMAGE.name, DIGEST, { at: new Date() })).toThrow(/predicate.at: not plain JSON/);
  });

  it('goJson: a Map keeps its order (a Go struct), an object sorts its keys (a Go map)', () => {
    expect(goJson(new Map<string, GoJson>([['z', 1], ['a', { z: 1, a: 2, é: 3, ab: 4 }]]))).toBe('{"z":1,"a":{"a":2,"ab":4,"z":1,"é":3}}');
    expect(() => goJson(NaN)).toThrow(/cannot encode NaN/);
  });

  it('PAE is DSSE\'s, and the envelope\'s signature is over it', () => {
    expect(preAuthEncoding('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
    const key = loadCosignPrivateKey(COSIGN_KEY, '', 'cosign.key');
    const payload = Buffer.from('{"a":1}');
    const envelope = JSON.parse(dsseEnvelope('application/vnd.in-toto+json', payload, key).toString());
    expect(Object.keys(envelope)).toEqual(['payloadType', 'payload', 'signatures']);
    expect(envelope.signatures[0].keyid).toBe('');
    const sig = Buffer.from(envelope.signatures[0].sig, 'base64');
    expect(verify('sha256', preAuthEncoding('application/vnd.in-toto+json', payload), COSIGN_PUB, sig)).toBe(true);
    expect(verify('sha256', payload, COSIGN_PUB, sig)).toBe(false);
  });
});

describe('cosign key files', () => {
  it('decrypts a key cosign generated (scrypt + secretbox) to the key of its cosign.pub', () => {
    const key = loadCosignPrivateKey(COSIGN_KEY, '', 'cosign.key');
    expect(createPublicKey(key).export({ type: 'spki', format: 'pem' })).toBe(COSIGN_PUB);
    expect(() => loadCosignPrivateKey(COSIGN_KEY, 'not-the-password', 'cosign.key')).toThrow('cosign.key: wrong password for the cosign key');
    expect(() => loadCosignPrivateKey(COSIGN_PUB, '', 'cosign.pub')).toThrow(/cosign.pub: not a cosign private key/);
  });

  it('writes keys in the same format, which it reads back', () => {
    const pair = generateCosignKeyPair('pw');
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
    const body = JSON.parse(Buffer.from(pair.privateKeyPem.split('\n').slice(1, -2).join(''), 'base64').toString());
    expect(body).toMatchObject({ kdf: { name: 'scrypt', params: { N: 65536, r: 8, p: 1 } }, cipher: { name: 'nacl/secretbox' } });
    const key = loadCosignPrivateKey(pair.privateKeyPem, 'pw', 'k');
    expect(createPublicKey(key).export({ type: 'spki', format: 'pem' })).toBe(pair.publicKeyPem);
  });
});
