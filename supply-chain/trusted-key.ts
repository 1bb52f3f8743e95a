import { verify, type KeyObject } from 'node:crypto';

export interface TrustedKey {
  name: string;
  publicKey: KeyObject;
}

/** The first key whose ECDSA-SHA256 signature (DER, as cosign writes it) over `data` verifies. */
export function signedBy(keys: readonly TrustedKey[], data: Buffer, signatureBase64: string): TrustedKey | undefined {
  const signature = Buffer.from(signatureBase64, 'base64');
  if (signature.length === 0) return undefined;
  return keys.find((k) => {
    try {
      return verify('sha256', data, k.publicKey, signature);
    } catch {
      return false; // a malformed signature verifies under no key
    }
  });
}
