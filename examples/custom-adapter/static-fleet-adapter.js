// An example custom adapter: gateways that live entirely in this process. It shows the contract a
// custom module fulfils: export createAdapter(options, context) returning every GatewayAdapter
// method (src/adapters/adapter.ts). A real one would call its own provisioning system instead.
//
// Select it with gateway.adapter.type: custom and custom.module pointing at this file.

const KINDS = ['LlmProvider', 'LlmProxy', 'Mcp', 'RestApi', 'LlmProviderTemplate'];

export function createAdapter(options = {}, context) {
  const fleets = new Map(); // gateway name → Map("Kind/name" → manifest)
  const resourcesOf = (target) => {
    if (!fleets.has(target.name)) fleets.set(target.name, new Map());
    return fleets.get(target.name);
  };
  const healthy = () => ({ healthy: true, responseTimeMs: 0, errorClass: null, errorMessage: null, checkedAt: new Date() });

  return {
    type: 'custom',
    validateConfig(adapterConfig) {
      const unknown = Object.keys(adapterConfig).filter((key) => key !== 'zone');
      if (unknown.length > 0) {
        throw Object.assign(new Error(`adapterConfig.${unknown[0]}: unknown setting (only "zone")`), { code: 'AGW_VALIDATION' });
      }
      return { zone: typeof adapterConfig.zone === 'string' ? adapterConfig.zone : 'default' };
    },
    async registerGateway(target) {
      context.logger.info(`static fleet: registering ${target.name}`);
      resourcesOf(target);
      return { status: 'ACTIVE', endpoint: `static://${target.name}`, controlPlaneUrl: null, region: null, adapterConfig: {}, health: healthy() };
    },
    async updateGateway(target) {
      return { status: 'ACTIVE', endpoint: `static://${target.name}`, controlPlaneUrl: null, region: null, adapterConfig: {}, health: healthy() };
    },
    async deregisterGateway(target) {
      fleets.delete(target.name);
    },
    async getGatewayInfo(target) {
      return { name: target.name, version: options.version ?? null, apiBasePath: null, details: {} };
    },
    async checkHealth() {
      return healthy();
    },
    async getMetrics(target) {
      const held = [...resourcesOf(target).values()];
      const count = (kind) => held.filter((m) => m.kind === kind).length;
      return {
        resourceCount: held.length,
        providerCount: count('LlmProvider'),
        proxyCount: count('LlmProxy'),
        mcpCount: count('Mcp'),
        requestRate: null,
        errorRate: null,
        averageLatencyMs: null,
        unavailable: { requestRate: 'a static fleet carries no traffic', errorRate: 'a static fleet carries no traffic', averageLatency: 'a static fleet carries no traffic' },
        collectedAt: new Date(),
      };
    },
    async deployResource(target, manifest) {
      const key = `${manifest.kind}/${manifest.metadata.name}`;
      const action = resourcesOf(target).has(key) ? 'updated' : 'created';
      resourcesOf(target).set(key, manifest);
      return { kind: manifest.kind, name: manifest.metadata.name, action };
    },
    async undeployResource(target, kind, name) {
      resourcesOf(target).delete(`${kind}/${name}`);
    },
    async getResource(target, kind, name) {
      return resourcesOf(target).get(`${kind}/${name}`) ?? null;
    },
    async listResources(target, kind) {
      if (!KINDS.includes(kind)) return [];
      return [...resourcesOf(target).values()].filter((m) => m.kind === kind).map((m) => ({ kind, name: m.metadata.name, manifest: m }));
    },
    async close() {
      fleets.clear();
    },
  };
}
