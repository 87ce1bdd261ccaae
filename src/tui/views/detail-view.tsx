/** One gateway: its connection, health, metrics, environments, status history and deployed resources. */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { Gateway, GatewayMetricsReport } from '../../domain/types.js';
import { age } from '../../output/age.js';
import type { GatewayDetail } from '../use-gateway-detail.js';
import { deploymentColor, statusColor } from './theme.js';

export interface DetailViewProps {
  gateway: Gateway;
  detail: GatewayDetail;
  now: Date;
  height: number;
}

const LABEL = 16;

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Text wrap="truncate-end">
      {`  ${label.padEnd(LABEL)}`}
      {children}
    </Text>
  );
}

/** "2026-01-01 00:05:00Z": a transition's time, to the second. */
const timestamp = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

const orDash = (value: string | number | null | undefined) => (value === null || value === undefined || value === '' ? '-' : String(value));

function metricText(report: GatewayMetricsReport, field: keyof GatewayMetricsReport & string, value: string | null): string {
  if (value !== null) return value;
  const why = report.unavailable[field] ?? report.unavailable[field.replace(/Ms$/, '')];
  return why === undefined ? '-' : `- (${why})`;
}

/** Lines the fixed part of the view takes: title, 8 fields, metrics (title + 4), two list titles. */
const FIXED_LINES = 16;

export function DetailView({ gateway, detail, now, height }: DetailViewProps) {
  const metrics = detail.metrics;
  const history = detail.history ?? [];
  const deployments = detail.deployments ?? [];
  const room = Math.max(4, height - FIXED_LINES);
  const deploymentRows = Math.min(Math.max(1, deployments.length), Math.max(2, Math.floor(room / 2)));
  const historyRows = Math.max(1, room - deploymentRows);
  const environments =
    detail.environments?.map((e) => (e.displayName === e.name ? e.name : `${e.name} (${e.displayName})`)).join(', ') ??
    gateway.environments.map((e) => e.name).join(', ');
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>{gateway.name}</Text>
        {gateway.displayName === gateway.name ? '' : ` (${gateway.displayName})`}
        {`  ${gateway.type}  `}
        <Text color={statusColor(gateway.status)}>{gateway.status}</Text>
        {` for ${age(gateway.statusChangedAt, now)}`}
      </Text>
      <Field label="Control plane">{orDash(gateway.controlPlaneUrl)}</Field>
      <Field label="Endpoint">{orDash(gateway.endpoint)}</Field>
      <Field label="Adapter">{`${gateway.adapterType}${gateway.region === null ? '' : `  region ${gateway.region}`}`}</Field>
      <Field label="Last heartbeat">{gateway.lastHeartbeat === null ? '-' : `${age(gateway.lastHeartbeat, now)} ago`}</Field>
      <Field label="Last check">
        {gateway.lastCheckedAt === null ? '-' : `${age(gateway.lastCheckedAt, now)} ago`}
        {gateway.responseTimeMs === null ? '' : `, answered in ${gateway.responseTimeMs}ms`}
      </Field>
      <Field label="Error">
        <Text color={gateway.errorMessage === null ? undefined : 'red'}>{orDash(gateway.errorMessage)}</Text>
      </Field>
      <Field label="Environments">{environments || '-'}</Field>
      <Field label="UUID">{gateway.uuid}</Field>
      <Text bold>{metrics === null ? 'Metrics' : `Metrics (${age(metrics.timestamp, now)} ago)`}</Text>
      {metrics === null ? (
        <Text color={detail.metricsError === null ? undefined : 'red'} wrap="truncate-end">
          {`  ${detail.metricsError ?? 'loading…'}`}
        </Text>
      ) : (
        <>
          <Field label="Resources">
            {metrics.resourceCount === null
              ? metricText(metrics, 'resourceCount', null)
              : `${metrics.resourceCount} (${orDash(metrics.providerCount)} providers, ${orDash(metrics.proxyCount)} proxies, ${orDash(metrics.mcpCount)} MCP)`}
          </Field>
          <Field label="Requests">{metricText(metrics, 'requestRate', metrics.requestRate === null ? null : `${metrics.requestRate}/s`)}</Field>
          <Field label="Errors">{metricText(metrics, 'errorRate', metrics.errorRate === null ? null : `${metrics.errorRate}%`)}</Field>
          <Field label="Latency">{metricText(metrics, 'averageLatency', metrics.averageLatency === null ? null : `${metrics.averageLatency} avg${metrics.p99Latency == null ? '' : `, ${metrics.p99Latency} p99`}`)}</Field>
          {detail.metricsError === null ? null : <Text color="red" wrap="truncate-end">{`  last refresh failed: ${detail.metricsError}`}</Text>}
        </>
      )}
      <Text bold>Status history</Text>
      {detail.historyError === null ? null : <Text color="red" wrap="truncate-end">{`  ${detail.historyError}`}</Text>}
      {detail.history !== null && history.length === 0 ? <Text dimColor>{'  none'}</Text> : null}
      {history.slice(0, historyRows).map((event, index) => (
        <Text key={`${event.occurredAt}-${index}`} wrap="truncate-end">
          {`  ${timestamp(event.occurredAt)}  ${event.from ?? 'registered'} → `}
          <Text color={statusColor(event.to)}>{event.to}</Text>
          {event.reason === null ? '' : `  ${event.reason}`}
        </Text>
      ))}
      <Text bold>{`Deployed resources${deployments.length === 0 ? '' : ` (${deployments.length})`}`}</Text>
      {detail.deploymentsError === null ? null : <Text color="red" wrap="truncate-end">{`  ${detail.deploymentsError}`}</Text>}
      {detail.deployments !== null && deployments.length === 0 ? <Text dimColor>{'  none'}</Text> : null}
      {deployments.slice(0, deploymentRows).map((deployment) => (
        <Text key={deployment.uuid} wrap="truncate-end">
          {`  ${`${deployment.resource.kind}/${deployment.resource.name}`.padEnd(32)}  rev ${String(deployment.revision).padEnd(4)}  `}
          <Text color={deploymentColor(deployment.status)}>{deployment.status}</Text>
          {deployment.errorMessage === null ? '' : `  ${deployment.errorMessage}`}
        </Text>
      ))}
      {deployments.length > deploymentRows ? <Text dimColor>{`  … ${deployments.length - deploymentRows} more`}</Text> : null}
    </Box>
  );
}
