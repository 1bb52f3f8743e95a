import { payloadKeys } from '../../config/payload-keys';

/** Fixed test-only keys: `current` encrypts, `previous` is an older key still accepted for decryption. */
export const TEST_PAYLOAD_KEYS = [
  `test-2026-11:${Buffer.alloc(32, 0x42).toString('base64')}`,
  `test-2026-10:${Buffer.alloc(32, 0x17).toString('base64')}`,
].join(',');

export const testKeys = () => payloadKeys({ LUCID_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS })!;
