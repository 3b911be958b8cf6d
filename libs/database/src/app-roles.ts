import { AppRole, roleName } from '@app/config';

export interface RoleSpec {
  role: AppRole;
  name: string;
  password: string;
}

const ROLE_URL_VARIABLES: Record<AppRole, string> = {
  api: 'API_DATABASE_URL',
  notifier: 'NOTIFIER_DATABASE_URL',
  confirmer: 'CONFIRMER_DATABASE_URL',
};

/**
 * The login role of each app: from its own *_DATABASE_URL when set, else `<database>_<role>` with the
 * role name as development password. Read by the roles migration, which creates them.
 */
export function appRoleSpecs(currentDatabase: string, env: NodeJS.ProcessEnv = process.env): RoleSpec[] {
  return (Object.keys(ROLE_URL_VARIABLES) as AppRole[]).map((role) => {
    const configured = env[ROLE_URL_VARIABLES[role]];
    if (configured) {
      const url = new URL(configured);
      return { role, name: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
    }
    const name = roleName(`postgres://x/${currentDatabase}`, role);
    return { role, name, password: name };
  });
}
