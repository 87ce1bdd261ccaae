import type { Migration } from './types.js';

/**
 * The gateway list's filters and order in one index: a page of gateways of one type and status,
 * by name, is a range of it, however few of the organization's gateways match.
 */
export const gatewayListIndex: Migration = {
  name: '009_gateway_list_index',
  async up(db) {
    await db.schema.createIndex('idx_gateways_org_type_status_name').on('gateways').columns(['organization_uuid', 'gateway_type', 'status', 'name']).execute();
  },
};
