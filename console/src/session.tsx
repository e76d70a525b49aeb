// Who is signed in: the admin principal (/admin/auth/me) and the platforms it may see (/admin/platforms,
// which the server already limits to them). Support users are read-only: `canWrite` hides every write
// action, and the server refuses them anyway.
import { createContext, useContext, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Navigate, useLocation } from 'react-router';
import { api, getToken, setToken, unwrap, type Platform } from './api.ts';
import { useI18n } from './i18n.tsx';
import { fromBoot } from './boot.ts';

export interface Session {
  id: string;
  label: string;
  role: string;
  canWrite: boolean;
  isOwner: boolean;
  platforms: Platform[];
  signOut(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function RequireSession({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const location = useLocation();
  const client = useQueryClient();
  const token = getToken();
  const me = useQuery({
    queryKey: ['me', token],
    enabled: token !== undefined,
    retry: false,
    // Both at once; on a cold load public/boot.js has usually started them already.
    queryFn: async () => {
      const [principal, platforms] = await Promise.all([
        fromBoot('me', token, async () => unwrap(await api.GET('/admin/auth/me'))),
        fromBoot('platforms', token, async () => unwrap(await api.GET('/admin/platforms'))),
      ]);
      return { principal, platforms: platforms.items };
    },
  });
  if (!token || me.isError) {
    if (token) setToken(undefined);
    return <Navigate to="/sign-in" replace state={{ from: location.pathname + location.search }} />;
  }
  if (!me.data) return <p className="muted pad">{t('loading')}</p>;
  const { principal, platforms } = me.data;
  const session: Session = {
    id: principal.id,
    label: principal.label,
    role: principal.role,
    canWrite: principal.role !== 'support',
    isOwner: principal.role === 'owner',
    platforms,
    async signOut() {
      await api.POST('/admin/auth/logout').catch(() => undefined);
      setToken(undefined);
      client.clear();
      window.location.assign('/console/sign-in');
    },
  };
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside RequireSession');
  return value;
}
