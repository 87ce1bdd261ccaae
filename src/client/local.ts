/** The in-process client: the services, called directly, against the configured database. */
import type { Runtime } from '../runtime/runtime.js';
import { EnvironmentService } from '../services/environments.js';
import { actingAs } from '../domain/acting.js';
import { EventService, followEvents } from '../services/events.js';
import { DeploymentService } from '../services/deployments/index.js';
import { GatewayService } from '../services/gateways.js';
import { HealthHistoryService } from '../services/health-history.js';
import { ResourceService } from '../services/resources.js';
import { RolloutService, rolloutsSettled } from '../services/rollouts/index.js';
import { TokenService } from '../services/tokens.js';
import { WebhookService } from '../services/webhooks.js';
import type { Client, ClientDescription } from './client.js';

export class LocalClient implements Client {
  readonly environments: Client['environments'];
  readonly gateways: Client['gateways'];
  readonly resources: Client['resources'];
  readonly deployments: Client['deployments'];
  readonly rollouts: Client['rollouts'];
  readonly tokens: Client['tokens'];
  readonly events: Client['events'];
  readonly webhooks: Client['webhooks'];

  constructor(private readonly runtime: Runtime) {
    const environments = () => new EnvironmentService(runtime.context());
    const gateways = () => new GatewayService(runtime.context());
    const resources = () => new ResourceService(runtime.context());
    const deployments = () => {
      const context = runtime.context();
      return actingAs(context.actor, new DeploymentService(context));
    };
    const rollouts = () => {
      const context = runtime.context();
      return actingAs(context.actor, new RolloutService(context));
    };
    this.environments = {
      create: (input) => environments().create(input),
      list: () => environments().list(),
      get: (ref) => environments().get(ref),
      update: (ref, input, options) => environments().update(ref, input, options),
      delete: (ref, options) => environments().delete(ref, options),
      gateways: (ref) => environments().gateways(ref),
    };
    this.gateways = {
      register: (input, options) => gateways().register(input, options),
      list: (filter) => gateways().list(filter),
      listPage: (filter, page) => gateways().listPage(filter, page),
      get: (ref) => gateways().get(ref),
      update: (ref, input, options) => gateways().update(ref, input, options),
      delete: (ref, options) => gateways().delete(ref, options),
      health: (ref) => gateways().health(ref),
      lastHealth: (ref) => gateways().lastHealth(ref),
      healthHistory: (ref, options) => new HealthHistoryService(runtime.context()).history(ref, options),
      metrics: (ref) => gateways().metrics(ref),
      environments: (ref) => gateways().environmentsOf(ref),
      addEnvironment: async (ref, environmentRef) => {
        await gateways().addEnvironment(ref, environmentRef);
      },
      removeEnvironment: (ref, environmentRef) => gateways().removeEnvironment(ref, environmentRef),
    };
    this.resources = {
      apply: (manifests) => resources().apply(manifests),
      list: (filter) => resources().list(filter),
      get: (ref) => resources().get(ref),
      delete: (ref) => resources().delete(ref),
      history: (ref) => resources().history(ref),
    };
    this.deployments = {
      deploy: (request, options) => deployments().deploy(request, options),
      undeploy: (request, options) => deployments().undeploy(request, options),
      list: (filter) => deployments().list(filter),
      matrix: (environment) => deployments().matrix(environment),
      drift: (environment) => deployments().drift(environment),
      rollback: (request, options) => deployments().rollback(request, options),
    };
    this.rollouts = {
      start: (request) => rollouts().start(request),
      list: (filter) => rollouts().list(filter),
      get: (id) => rollouts().get(id),
      pause: (id) => rollouts().pause(id),
      resume: (id) => rollouts().resume(id),
      abort: (id) => rollouts().abort(id),
    };
    const events = () => new EventService(runtime.context());
    this.events = {
      list: (query) => events().list(query),
      follow: (query, signal) => followEvents(events(), query, signal),
    };
    const webhooks = () => new WebhookService(runtime.context());
    this.webhooks = {
      create: (input) => webhooks().create(input),
      list: () => webhooks().list(),
      get: (name) => webhooks().get(name),
      delete: (name) => webhooks().delete(name),
      deliveries: (name) => webhooks().deliveries(name),
    };
    const tokens = () => new TokenService(runtime.context());
    this.tokens = {
      create: (input) => tokens().create(input),
      list: () => tokens().list(),
      revoke: (name) => tokens().revoke(name),
    };
  }

  describe(): ClientDescription {
    return { mode: 'local', target: this.runtime.store.displayUrl, adapter: this.runtime.adapter.type };
  }

  async close(): Promise<void> {
    // A rollout run by this process writes its last step before the database goes.
    await rolloutsSettled();
    return this.runtime.close();
  }
}

/** Who acts in local mode, as recorded with revisions and rollouts. */
