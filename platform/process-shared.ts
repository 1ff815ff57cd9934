/** One use of something a process shares: its value, and the release that stops it after the last user. */
export interface SharedUse<T> {
  value: T;
  release(): Promise<void>;
}

/**
 * Something made once per process and key however many users start it (subgraphs started together in one process, as
 * test stacks run them), and stopped when the last one lets go. A start that fails is forgotten, so the next user
 * tries again.
 */
export function sharedPerProcess<T>(start: (key: string) => Promise<T>, stop: (value: T) => Promise<void>): (key: string) => Promise<SharedUse<T>> {
  const running = new Map<string, { users: number; value: Promise<T> }>();
  return async (key) => {
    let current = running.get(key);
    if (!current) running.set(key, (current = { users: 0, value: start(key) }));
    current.users += 1;
    let value: T;
    try {
      value = await current.value;
    } catch (error) {
      if (running.get(key) === current) running.delete(key);
      throw error;
    }
    const use = current;
    let released = false;
    return {
      value,
      async release() {
        if (released) return;
        released = true;
        use.users -= 1;
        if (use.users > 0) return;
        running.delete(key);
        await stop(value);
      },
    };
  };
}
