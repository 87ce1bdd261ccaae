/**
 * How a webhook delivery is signed, as Stripe signs its own: `agentgw-signature:
 * t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`. The time is inside the signed
 * text, so a receiver can refuse an old delivery replayed at it. See docs/webhooks.md.
 */
import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'agentgw-signature';
export const DELIVERY_HEADER = 'agentgw-delivery';

export function signatureHeader(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}
