// What a tenant role may do, for showing only the controls a person may use.
// The server stays the judge (internal/routes, enforced by the API's guard);
// this table mirrors the route table's `x-access` for the operations the web
// app offers, and a test keeps the two equal (permissions.test.ts).
export type Role = 'user' | 'admin' | 'super_admin';

const RANK: Record<Role, number> = { user: 0, admin: 1, super_admin: 2 };

/** The least role each operation of the settings pages needs. */
export const OPERATIONS = {
  listUsers: 'user',
  inviteUser: 'super_admin',
  changeUserRole: 'super_admin',
  disableUser: 'super_admin',
  enableUser: 'super_admin',
  removeUser: 'super_admin',
  listTeams: 'user',
  createTeam: 'admin',
  updateTeam: 'admin',
  deleteTeam: 'admin',
  listTeamMembers: 'user',
  addTeamMember: 'admin',
  removeTeamMember: 'admin',
  listLabels: 'user',
  createLabel: 'admin',
  updateLabel: 'admin',
  deleteLabel: 'admin',
  getBranding: 'user',
  putBranding: 'super_admin',
  getSecuritySettings: 'super_admin',
  putSecuritySettings: 'super_admin',
  getSupportAccess: 'super_admin',
  grantSupportAccess: 'super_admin',
  revokeSupportAccess: 'super_admin',
  getUsage: 'super_admin',
  getBilling: 'super_admin',
  startCheckout: 'super_admin',
  changePlan: 'super_admin',
  listInvoices: 'super_admin',
  getIssueAnalytics: 'user',
  getWorkload: 'user',
  getTeamVelocity: 'user',
  getUserPerformance: 'user',
  getAnalyticsSettings: 'user',
  putAnalyticsSettings: 'super_admin',
  listProjects: 'user',
  createProject: 'admin',
  updateProject: 'admin',
  getProjectWorkflow: 'user',
  updateProjectWorkflow: 'admin',
  deleteWorkflowStatus: 'admin',
  getWorkflowStatusDeletion: 'admin',
  listFields: 'user',
  createField: 'admin',
  updateField: 'admin',
  moveIssue: 'user',
  listViews: 'user',
  createView: 'user',
  updateView: 'user',
  deleteView: 'user',
  exportView: 'user',
  bulkEditIssues: 'user',
  listCycles: 'user',
  createCycle: 'admin',
  updateCycle: 'admin',
  getCycle: 'user',
  listCycleIssues: 'user',
  getCycleReport: 'user',
  getVelocity: 'user',
  listRelations: 'user',
  createRelation: 'user',
  deleteRelation: 'user',
  createImport: 'admin',
  putImportPart: 'admin',
  previewImport: 'admin',
  runImport: 'admin',
  listAudit: 'admin',
  exportAudit: 'super_admin',
  listWebhooks: 'admin',
  createWebhook: 'admin',
  updateWebhook: 'admin',
  deleteWebhook: 'admin',
  rotateWebhookSecret: 'admin',
  listWebhookDeliveries: 'admin',
  redeliverWebhookDelivery: 'admin',
  listNotifications: 'user',
  getUnreadCount: 'user',
  markNotificationRead: 'user',
  markAllNotificationsRead: 'user',
  getNotificationPreferences: 'user',
  putNotificationPreferences: 'user',
  createAttachmentUpload: 'user',
  confirmAttachment: 'user',
  listAttachments: 'user',
  downloadAttachment: 'user',
  deleteAttachment: 'user',
  getStorageUsage: 'user',
} as const satisfies Record<string, Role>;

export type Operation = keyof typeof OPERATIONS;

export function asRole(r: string): Role {
  return r === 'super_admin' || r === 'admin' ? r : 'user';
}

export function can(role: string, op: Operation): boolean {
  return RANK[asRole(role)] >= RANK[OPERATIONS[op]];
}

/** The settings pages: who sees each (the least role of the operation it is built on). */
export const SETTINGS_PAGES = [
  { path: 'people', label: 'People', needs: 'admin' },
  { path: 'teams', label: 'Teams', needs: 'admin' },
  { path: 'projects', label: 'Projects', needs: 'admin' },
  { path: 'workflows', label: 'Workflows', needs: 'admin' },
  { path: 'fields', label: 'Custom fields', needs: 'admin' },
  { path: 'labels', label: 'Labels', needs: 'admin' },
  { path: 'import', label: 'Import', needs: 'admin' },
  { path: 'branding', label: 'Branding', needs: 'super_admin' },
  { path: 'security', label: 'Security', needs: 'super_admin' },
  { path: 'usage', label: 'API usage', needs: 'super_admin' },
  { path: 'billing', label: 'Billing', needs: 'super_admin' },
  { path: 'audit', label: 'Audit log', needs: 'admin' },
  { path: 'webhooks', label: 'Webhooks', needs: 'admin' },
] as const satisfies { path: string; label: string; needs: Role }[];

export type SettingsPage = (typeof SETTINGS_PAGES)[number]['path'];

export function canSee(role: string, page: SettingsPage): boolean {
  const p = SETTINGS_PAGES.find((x) => x.path === page);
  return !!p && RANK[asRole(role)] >= RANK[p.needs];
}

export function visiblePages(role: string) {
  return SETTINGS_PAGES.filter((p) => canSee(role, p.path));
}

/** Whether role ranks at least as high as min (Admins see everyone's analytics, Users their own). */
export function atLeast(role: string, min: Role): boolean {
  return RANK[asRole(role)] >= RANK[min];
}

/** Admins and above may delete anyone's attachment; others only the ones they uploaded (the API's rule). */
export const ATTACHMENT_MODERATOR: Role = 'admin';

/** Whether a person may delete an attachment: its uploader, or an Admin and above. */
export function canDeleteAttachment(role: string, meId: string, uploaderId: string): boolean {
  return can(role, 'deleteAttachment') && (uploaderId === meId || atLeast(role, ATTACHMENT_MODERATOR));
}
