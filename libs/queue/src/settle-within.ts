/**
 * The work's outcome, or what `late()` gives if the work has not settled within `ms` (a value, or a
 * rejected promise to fail). The timer is cleared either way: nothing lingers to keep a process up.
 */
export async function settleWithin<T, L>(work: Promise<T>, ms: number, late: () => L | Promise<L>): Promise<T | L> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<L>((resolve) => (timer = setTimeout(() => resolve(late()), ms)));
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
