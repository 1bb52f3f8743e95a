import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { stringify } from 'yaml';
import { checkCommitGates } from '../supply-chain/commit-gates';
import { ConfigRepoWriter } from '../demo/config-repo-writer';
import { DEMO_APP, ensureDemoImages } from '../demo/demo-images';
import { generateReleaseKey, pushImage, releaseImage, type ReleaseKey } from '../demo/image-release';
import { imagePolicyYaml, sampleFleetFiles } from '../demo/sample-fleet';
import { DEFAULT_ALLOWLIST } from '../config/fleet-taxonomy';
import { downStack, ensureRegistry } from '../services/stack/embedded-stack';
import { toolPaths } from '../services/stack/tool-paths';

/**
 * bench:gates: the policy gates for a commit with 30 images (each pinned,
 * signed, with an SBOM and a vulnerability report), with a cold verdict cache
 * (every manifest, blob and signature fetched and verified) and a warm one
 * (two artifact manifests per image fetched to see nothing changed). For
 * scale: the real `cosign verify` of the same 30 signatures, one process each.
 */
const IMAGES = Number(process.env.BENCH_IMAGES ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const run = promisify(execFile);

async function buildVariant(docker: Docker, i: number): Promise<string> {
  const tag = `lucid-local/bench-gate:${i}`;
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-bench-image-'));
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${DEMO_APP}:v1\nLABEL com.lucid.bench.variant=${i}\n`);
  const stream = await docker.buildImage({ context: ctx, src: ['Dockerfile'] }, { t: tag, rm: true });
  await new Promise((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve(undefined))));
  fs.rmSync(ctx, { recursive: true, force: true });
  return tag;
}

async function release(docker: Docker, registry: string, key: ReleaseKey, i: number): Promise<string> {
  const ref = await pushImage(docker, await buildVariant(docker, i), registry, `bench/svc-${i}`, 'v1');
  await releaseImage(key, ref, { packages: [{ name: 'busybox-static', version: 'bench' }], findings: { critical: 0, high: 1 }, scanner: 'pkg:generic/bench-scanner' });
  return ref;
}

/** A one-cluster repo whose compose file has one service per image, all allowed for the cluster's group. */
function benchRepoFiles(registry: string, key: ReleaseKey, refs: string[]): Record<string, string> {
  const base = sampleFleetFiles({ clusters: [{ id: 'bench-a', group: 'blockchain', profiles: ['blockchain'], wave: 'canary' }] });
  const names = refs.map((_, i) => `svc-${String(i).padStart(2, '0')}`);
  const services = Object.fromEntries(refs.map((image, i) => [names[i], { image, profiles: ['blockchain'] }]));
  return {
    ...base,
    'compose/docker-compose.yml': stringify({ services }),
    'policies/allowlist.yaml': stringify({ ...DEFAULT_ALLOWLIST, groups: { ...DEFAULT_ALLOWLIST.groups, blockchain: { profiles: ['blockchain'], services: names } } }),
    'policies/images.yaml': imagePolicyYaml({ registries: [registry], signers: [{ name: key.name, publicKey: key.publicKey }], budget: { critical: 0, high: 1 } }),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-bench-gates-'));
  const docker = new Docker();
  try {
    await ensureDemoImages(docker);
    const registry = await ensureRegistry(dataDir, 37500);
    const key = await generateReleaseKey(path.join(dataDir, 'key'), 'release');
    const refs: string[] = [];
    for (let i = 0; i < IMAGES; i++) refs.push(await release(docker, registry, key, i));
    const repo = await ConfigRepoWriter.open(path.join(dataDir, 'config.git'));
    const sha = await repo.commit(benchRepoFiles(registry, key, refs), `${IMAGES} images`, { replaceAll: true });
    const gate = (cacheDir: string) => checkCommitGates({ gitDir: repo.workDir, sha, treeDir: repo.workDir, cacheDir });

    const cold: number[] = [];
    const warm: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const cacheDir = path.join(dataDir, `cache-${r}`);
      let t = performance.now();
      const { images } = await gate(cacheDir);
      cold.push(performance.now() - t);
      if (images.length !== IMAGES) throw new Error(`gated ${images.length} images, expected ${IMAGES}`);
      t = performance.now();
      await gate(cacheDir);
      warm.push(performance.now() - t);
    }

    const t = performance.now();
    for (const ref of refs) {
      await run(toolPaths().cosign, ['verify', '--key', path.join(dataDir, 'key', 'cosign.pub'), '--insecure-ignore-tlog=true', ref], { env: { ...process.env, HOME: dataDir } });
    }
    const cosignMs = performance.now() - t;
    const c = median(cold);
    const w = median(warm);
    process.stdout.write(
      [
        `bench:gates (${IMAGES} images, each signed + SBOM + vulnerability report; ${ROUNDS} rounds, medians)`,
        `  gates, cold cache      ${c.toFixed(0)} ms   (${(c / IMAGES).toFixed(1)} ms per image: signature, SBOM and report verified)`,
        `  gates, warm cache      ${w.toFixed(0)} ms   (${(w / IMAGES).toFixed(1)} ms per image)   ratio warm/cold ${(w / c).toFixed(3)}`,
        `  cosign verify, 1 process per image, signatures only   ${cosignMs.toFixed(0)} ms   ratio cold gates/cosign ${(c / cosignMs).toFixed(3)}`,
        '',
      ].join('\n'),
    );
  } finally {
    await downStack(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:gates: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
