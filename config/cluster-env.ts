import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { ConfigError } from './config-error';
import { parseWith, readRepoFile } from './config-files';
import type { ClusterSpec } from './inventory';

const PLANES = ['ops', 'chain', 'wallet'] as const;
/** Secrets are never in .env: they are SOPS references resolved on the cluster. */
const sopsRef = z.literal('enc:sops', { error: "must be 'enc:sops' (secrets live in secrets/<id>.enc.yaml)" });

/** The SPEC-4 env template (clusters/<id>/.env). Unknown keys pass: services may read their own. */
const clusterEnvSchema = z.looseObject({
  CLUSTER_ID: z.string({ error: 'is required' }).min(1, 'is required'),
  PROFILES: z.string({ error: 'is required' }).min(1, 'is required'),
  BETA_PLANES: z
    .string({ error: 'is required' })
    .refine((v) => v.split(',').every((p) => (PLANES as readonly string[]).includes(p.trim())), {
      message: `must be a comma-separated subset of ${PLANES.join(',')}`,
    }),
  TOR_SOCKS: z
    .string()
    .regex(/^[^:\s]+:\d{1,5}$/, 'must be host:port')
    .refine((v) => Number(v.split(':')[1]) >= 1 && Number(v.split(':')[1]) <= 65535, 'port must be 1-65535')
    .optional(),
  MONGO_RS: z.string().min(1).optional(),
  MONGO_SHARD_RANGE: z
    .string()
    .regex(/^\d+-\d+$/, 'must be <low>-<high>')
    .refine((v) => Number(v.split('-')[0]) <= Number(v.split('-')[1]), 'low must not exceed high')
    .optional(),
  TRON_MODE: z.enum(['shasta', 'mainnet'], { error: "must be 'shasta' or 'mainnet'" }).optional(),
  S3_ENDPOINT: z.string().min(1).optional(),
  S3_ACCESS_KEY: sopsRef.optional(),
  S3_SECRET_KEY: sopsRef.optional(),
  LEDGER_PUBKEYS: sopsRef.optional(),
});

export type ClusterEnv = Record<string, string>;

export function loadClusterEnv(treeDir: string, cluster: ClusterSpec): ClusterEnv {
  const file = cluster.env;
  const env = parseWith(clusterEnvSchema, file, parseDotenv(readRepoFile(treeDir, file))) as ClusterEnv;
  if (env.CLUSTER_ID !== cluster.id) {
    throw new ConfigError(file, 'CLUSTER_ID', `is '${env.CLUSTER_ID}' but the file belongs to cluster '${cluster.id}'`);
  }
  const listed = env.PROFILES!.split(',').map((p) => p.trim()).sort();
  const wanted = [...cluster.profiles].sort();
  if (listed.join(',') !== wanted.join(',')) {
    throw new ConfigError(
      file,
      'PROFILES',
      `is '${env.PROFILES}' but clusters/clusters.yaml gives cluster '${cluster.id}' profiles '${cluster.profiles.join(',')}'`,
    );
  }
  return env;
}
