import raw from '../api/openapi.json?raw';
import { can, canSee, OPERATIONS, visiblePages } from './permissions';

// The route table's x-access for every operation (the generated OpenAPI document).
function access(): Map<string, string> {
  const doc = JSON.parse(raw) as {
    paths: Record<string, Record<string, { operationId?: string; 'x-access'?: string }>>;
  };
  const out = new Map<string, string>();
  for (const ops of Object.values(doc.paths))
    for (const op of Object.values(ops)) if (op.operationId) out.set(op.operationId, op['x-access'] ?? '');
  return out;
}

describe('the permission table', () => {
  it("mirrors the route table's x-access for every operation it names", () => {
    const a = access();
    for (const [op, role] of Object.entries(OPERATIONS)) {
      expect(a.get(op), `${op} in the API`).toBe(`tenant:${role}`);
    }
  });

  it('lets each role do what its rank allows', () => {
    expect(can('user', 'listUsers')).toBe(true);
    expect(can('user', 'createLabel')).toBe(false);
    expect(can('admin', 'createLabel')).toBe(true);
    expect(can('admin', 'inviteUser')).toBe(false);
    expect(can('super_admin', 'inviteUser')).toBe(true);
    expect(can('root', 'createLabel')).toBe(false); // unknown roles are the least
  });

  it('shows a User no settings page, an Admin the people, teams, projects, workflows, custom fields, labels, import, audit log and webhooks, a Super Admin all', () => {
    expect(visiblePages('user')).toEqual([]);
    expect(visiblePages('admin').map((p) => p.path)).toEqual([
      'people',
      'teams',
      'projects',
      'workflows',
      'fields',
      'labels',
      'import',
      'audit',
      'webhooks',
    ]);
    expect(visiblePages('super_admin').map((p) => p.path)).toEqual([
      'people',
      'teams',
      'projects',
      'workflows',
      'fields',
      'labels',
      'import',
      'branding',
      'security',
      'usage',
      'billing',
      'audit',
      'webhooks',
    ]);
    expect(canSee('admin', 'billing')).toBe(false);
    expect(canSee('admin', 'workflows')).toBe(true);
    expect(canSee('user', 'fields')).toBe(false);
    expect(can('user', 'updateProjectWorkflow')).toBe(false);
    expect(can('user', 'moveIssue')).toBe(true);
  });
});
