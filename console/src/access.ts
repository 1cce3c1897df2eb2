import type { User } from '@archon/auth-client';

// What the signed-in user may see, from the permissions the server reports for them (the server
// checks again on every call; this only hides what would be refused).
export interface Access {
  users: boolean;
  editUsers: boolean;
  audit: boolean;
  grants: boolean;
  apiKeys: boolean;
  webhooks: boolean;
  /** Any administrative permission at all: without one the console shows "no access". */
  any: boolean;
}

export function accessOf(user: User | null): Access {
  const p = new Set(user?.permissions ?? []);
  const a = {
    users: p.has('users:read'), editUsers: p.has('users:write'), audit: p.has('audit:read'), grants: p.has('roles:write'),
    apiKeys: p.has('api_keys:manage'), webhooks: p.has('webhooks:manage'),
  };
  return { ...a, any: a.users || a.audit || a.grants || a.apiKeys || a.webhooks };
}

export const ROLES = ['user', 'agent_operator', 'admin'] as const;
