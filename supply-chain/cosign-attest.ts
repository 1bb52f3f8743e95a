import { sign, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { preAuthEncoding } from './attestations';
import { appendCosignLayer } from './cosign-artifact';
import { pinnedImage, SIGNATURE_ANNOTATION } from './cosign-sign';
import { asGoValue, GO_ZERO_TIME, goJson, type GoJson } from './go-json';
import { RegistryWriter } from './registry-writer';

const DSSE_ENVELOPE = 'application/vnd.dsse.envelope.v1+json';
const IN_TOTO = 'application/vnd.in-toto+json';

/** The `cosign attest --type` values Lucid's release uses, and the predicate types cosign gives them. */
export const PREDICATE_TYPES = {
  spdxjson: 'https://spdx.dev/Document',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
} as const;
export type AttestationType = keyof typeof PREDICATE_TYPES;

// Go's time.Time reads RFC 3339 and writes RFC3339Nano: trailing zeros of the fraction dropped, a zero offset as Z.
const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;
const goTime = z
  .string()
  .regex(RFC3339, 'an RFC 3339 time')
  .transform((s) => {
    const [, base, fraction = '', offset] = RFC3339.exec(s) as RegExpExecArray;
    const trimmed = fraction.replace(/0+$/, '');
    return `${base}${trimmed ? `.${trimmed}` : ''}${/^[+-]00:00$/.test(offset) ? 'Z' : offset}`;
  });

/** cosign's CosignVulnPredicate: what `--type vuln` keeps of a predicate file (unknown fields dropped, missing or null ones zero). */
const vulnPredicate = z.object({
  invocation: z
    .object({ parameters: z.unknown().optional(), uri: z.string().nullish(), event_id: z.string().nullish(), 'builder.id': z.string().nullish() })
    .nullish(),
  scanner: z
    .object({
      uri: z.string().nullish(),
      version: z.string().nullish(),
      db: z.object({ uri: z.string().nullish(), version: z.string().nullish() }).nullish(),
      result: z.unknown().optional(),
    })
    .nullish(),
  metadata: z.object({ scanStartedOn: goTime.nullish(), scanFinishedOn: goTime.nullish() }).nullish(),
});

function vulnStruct(predicate: unknown): GoJson {
  const parsed = vulnPredicate.safeParse(predicate);
  if (!parsed.success) throw new Error(`vuln predicate: ${parsed.error.message}`);
  const { invocation: i, scanner: s, metadata: m } = parsed.data;
  return new Map<string, GoJson>([
    [
      'invocation',
      new Map<string, GoJson>([
        ['parameters', asGoValue(i?.parameters ?? null, 'invocation.parameters')],
        ['uri', i?.uri ?? ''],
        ['event_id', i?.event_id ?? ''],
        ['builder.id', i?.['builder.id'] ?? ''],
      ]),
    ],
    [
      'scanner',
      new Map<string, GoJson>([
        ['uri', s?.uri ?? ''],
        ['version', s?.version ?? ''],
        ['db', new Map([['uri', s?.db?.uri ?? ''], ['version', s?.db?.version ?? '']])],
        ['result', asGoValue(s?.result ?? null, 'scanner.result')],
      ]),
    ],
    ['metadata', new Map([['scanStartedOn', m?.scanStartedOn ?? GO_ZERO_TIME], ['scanFinishedOn', m?.scanFinishedOn ?? GO_ZERO_TIME]])],
  ]);
}

/** The in-toto statement `cosign attest --type <type>` makes for a digest, byte for byte. */
export function inTotoStatement(type: AttestationType, name: string, digest: string, predicate: unknown): Buffer {
  const statement = new Map<string, GoJson>([
    ['_type', 'https://in-toto.io/Statement/v0.1'],
    ['predicateType', PREDICATE_TYPES[type]],
    ['subject', [new Map<string, GoJson>([['name', name], ['digest', { sha256: digest.slice('sha256:'.length) }]])]],
    ['predicate', type === 'vuln' ? vulnStruct(predicate) : asGoValue(predicate, 'predicate')],
  ]);
  return Buffer.from(goJson(statement));
}

/** A DSSE envelope around a payload, signed over its pre-authentication encoding (no key ID, as cosign writes it). */
export function dsseEnvelope(payloadType: string, payload: Buffer, privateKey: KeyObject): Buffer {
  const sig = sign('sha256', preAuthEncoding(payloadType, payload), privateKey).toString('base64');
  const envelope = new Map<string, GoJson>([
    ['payloadType', payloadType],
    ['payload', payload.toString('base64')],
    ['signatures', [new Map([['keyid', ''], ['sig', sig]])]],
  ]);
  return Buffer.from(goJson(envelope));
}

/**
 * What `cosign attest --key <key> --tlog-upload=false --type <type> --predicate
 * <file> <image@digest>` does: the statement in a signed DSSE envelope,
 * appended to the digest's `.att` artifact (never deduplicated, as cosign
 * appends a re-attestation too).
 */
export async function cosignAttest(privateKey: KeyObject, ref: string, type: AttestationType, predicate: unknown): Promise<void> {
  const image = pinnedImage(ref);
  const envelope = dsseEnvelope(IN_TOTO, inTotoStatement(type, image.name, image.digest, predicate), privateKey);
  await appendCosignLayer(new RegistryWriter(image.registry), image.repository, image.digest, 'att', {
    mediaType: DSSE_ENVELOPE,
    body: envelope,
    annotations: { [SIGNATURE_ANNOTATION]: '', predicateType: PREDICATE_TYPES[type] },
  });
}
