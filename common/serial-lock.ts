/**
 * Runs the functions given to it one at a time, in the order they came: the
 * next starts once the last has settled, whether it resolved or threw.
 */
export class SerialLock {
  private last: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.last.then(fn, fn);
    this.last = next.catch(() => undefined);
    return next;
  }
}
