/** The resources agentgw deploys, in the gateway-controller's own vocabulary. */

/** The kinds of the gateway-controller's management API. */
export const RESOURCE_KINDS = ['LlmProvider', 'LlmProxy', 'Mcp', 'RestApi', 'LlmProviderTemplate', 'Secret'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** The kinds that serve traffic, which a gateway's metrics count; Secrets only hold values for them. */
export const TRAFFIC_KINDS = ['LlmProvider', 'LlmProxy', 'Mcp', 'RestApi', 'LlmProviderTemplate'] as const satisfies readonly ResourceKind[];
export type TrafficKind = (typeof TRAFFIC_KINDS)[number];

export const RESOURCE_API_VERSION = 'gateway.api-platform.wso2.com/v1';

/** A resource in the gateway-controller's own (Kubernetes-shaped) format. */
export interface ResourceManifest {
  apiVersion: string;
  kind: ResourceKind;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}
