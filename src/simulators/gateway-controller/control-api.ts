/**
 * `/__sim/...`: how another process (an e2e test driving `agentgw dev gateway-sim`) adds, breaks,
 * inspects and removes simulated gateways. Never subject to faults or auth, so a test can always
 * repair what it broke.
 *
 *   GET    /__sim/gateways                list (names, URLs, faults, traffic)
 *   POST   /__sim/gateways                add one (object body) or several (array body)
 *   GET    /__sim/gateways/NAME           summary + stats + resources
 *   DELETE /__sim/gateways/NAME           remove
 *   PUT    /__sim/gateways/NAME/faults    merge faults (null clears a knob)
 *   PUT    /__sim/gateways/NAME/traffic   replace the traffic profile
 */
import type { Fleet } from './fleet.js';
import { errorResponse } from './management-api.js';
import type { ParsedBody, SimResponse } from './management-api.js';
import { SimulatorError } from './options.js';

export const CONTROL_PREFIX = '/__sim';

export function handleControl(fleet: Fleet, method: string, path: string, body: ParsedBody | null): SimResponse {
  try {
    return route(fleet, method, path, body);
  } catch (error) {
    if (error instanceof SimulatorError) return errorResponse(error.status, error.message);
    throw error;
  }
}

/** Whether a control request carries a body worth reading. */
export function controlNeedsBody(method: string): boolean {
  return method === 'POST' || method === 'PUT';
}

function route(fleet: Fleet, method: string, path: string, body: ParsedBody | null): SimResponse {
  const parts = path.slice(CONTROL_PREFIX.length).split('/').filter((p) => p !== '');
  if (parts[0] !== 'gateways' || parts.length > 3) return errorResponse(404, `no control endpoint ${path}`);
  // Gateway names are URL-safe by construction, so the segment is the name as is.
  const name = parts[1];
  const sub = parts[2];

  if (name === undefined) {
    if (method === 'GET') {
      const gateways = fleet.summaries();
      return { status: 200, body: { status: 'success', count: gateways.length, gateways } };
    }
    if (method === 'POST') {
      const value = bodyValue(body);
      if (Array.isArray(value)) {
        const added: string[] = [];
        try {
          for (const options of value as unknown[]) added.push(fleet.add(options).name);
        } catch (error) {
          // All or nothing: a bad entry must not leave half the list behind.
          for (const addedName of added) fleet.remove(addedName);
          throw error;
        }
        return { status: 201, body: { status: 'success', gateways: added.map((n) => ({ name: n, url: fleet.urlOf(n), adminUrl: fleet.adminUrlOf(n) })) } };
      }
      const gateway = fleet.add(value);
      return { status: 201, body: { status: 'success', name: gateway.name, url: fleet.urlOf(gateway.name), adminUrl: fleet.adminUrlOf(gateway.name) } };
    }
    return methodNotAllowed('GET, POST');
  }

  if (sub === undefined) {
    if (method === 'GET') {
      const gateway = fleet.require(name);
      return {
        status: 200,
        body: { ...gateway.summary(fleet.urlOf(name), fleet.adminUrlOf(name)), stats: gateway.stats(), resources: gateway.resources() },
      };
    }
    if (method === 'DELETE') {
      if (!fleet.remove(name)) throw new SimulatorError(404, `no simulated gateway named ${JSON.stringify(name)}`);
      return { status: 200, body: { status: 'success', name } };
    }
    return methodNotAllowed('GET, DELETE');
  }

  if (sub === 'faults') {
    if (method !== 'PUT') return methodNotAllowed('PUT');
    const faults = fleet.setFaults(name, bodyValue(body));
    return { status: 200, body: { status: 'success', name, faults } };
  }
  if (sub === 'traffic') {
    if (method !== 'PUT') return methodNotAllowed('PUT');
    const traffic = fleet.setTraffic(name, bodyValue(body));
    return { status: 200, body: { status: 'success', name, traffic } };
  }
  return errorResponse(404, `no control endpoint ${path}`);
}

function bodyValue(body: ParsedBody | null): unknown {
  if (body === null) throw new SimulatorError(400, 'a JSON body is required');
  if (!body.ok) throw new SimulatorError(400, `invalid JSON body: ${body.message}`);
  return body.value;
}

function methodNotAllowed(allow: string): SimResponse {
  return { ...errorResponse(405, 'Method not allowed'), headers: { allow } };
}
