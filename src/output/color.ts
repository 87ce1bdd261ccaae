/**
 * Status colours on a terminal: green for what is well (ACTIVE, DEPLOYED), red for what is not
 * (INACTIVE, ERROR, FAILED), yellow for what is on its way (PROVISIONING, PENDING). Plain SGR
 * codes: the few we need do not justify a colour library's start-up.
 */

export type Tone = 'green' | 'red' | 'yellow' | 'bold' | 'dim';

const SGR: Record<Tone, [number, number]> = {
  green: [32, 39],
  red: [31, 39],
  yellow: [33, 39],
  bold: [1, 22],
  dim: [2, 22],
};

const TONE_OF_STATUS: Record<string, Tone> = {
  ACTIVE: 'green',
  DEPLOYED: 'green',
  INACTIVE: 'red',
  ERROR: 'red',
  FAILED: 'red',
  PROVISIONING: 'yellow',
  PENDING: 'yellow',
  UNDEPLOYING: 'yellow',
  UNDEPLOYED: 'dim',
  // API tokens
  active: 'green',
  expired: 'dim',
  revoked: 'dim',
};

export function toneOfStatus(status: string): Tone | undefined {
  return TONE_OF_STATUS[status];
}

export function paint(text: string, tone: Tone | undefined, enabled: boolean): string {
  if (!enabled || tone === undefined || text === '') return text;
  const [open, close] = SGR[tone];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}
