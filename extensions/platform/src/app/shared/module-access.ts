// The platform's screens are for its people (whoever may read events: the Member policy) and
// administrators; inside, each screen shows what the person's organization roles allow. (A module's
// preRegisterCheck, typed by what it reads: the SDK and this repository pin different @directus/types.)
export function forPlatformPeople(user: { admin_access: boolean }, permissions: Partial<Record<string, { read?: { access: string } }>>): boolean {
  return user.admin_access || ['partial', 'full'].includes(permissions['events']?.read?.access ?? 'none');
}
