/**
 * Runs `work` over `items` with at most `limit` calls in flight, in order of the items. `work`
 * reports its own failures (it must not throw): one slow or failing item never holds up the
 * others beyond its own slot.
 *
 * @example
 * await forEachLimit(gateways, 32, async (gateway) => { results.push(await deployTo(gateway)); });
 */
export async function forEachLimit<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
