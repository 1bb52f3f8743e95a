import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Deliveries the way GitHub and Gitea send them, built from the payloads under fixtures/. */

export const SECRET = 'lucid-webhook-test-secret-of-32-bytes-or-more';

export type Fixture = 'github-push' | 'github-branch-deleted' | 'github-ping' | 'gitea-push';

/** The fixture's exact bytes: signatures cover what is sent, formatting included. */
export function fixture(name: Fixture): Buffer {
  return fs.readFileSync(path.join(__dirname, 'fixtures', `${name}.json`));
}

/** The fixture parsed, changed by `edit`, and serialized again the way a server would send it. */
export function editedFixture(name: Fixture, edit: (payload: Record<string, unknown>) => void): Buffer {
  const payload = JSON.parse(fixture(name).toString('utf8')) as Record<string, unknown>;
  edit(payload);
  return Buffer.from(JSON.stringify(payload));
}

/** What the github-push fixture says, read independently of the parser. */
export const GITHUB_PUSH = {
  provider: 'github',
  ref: 'refs/heads/main',
  branch: 'main',
  after: '3e7b1d9a5c2f8e4b6a0d3c7f1e9b5a2d8c4f6e0a',
  before: '9c1f2a7d4e0b3c6a8f5d2e1b7a4c9d0e3f6a8b2c',
  deleted: false,
  pusher: 'ana-ferreira',
  repository: 'lucid-ops/fleet-config',
} as const;

export function hmacHex(body: Buffer, secret = SECRET): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Lowercase names, as Node hands headers to the server. */
export function githubHeaders(body: Buffer, event = 'push', secret = SECRET): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/8f2c1a4',
    'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    'x-github-event': event,
    'x-github-hook-id': '509831274',
    'x-hub-signature-256': `sha256=${hmacHex(body, secret)}`,
  };
}

/** Gitea signs once and sends the digest under its own, Gogs' and GitHub's header names (plus a SHA-1 one). */
export function giteaHeaders(body: Buffer, event = 'push', secret = SECRET): Record<string, string> {
  const sig = hmacHex(body, secret);
  const delivery = '9b4c0a6e-3f1d-4e8a-b2c7-5d9e1f0a3b6c';
  return {
    'content-type': 'application/json',
    'user-agent': 'Go-http-client/1.1',
    'x-gitea-delivery': delivery,
    'x-gitea-event': event,
    'x-gitea-event-type': event,
    'x-gitea-signature': sig,
    'x-gogs-delivery': delivery,
    'x-gogs-event': event,
    'x-gogs-event-type': event,
    'x-gogs-signature': sig,
    'x-hub-signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`,
    'x-hub-signature-256': `sha256=${sig}`,
    'x-github-delivery': delivery,
    'x-github-event': event,
    'x-github-event-type': event,
  };
}
