/** The agentgw version, shown by `--version` and reported by the daemon's /healthz. */
export const VERSION = '0.1.0';
