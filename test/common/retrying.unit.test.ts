import { ApplicationFailure } from '@temporalio/common';
import { retrying } from '../../common/retrying';

describe('retrying', () => {
  it('runs a step again after a passing failure, until it succeeds', async () => {
    let calls = 0;
    const result = await retrying(3, 1, async () => {
      if (++calls < 3) throw new Error('container marked for removal');
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('gives up after the last attempt with the last error', async () => {
    let calls = 0;
    await expect(retrying(3, 1, () => Promise.reject(new Error(`attempt ${++calls}`)))).rejects.toThrow('attempt 3');
    expect(calls).toBe(3);
  });

  it('throws a non-retryable failure at once', async () => {
    let calls = 0;
    const refused = () => {
      calls++;
      return Promise.reject(ApplicationFailure.nonRetryable('refused by the gates', 'ConfigError'));
    };
    await expect(retrying(5, 1, refused)).rejects.toThrow('refused by the gates');
    expect(calls).toBe(1);
  });
});
