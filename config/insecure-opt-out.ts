import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { parseWith, parseYaml, readRepoFile } from './config-files';

/** The one place a config repo may switch a supply-chain gate off, visibly. */
export const OPT_OUT_FILE = 'policies/lucid.yaml';
/** The opt-out file is a few lines; anything bigger is not one. */
export const OPT_OUT_MAX_BYTES = 4096;

export const INSECURE_GATES = ['unsignedCommits', 'unpinnedImages'] as const;
export type InsecureGate = (typeof INSECURE_GATES)[number];

const optOutSchema = z.strictObject({
  insecure: z
    .strictObject({
      /** No policies/allowed-signers: commits are taken unsigned. */
      unsignedCommits: z.boolean().optional(),
      /** No policies/images.yaml: images are taken by tag, unsigned and unattested. */
      unpinnedImages: z.boolean().optional(),
    })
    .optional(),
});

/** The gates policies/lucid.yaml opts out of (true only; `false` or absent leaves the gate on). */
export function parseInsecureOptOut(text: string): Set<InsecureGate> {
  // An empty file, or one holding only comments, opts out of nothing.
  const doc = parseWith(optOutSchema, OPT_OUT_FILE, parseYaml(OPT_OUT_FILE, text) ?? {});
  return new Set(INSECURE_GATES.filter((g) => doc.insecure?.[g] === true));
}

/** policies/lucid.yaml of a work tree (none: no gate is opted out). */
export function loadInsecureOptOut(treeDir: string): Set<InsecureGate> {
  if (!fs.existsSync(path.join(treeDir, OPT_OUT_FILE))) return new Set();
  return parseInsecureOptOut(readRepoFile(treeDir, OPT_OUT_FILE, { max: OPT_OUT_MAX_BYTES }));
}
