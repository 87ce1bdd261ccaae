import { describe, expect, it } from 'vitest';
import { startGatewaySimulator } from '../../../src/simulators/gateway-controller/index.js';

const GATEWAYS = 10_000;
const CONCURRENT_CHECKS = 3_000;

describe('gateway-controller simulator at fleet scale', () => {
  it(`serves ${GATEWAYS} gateways on two ports and answers ${CONCURRENT_CHECKS} concurrent health checks`, async () => {
    const sim = await startGatewaySimulator({
      gateways: Array.from({ length: GATEWAYS }, (_, i) => ({ name: `gw-${i + 1}`, legacy: i % 10 === 0 })),
    });
    try {
      expect(sim.gateways()).toHaveLength(GATEWAYS);
      // Some gateways are broken; the rest must not notice.
      for (let i = 1; i <= 50; i += 1) sim.setFaults(`gw-${i * 7}`, { down: true });
      for (let i = 1; i <= 50; i += 1) sim.setFaults(`gw-${i * 7 + 1}`, { hang: true });

      const targets = Array.from({ length: CONCURRENT_CHECKS }, (_, i) => `gw-${((i * 3) % GATEWAYS) + 1}`);
      // Legacy controllers answer health on the management port, current ones on the admin port.
      const healthUrl = (name: string): string =>
        Number(name.slice(3)) % 10 === 1 ? `${sim.urlOf(name)}/health` : `${sim.adminUrlOf(name)}/api/admin/v1/health`;
      const expected = targets.map((name) => {
        const n = Number(name.slice(3));
        if (n % 7 === 0 && n <= 350) return 'TypeError';
        if (n % 7 === 1 && n > 1 && n <= 351) return 'TimeoutError';
        return 200;
      });
      const outcomes = await Promise.all(
        targets.map((name, i) =>
          // Hung gateways are given up on quickly; the others get all the time a loaded machine needs.
          fetch(healthUrl(name), { signal: AbortSignal.timeout(expected[i] === 'TimeoutError' ? 500 : 20_000) }).then(
            (res) => res.status,
            (error: Error) => error.name,
          ),
        ),
      );
      expect(outcomes).toEqual(expected);

      // A request given up on while still queued in the client never arrives, so hung ones are left out.
      const answered = targets.filter((_, i) => expected[i] !== 'TimeoutError');
      let total = 0;
      for (const name of answered) total += sim.stats(name).healthChecks;
      expect(total).toBe(answered.length);
      expect(sim.stats('gw-2').healthChecks).toBe(0);
    } finally {
      await sim.close();
    }
  });

  it('adds thousands of gateways at once through the control API', async () => {
    const sim = await startGatewaySimulator({});
    try {
      const body = Array.from({ length: 5_000 }, (_, i) => ({ name: `batch-${i}` }));
      const res = await fetch(`${sim.baseUrl}/__sim/gateways`, { method: 'POST', body: JSON.stringify(body) });
      expect(res.status).toBe(201);
      const added = (await res.json()) as { gateways: { name: string; url: string; adminUrl: string }[] };
      expect(added.gateways).toHaveLength(5_000);
      expect(added.gateways[4_999]).toEqual({
        name: 'batch-4999',
        url: `${sim.baseUrl}/gateways/batch-4999`,
        adminUrl: `${sim.adminBaseUrl}/gateways/batch-4999`,
      });
      const list = (await (await fetch(`${sim.baseUrl}/__sim/gateways`)).json()) as { count: number };
      expect(list.count).toBe(5_000);
    } finally {
      await sim.close();
    }
  });
});
