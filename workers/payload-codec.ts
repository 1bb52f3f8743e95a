import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import sodium from 'sodium-native';
import type { PayloadKey } from '../config/payload-keys';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const CIPHER = 'xchacha20-poly1305';
const NONCE = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
const TAG = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES;

const text = (s: string) => Buffer.from(s);

/**
 * Encrypts every payload (inputs, results, heartbeats, signals, queries) before
 * it leaves the process, so Temporal's history and database hold ciphertext
 * only. XChaCha20-Poly1305 with a fresh random 24-byte nonce per payload (no
 * counter to keep across processes); the key id travels in the metadata and is
 * the associated data, so a payload cannot be passed off under another key.
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: PayloadKey[]) {
    if (keys.length === 0) throw new Error('EncryptionCodec needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys[0]!;
    return payloads.map((p) => {
      const plain = Buffer.from(temporal.api.common.v1.Payload.encode(p).finish());
      const nonce = Buffer.alloc(NONCE);
      sodium.randombytes_buf(nonce);
      const sealed = Buffer.alloc(plain.length + TAG);
      sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, plain, text(id), null, nonce, key);
      return {
        metadata: { encoding: text(ENCRYPTED_ENCODING), 'encryption-cipher': text(CIPHER), 'encryption-key-id': text(id) },
        data: Buffer.concat([nonce, sealed]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (Buffer.from(p.metadata?.encoding ?? []).toString() !== ENCRYPTED_ENCODING) return p;
      const id = Buffer.from(p.metadata?.['encryption-key-id'] ?? []).toString();
      const key = this.byId.get(id);
      if (!key) throw new Error(`payload encrypted with key '${id}', which this process does not hold (LUCID_PAYLOAD_KEYS)`);
      const data = Buffer.from(p.data ?? []);
      if (data.length < NONCE + TAG) throw new Error(`payload under key '${id}' is truncated`);
      const sealed = data.subarray(NONCE);
      const plain = Buffer.alloc(sealed.length - TAG);
      try {
        sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(plain, null, sealed, text(id), data.subarray(0, NONCE), key);
      } catch {
        throw new Error(`payload under key '${id}' failed authentication (tampered, or a different key with the same id)`);
      }
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

/** The data converter every Lucid client and worker uses: encrypted when keys are configured. */
export function lucidDataConverter(keys: PayloadKey[] | undefined): DataConverter | undefined {
  return keys ? { payloadCodecs: [new EncryptionCodec(keys)] } : undefined;
}
