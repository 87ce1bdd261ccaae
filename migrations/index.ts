/** Every migration, in order. Listed by hand so the bundle carries them and nothing scans files. */
import { base } from './000_base.js';
import { environments } from './001_environments.js';
import { extendGateways } from './002_extend_gateways.js';
import { gatewayEnvironmentMappings } from './003_gateway_environment_mappings.js';
import { backfill } from './004_backfill.js';
import { updatedAt } from './005_updated_at.js';
import { gatewayOperations } from './006_gateway_operations.js';
import { apiTokens } from './007_api_tokens.js';
import { resourcesDeployments } from './008_resources_deployments.js';
import { gatewayListIndex } from './009_gateway_list_index.js';
import { resourceSecrets } from './010_resource_secrets.js';
import { updatedAtOnChange } from './011_updated_at_on_change.js';
import { defaultEnvironmentDescription } from './012_default_environment_description.js';
import { events } from './013_events.js';
import { rollouts } from './014_rollouts.js';
import { jsonObjects } from './015_json_objects.js';
import { gatewayListIndexes } from './016_gateway_list_indexes.js';
import type { Migration } from './types.js';

export type { Migration, MigrationContext } from './types.js';
export { DEFAULT_ORGANIZATION_UUID } from './types.js';

export const migrations: readonly Migration[] = [
  base,
  environments,
  extendGateways,
  gatewayEnvironmentMappings,
  backfill,
  updatedAt,
  gatewayOperations,
  apiTokens,
  resourcesDeployments,
  gatewayListIndex,
  resourceSecrets,
  updatedAtOnChange,
  defaultEnvironmentDescription,
  events,
  rollouts,
  jsonObjects,
  gatewayListIndexes,
];
