import { PushEventError, parsePushEvent, webhookEvent } from '../../services/webhook/push-event';
import { GITHUB_PUSH, editedFixture, fixture, giteaHeaders, githubHeaders } from './push-delivery';

const ZERO_SHA = '0'.repeat(40);

function pushEventError(fn: () => unknown): PushEventError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PushEventError) return err;
    throw err;
  }
  throw new Error('expected a PushEventError');
}

/** A GitHub push whose payload was changed by `edit`, parsed. */
function parseEditedGithub(edit: (payload: Record<string, unknown>) => void) {
  const body = editedFixture('github-push', edit);
  return parsePushEvent(githubHeaders(body), body);
}

describe('webhookEvent', () => {
  it('reads a GitHub event, ping included', () => {
    expect(webhookEvent({ 'x-github-event': 'ping' })).toEqual({ provider: 'github', name: 'ping', header: 'X-GitHub-Event' });
  });

  it("prefers Gitea's own header over the X-GitHub-Event it also sends", () => {
    const body = fixture('gitea-push');
    expect(webhookEvent(giteaHeaders(body))).toEqual({ provider: 'gitea', name: 'push', header: 'X-Gitea-Event' });
  });

  it('takes a Gogs event as the Gitea payload shape', () => {
    expect(webhookEvent({ 'x-gogs-event': 'push' })).toEqual({ provider: 'gitea', name: 'push', header: 'X-Gogs-Event' });
  });

  it('rejects a delivery that names no event', () => {
    const e = pushEventError(() => webhookEvent({ 'content-type': 'application/json', 'x-github-event': '' }));
    expect(e.field).toBe('X-GitHub-Event');
    expect(e.reason).toMatch(/^missing/);
  });
});

describe('parsePushEvent: GitHub and Gitea payloads', () => {
  it('reads a GitHub push', () => {
    const body = fixture('github-push');
    expect(parsePushEvent(githubHeaders(body), body)).toEqual(GITHUB_PUSH);
  });

  it('reads a Gitea push, whose pusher has a login and no name', () => {
    const body = fixture('gitea-push');
    expect(parsePushEvent(giteaHeaders(body), body)).toEqual({
      provider: 'gitea',
      ref: 'refs/heads/main',
      branch: 'main',
      after: 'c81f4b7e2a9d5c0f3b6e8a1d4c7f0b3e6a9d2c5f',
      before: '5a9c3e7b1d0f4a8c2e6b0d4f8a2c6e0b4d8f2a6c',
      deleted: false,
      pusher: 'jmatos',
      repository: 'lucid-ops/fleet-config',
    });
  });

  it('reads a GitHub branch deletion', () => {
    const body = fixture('github-branch-deleted');
    const push = parsePushEvent(githubHeaders(body), body);
    expect(push).toMatchObject({ branch: 'main', after: ZERO_SHA, deleted: true });
  });

  it('takes an all-zero after as a deletion without the deleted flag (Gitea sends none)', () => {
    const body = editedFixture('gitea-push', (p) => {
      p.after = ZERO_SHA;
    });
    expect(parsePushEvent(giteaHeaders(body), body).deleted).toBe(true);
  });

  it('takes deleted: true as a deletion', () => {
    expect(parseEditedGithub((p) => (p.deleted = true)).deleted).toBe(true);
  });

  it('has no branch for a tag push', () => {
    const push = parseEditedGithub((p) => (p.ref = 'refs/tags/v2024.11.19'));
    expect(push.ref).toBe('refs/tags/v2024.11.19');
    expect(push.branch).toBeUndefined();
  });

  it('keeps slashes in branch names', () => {
    expect(parseEditedGithub((p) => (p.ref = 'refs/heads/release/2024-11')).branch).toBe('release/2024-11');
  });

  it('falls back to sender.login, and skips empty names', () => {
    expect(parseEditedGithub((p) => delete p.pusher).pusher).toBe('ana-ferreira');
    expect(parseEditedGithub((p) => (p.pusher = { name: '', login: 'ops-bot' })).pusher).toBe('ops-bot');
  });

  it('leaves out what the payload does not say', () => {
    const push = parseEditedGithub((p) => {
      delete p.before;
      delete p.pusher;
      delete p.sender;
      delete p.repository;
    });
    expect(push.before).toBeUndefined();
    expect(push.pusher).toBeUndefined();
    expect(push.repository).toBeUndefined();
  });
});

describe('parsePushEvent: rejections name the field and why', () => {
  it('rejects a body that is not JSON', () => {
    const body = Buffer.from('{"ref": "refs/heads/main",');
    const e = pushEventError(() => parsePushEvent(githubHeaders(body), body));
    expect(e.field).toBe('(body)');
    expect(e.reason).toMatch(/^not valid JSON: /);
    expect(e.message).toMatch(/^push event: \(body\): not valid JSON/);
  });

  it('points at the content type when the webhook sends a form', () => {
    const body = Buffer.from(`payload=${encodeURIComponent(fixture('github-push').toString('utf8'))}`);
    const headers = { ...githubHeaders(body), 'content-type': 'application/x-www-form-urlencoded' };
    const e = pushEventError(() => parsePushEvent(headers, body));
    expect(e.reason).toMatch(/sent as 'application\/x-www-form-urlencoded'; set the webhook content type to application\/json/);
  });

  it('rejects JSON that is not an object', () => {
    const body = Buffer.from('[]');
    expect(pushEventError(() => parsePushEvent(githubHeaders(body), body)).field).toBe('(body)');
  });

  it.each([
    ['a missing after', (p: Record<string, unknown>) => delete p.after, 'after'],
    ['a short after', (p: Record<string, unknown>) => (p.after = '3e7b1d9'), 'after'],
    ['a SHA-256 object id', (p: Record<string, unknown>) => (p.after = 'ab'.repeat(32)), 'after'],
    ['a bad before', (p: Record<string, unknown>) => (p.before = 'HEAD~1'), 'before'],
    ['a short ref', (p: Record<string, unknown>) => (p.ref = 'main'), 'ref'],
    ['a numeric pusher name', (p: Record<string, unknown>) => (p.pusher = { name: 42 }), 'pusher.name'],
    ['a string deleted flag', (p: Record<string, unknown>) => (p.deleted = 'false'), 'deleted'],
  ])('rejects %s', (_what, edit, field) => {
    const e = pushEventError(() => parseEditedGithub(edit));
    expect(e.field).toBe(field);
    expect(e.reason).not.toBe('');
  });

  it('says what a bad sha should look like', () => {
    expect(pushEventError(() => parseEditedGithub((p) => (p.after = 'HEAD'))).toJSON()).toEqual({
      field: 'after',
      reason: 'must be a 40-character lowercase hex commit sha',
    });
  });

  it('rejects an event that is not a push', () => {
    const body = fixture('github-ping');
    expect(pushEventError(() => parsePushEvent(githubHeaders(body, 'ping'), body)).toJSON()).toEqual({
      field: 'X-GitHub-Event',
      reason: "event 'ping' is not a push",
    });
  });
});
