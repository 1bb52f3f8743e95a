import { InvalidInputError, clusterId, commitRef, fullSha, optionalCommitRef } from '../../common/input-ids';

const SHA = '3e7b1d9a5c2f8e4b6a0d3c7f1e9b5a2d8c4f6e0a';

/** Values an attacker would hand in where a commit or cluster id is expected. */
const OPTION_SHAPED = ['--output=/tmp/x', '-c core.pager=touch /tmp/x', '--upload-pack=touch /tmp/x', '-', '--end-of-options'];

function refusal(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidInputError) return err;
    throw err;
  }
  throw new Error('was accepted');
}

describe('commit refs', () => {
  it('accepts full and abbreviated shas, lowercased', () => {
    expect(commitRef('--commit', SHA)).toBe(SHA);
    expect(commitRef('--commit', SHA.slice(0, 4))).toBe(SHA.slice(0, 4));
    expect(commitRef('--commit', SHA.slice(0, 12).toUpperCase())).toBe(SHA.slice(0, 12));
  });

  it.each([...OPTION_SHAPED, 'HEAD', 'main', 'HEAD~1', `${SHA}^{commit}`, 'abc', 'a'.repeat(41), `${SHA}\n`, ' abcd', 'ghij', ''])(
    'refuses %j',
    (value) => {
      const e = refusal(() => commitRef('--commit', value));
      expect(e.field).toBe('--commit');
      expect(e.value).toBe(JSON.stringify(value));
      expect(e.message).toBe(
        `--commit: ${JSON.stringify(value)} must be a full or abbreviated commit sha (4 to 40 hex digits); refused before it reaches git, a path or a task queue`,
      );
    },
  );

  it('refuses values that are not strings, saying so', () => {
    expect(refusal(() => commitRef('commit', 42)).message).toMatch(/^commit: 42 \(not a string\) must be/);
    expect(refusal(() => commitRef('commit', undefined)).message).toMatch(/^commit: undefined \(not a string\) must be/);
    expect(refusal(() => fullSha('commit', { sha: 'x' })).message).toMatch(/^commit: \{"sha":"x"\} \(not a string\) must be/);
  });

  it('escapes control characters and cuts long values in the message', () => {
    expect(refusal(() => commitRef('commit', 'a\u0000b\u001b[31m')).value).toBe('"a\\u0000b\\u001b[31m"');
    const long = refusal(() => commitRef('commit', `--output=${'x'.repeat(500)}`));
    expect(long.value.length).toBeLessThan(110);
    expect(long.value.endsWith('…"')).toBe(true);
  });

  it('takes an absent optional ref as the branch head, and checks a given one', () => {
    expect(optionalCommitRef('--commit', undefined)).toBeUndefined();
    expect(optionalCommitRef('--commit', 'ABCDEF')).toBe('abcdef');
    expect(refusal(() => optionalCommitRef('--commit', '--output=/tmp/x')).field).toBe('--commit');
  });
});

describe('full shas', () => {
  it('accepts exactly 40 lowercase hex digits', () => {
    expect(fullSha('commit', SHA)).toBe(SHA);
  });

  it.each([...OPTION_SHAPED, SHA.slice(0, 39), SHA.toUpperCase(), `${SHA}0`, 'ab'.repeat(32), `-${SHA.slice(1)}`])('refuses %j', (value) => {
    expect(refusal(() => fullSha('rollbackTo', value)).message).toMatch(/^rollbackTo: .* must be a 40-character lowercase hex commit sha;/);
  });
});

describe('cluster ids', () => {
  it('accepts the inventory id shape', () => {
    expect(clusterId('<id>', 'bc-a')).toBe('bc-a');
    expect(clusterId('<id>', '0'.repeat(40))).toBe('0'.repeat(40));
  });

  it.each([...OPTION_SHAPED, '../x', 'a/b', 'A', '-a', 'a'.repeat(41), 'a b', 'a\n', "a' OR LucidCluster != 'x", ''])('refuses %j', (value) => {
    const e = refusal(() => clusterId('<id>', value));
    expect(e.message).toBe(
      `<id>: ${JSON.stringify(value)} must be lowercase letters, digits and dashes (max 40), starting alphanumeric; refused before it reaches git, a path or a task queue`,
    );
  });
});
