import { stringify } from 'yaml';
import type { Group, Profile } from '../config/fleet-taxonomy';
import { OPT_OUT_FILE, type InsecureGate } from '../config/insecure-opt-out';
import type { Plane } from '../config/service-planes';
import { ALLOWED_SIGNERS } from '../repo/commit-signature';
import { DEMO_APP } from './demo-images';
import { DEMO_PAYOUT_ADDRESSES, payoutAddressesYaml, payoutPolicyYaml } from './sample-payouts';

export interface SampleCluster {
  id: string;
  group: Group;
  profiles: Profile[];
  wave: string;
  /** Default: site=lab, hardware=pi5. */
  labels?: Record<string, string>;
}

export interface SampleFleetOptions {
  clusters?: SampleCluster[];
  /** Image tag for every service unless `serviceVersions` names one. */
  version?: string;
  serviceVersions?: Record<string, string>;
  /** Services started with DEMO_FAIL=1: they run but never pass their healthcheck. */
  failing?: string[];
  /** Services that start serving only after this many seconds (a grace period keeps them "starting"). */
  slow?: Record<string, number>;
  /** The `waves:` list of clusters.yaml (names or gate objects); default: the built-in waves. */
  waves?: unknown[];
  driftCheckSeconds?: number;
  /** Image reference per version (`registry/lucid/demo-app@sha256:…`) instead of the local tag. */
  images?: Record<string, string>;
  /** Written as policies/images.yaml: the image gates apply. */
  imagePolicy?: ImagePolicyOptions;
  /** Lines of policies/allowed-signers (`<principal> namespaces="git" <key>`): commits must be signed by one. */
  allowedSigners?: string[];
  /**
   * Written as policies/lucid.yaml's `insecure:` (false: no lucid.yaml). Default: opt out of exactly the gates
   * the fleet leaves unconfigured (no allowedSigners, no imagePolicy), so a test fleet's shortcut is in its repo.
   */
  insecure?: Partial<Record<InsecureGate, boolean>> | false;
}

/** The default opt-out of a sample fleet: what its options leave unconfigured; none for a signed, pinned fleet. */
function defaultInsecure(opts: SampleFleetOptions): Partial<Record<InsecureGate, boolean>> | false {
  const insecure = { ...(opts.allowedSigners ? {} : { unsignedCommits: true }), ...(opts.imagePolicy ? {} : { unpinnedImages: true }) };
  return Object.keys(insecure).length ? insecure : false;
}

export interface ImagePolicyOptions {
  registries: string[];
  signers: Array<{ name: string; publicKey: string }>;
  budget: { critical: number; high: number };
}

export function imagePolicyYaml(p: ImagePolicyOptions): string {
  return stringify({ registries: p.registries, signers: p.signers, vulnerabilityBudget: p.budget });
}

export const SAMPLE_CLUSTERS: SampleCluster[] = [
  { id: 'bc-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' },
  { id: 'ss-a', group: 'sessions', profiles: ['sessions'], wave: 'core' },
];

/**
 * One service per profile is enough to show profile selection; the ledger keeps data in a named volume.
 * Planes as SPEC-3 draws them: the chain services on `chain`, walletd and the TRON node alone on `wallet`.
 */
const SERVICES: Array<{ name: string; profile?: Profile; volume?: string; plane: Plane }> = [
  { name: 'beta', plane: 'ops' },
  { name: 'blockchain-core', profile: 'blockchain', plane: 'chain' },
  { name: 'blockchain-ledger', profile: 'blockchain', volume: 'ledger-data', plane: 'chain' },
  { name: 'sessions-gateway', profile: 'sessions', plane: 'ops' },
  { name: 'node-worker', profile: 'node', plane: 'ops' },
  { name: 'admin-api', profile: 'admin', plane: 'ops' },
  { name: 'walletd', profile: 'admin', plane: 'wallet' },
  { name: 'tron-node', profile: 'admin', plane: 'wallet' },
  { name: 'metrics', profile: 'observability', plane: 'ops' },
];

/** The files of a config repo in the SPEC-3/SPEC-4 layout, runnable on the local engine. */
export function sampleFleetFiles(opts: SampleFleetOptions = {}): Record<string, string> {
  const clusters = opts.clusters ?? SAMPLE_CLUSTERS;
  const services: Record<string, unknown> = {};
  const volumes: Record<string, object> = {};
  for (const s of SERVICES) {
    const version = opts.serviceVersions?.[s.name] ?? opts.version ?? 'v1';
    services[s.name] = {
      image: opts.images?.[version] ?? `${DEMO_APP}:${version}`,
      // An init as PID 1 forwards SIGTERM, so a replaced container stops at once instead of after the grace period.
      init: true,
      ...(s.profile ? { profiles: [s.profile] } : {}),
      environment: {
        SERVICE: s.name,
        CLUSTER_ID: '${CLUSTER_ID}',
        ...(opts.failing?.includes(s.name) ? { DEMO_FAIL: '1' } : {}),
        ...(opts.slow?.[s.name] ? { DEMO_DELAY: String(opts.slow[s.name]) } : {}),
      },
      ...(opts.slow?.[s.name]
        ? {
            healthcheck: {
              test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/version'],
              interval: '1s',
              timeout: '2s',
              retries: 3,
              start_period: `${opts.slow[s.name]! + 30}s`,
            },
          }
        : {}),
      // The demo app serves on 8080, on its plane only.
      labels: { 'com.lucid.plane': s.plane, 'com.lucid.service': s.name, 'com.lucid.expose': '8080' },
      ...(s.volume ? { volumes: [`${s.volume}:/data`] } : {}),
    };
    if (s.volume) volumes[s.volume] = {};
  }
  const files: Record<string, string> = {
    'compose/docker-compose.yml': stringify({ services, volumes }),
    'clusters/clusters.yaml': stringify({
      ...(opts.waves ? { waves: opts.waves } : {}),
      ...(opts.driftCheckSeconds ? { driftCheckSeconds: opts.driftCheckSeconds } : {}),
      clusters: clusters.map((c) => ({ ...c, labels: c.labels ?? { site: 'lab', hardware: 'pi5' }, env: `clusters/${c.id}/.env` })),
    }),
  };
  if (opts.imagePolicy) files['policies/images.yaml'] = imagePolicyYaml(opts.imagePolicy);
  if (opts.allowedSigners) files[ALLOWED_SIGNERS] = `${opts.allowedSigners.join('\n')}\n`;
  const insecure = opts.insecure ?? defaultInsecure(opts);
  if (insecure) files[OPT_OUT_FILE] = stringify({ insecure });
  // The demo node is paid for its anchored sessions once a dry run has unpaused the monthly Schedule.
  files['policies/payouts.yaml'] = payoutPolicyYaml();
  files['clusters/payout-addresses.yaml'] = payoutAddressesYaml(DEMO_PAYOUT_ADDRESSES);
  for (const c of clusters) {
    files[`clusters/${c.id}/.env`] = [
      `CLUSTER_ID=${c.id}`,
      `PROFILES=${c.profiles.join(',')}`,
      'BETA_PLANES=ops,chain,wallet',
      'TOR_SOCKS=beta:9050',
      'MONGO_RS=rs0',
      'MONGO_SHARD_RANGE=0-1023',
      'TRON_MODE=shasta',
      'S3_ACCESS_KEY=enc:sops',
      '',
    ].join('\n');
  }
  return files;
}
