import { runProcess } from '../../process/run-process';

const node = process.execPath;
const env = { PATH: process.env.PATH };

describe('runProcess', () => {
  it('keeps a multi-byte character whole when the process writes it in two reads', async () => {
    // "é" is 0xC3 0xA9: the first byte, a pause long enough for a separate read, then the second.
    const script = "process.stdout.write(Buffer.from([0xc3])); setTimeout(() => process.stdout.write(Buffer.from([0xa9])), 50)";
    const run = await runProcess(node, ['-e', script], { env });
    expect(run).toEqual({ code: 0, stdout: 'é', stderr: '' });
  });

  it('settles with the exit code and stderr of a failing process, leaving the verdict to the caller', async () => {
    const run = await runProcess(node, ['-e', 'process.stderr.write("no such ref"); process.exit(3)'], { env });
    expect(run).toEqual({ code: 3, stdout: '', stderr: 'no such ref' });
  });

  it('gives the child only the environment it is handed', async () => {
    process.env.LUCID_RUN_PROCESS_PROBE = 'inherited';
    try {
      const run = await runProcess(node, ['-e', 'process.stdout.write(JSON.stringify(process.env))'], { env: { ...env, ONLY: 'this' } });
      const seen = JSON.parse(run.stdout) as Record<string, string>;
      expect(seen.ONLY).toBe('this');
      expect(seen.LUCID_RUN_PROCESS_PROBE).toBeUndefined();
    } finally {
      delete process.env.LUCID_RUN_PROCESS_PROBE;
    }
  });

  it('rejects when the command cannot start', async () => {
    await expect(runProcess('/nonexistent/lucid-no-such-tool', [], { env })).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('kills the process when its signal aborts, and ticks while it runs', async () => {
    const abort = new AbortController();
    let ticks = 0;
    const started = Date.now();
    const run = runProcess(node, ['-e', 'setTimeout(() => {}, 60000)'], {
      env,
      signal: abort.signal,
      onTick: () => {
        ticks += 1;
        abort.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(ticks).toBe(1);
    expect(Date.now() - started).toBeLessThan(30000);
  });
});
