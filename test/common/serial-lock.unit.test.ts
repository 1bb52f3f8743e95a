import { SerialLock } from '../../common/serial-lock';

describe('SerialLock', () => {
  it('runs one function at a time in arrival order, and goes on after one that threw', async () => {
    const lock = new SerialLock();
    const log: string[] = [];
    const step = (name: string, ms: number, fail = false) =>
      lock.run(async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([step('a', 30), step('b', 5, true), step('c', 1)]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
