/**
 * Which methods each route path of the daemon answers, so that a request for a path that exists
 * with a method it does not take gets 405 with `Allow` (RFC 9110 §15.5.6) instead of a 404 that
 * says the path is not there.
 *
 * @example
 * const routes = new RouteMethods();
 * routes.add('GET', '/api/v1/gateways/:id');
 * routes.allowed('/api/v1/gateways/gw-1'); // ['GET', 'HEAD']
 */
export class RouteMethods {
  readonly #routes: Array<{ pattern: RegExp; methods: Set<string> }> = [];

  add(methods: string | string[], url: string): void {
    const source = `^${url
      .split('/')
      .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/')}/?$`;
    let route = this.#routes.find((r) => r.pattern.source === source);
    if (route === undefined) this.#routes.push((route = { pattern: new RegExp(source), methods: new Set() }));
    for (const method of Array.isArray(methods) ? methods : [methods]) route.methods.add(method.toUpperCase());
    // Fastify answers HEAD wherever it answers GET.
    if (route.methods.has('GET')) route.methods.add('HEAD');
  }

  /** The methods some route takes at this path (query string excluded), sorted; empty when none does. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.#routes) if (route.pattern.test(path)) for (const method of route.methods) methods.add(method);
    return [...methods].sort();
  }
}
