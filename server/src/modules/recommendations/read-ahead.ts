/**
 * Iterates `source` while reading up to `capacity` items ahead of the caller, so a cursor's next
 * batch is fetched while the caller works on the current one. Stopping early or an error closes
 * the source.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, capacity: number): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let queue: T[] = [];
  let head = 0;
  let finished = false;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;

  const pump = (async () => {
    try {
      while (!stopped) {
        if (queue.length - head >= capacity) {
          await new Promise<void>((resolve) => (wakeProducer = resolve));
          continue;
        }
        const result = await iterator.next();
        if (result.done) break;
        queue.push(result.value);
        wakeConsumer?.();
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wakeConsumer?.();
    }
  })();

  try {
    for (;;) {
      if (head === queue.length) {
        if (finished) break;
        await new Promise<void>((resolve) => (wakeConsumer = resolve));
        wakeConsumer = undefined;
        continue;
      }
      const item = queue[head++] as T;
      if (head > 4096) {
        queue = queue.slice(head);
        head = 0;
      }
      wakeProducer?.();
      wakeProducer = undefined;
      yield item;
    }
    if (failure) throw failure.error;
  } finally {
    stopped = true;
    wakeProducer?.();
    await pump;
    await iterator.return?.();
  }
}
