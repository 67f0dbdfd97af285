// Who may do what in an organization, as the screens need it to offer only what the server would
// accept. The database decides (tenant.rules and tenant.may_flag, db-init-post/011); these are its
// lists, held to it by tests/back-office.test.ts, and every refusal the server sends is shown anyway.
export const COMMAND_ROLES = ['org-admin', 'race-director', 'marshal'];
export const FLAG_ROLES = ['org-admin', 'race-director', 'timekeeper'];

const PLURAL: Record<string, string> = {
  'org-admin': 'org-admins',
  'race-director': 'race directors',
  marshal: 'marshals',
  timekeeper: 'timekeepers',
};

// "org-admins, race directors and marshals"
export function rolesSentence(roles: string[]): string {
  const names = roles.map((role) => PLURAL[role] ?? role);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? '');
}
