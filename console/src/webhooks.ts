import type { Webhook, WebhookEventType } from '@archon/auth-client';

// The event types the server sends (docs/webhooks.md); "*" subscribes to every one.
export const EVENT_TYPES: Exclude<WebhookEventType, '*'>[] = [
  'user.registered', 'user.email_verified', 'user.locked', 'user.password_changed', 'user.deactivated',
  'session.revoked', 'refresh_token.reuse_detected', 'agent.token_issued', 'agent.delegated', 'agent.token_revoked',
  'webhook.endpoint_disabled',
];

/** "enabled", or why it is not (the server's reason when it disabled the endpoint itself). */
export function endpointState(w: Webhook): string {
  if (w.enabled) return 'enabled';
  return w.disabledReason ? `disabled: ${w.disabledReason}` : 'disabled';
}
