/**
 * Colours by meaning. Colour is never the only signal (statuses are words, the selected row has a
 * marker), so NO_COLOR — which the launcher turns into FORCE_COLOR=0 before Ink loads — loses nothing.
 */
import type { DeploymentStatus } from '../../domain/resources.js';
import type { GatewayStatus } from '../../domain/types.js';

export const STATUS_COLOR: Record<GatewayStatus, string> = {
  ACTIVE: 'green',
  INACTIVE: 'red',
  PROVISIONING: 'yellow',
  ERROR: 'magenta',
};

export const statusColor = (status: string): string | undefined => STATUS_COLOR[status as GatewayStatus];

const DEPLOYMENT_COLOR: Record<DeploymentStatus, string> = {
  PENDING: 'yellow',
  DEPLOYED: 'green',
  FAILED: 'red',
  UNDEPLOYING: 'yellow',
  UNDEPLOYED: 'gray',
};

export const deploymentColor = (status: DeploymentStatus): string => DEPLOYMENT_COLOR[status];

/** One key hint, "<k> label", as the footer and the help screen show it. */
export interface KeyHint {
  keys: string;
  label: string;
}
