// The frame around every signed-in page: the platform switcher (only the user's platforms), the section
// links of the current platform, the language switch and the user's name and role.
import { NavLink, Outlet, useNavigate, useParams } from 'react-router';
import { createContext, useContext } from 'react';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import type { Platform } from '../api.ts';
import type { MessageKey } from '../messages.ts';

/** Sections, each shown when the platform has its module switched on (core ones always) and, for the
 * event backbone, only to owners. */
const SECTIONS: { path: string; label: MessageKey; module?: string; ownerOnly?: boolean }[] = [
  { path: '', label: 'nav.dashboard' },
  { path: 'products', label: 'nav.products', module: 'catalog' },
  { path: 'orders', label: 'nav.orders', module: 'orders' },
  { path: 'review', label: 'nav.review', module: 'risk' },
  { path: 'inventory', label: 'nav.inventory', module: 'inventory' },
  { path: 'customers', label: 'nav.customers' },
  { path: 'coupons', label: 'nav.coupons', module: 'promotions' },
  { path: 'flash-sales', label: 'nav.flashSales', module: 'flash-sales' },
  { path: 'live', label: 'nav.live', module: 'live' },
  { path: 'risk', label: 'nav.risk', module: 'risk' },
  { path: 'events', label: 'nav.events', ownerOnly: true },
  { path: 'webhooks', label: 'nav.webhooks', module: 'webhooks' },
  { path: 'admin', label: 'nav.admin' },
];

const PlatformContext = createContext<Platform | null>(null);

export function usePlatform(): Platform {
  const platform = useContext(PlatformContext);
  if (!platform) throw new Error('usePlatform outside a platform page');
  return platform;
}

export function Layout() {
  const { t, lang, setLang } = useI18n();
  const session = useSession();
  const navigate = useNavigate();
  const { platform: slug } = useParams();
  const platform = session.platforms.find((p) => p.slug === slug || p.id === slug);

  return (
    <div className="shell">
      <header className="top">
        <strong className="brand">Souk</strong>
        <label>
          <span className="sr-only">{t('platform.switch')}</span>
          <select
            aria-label={t('platform.switch')}
            value={platform?.slug ?? ''}
            onChange={(e) => navigate(`/p/${e.target.value}`)}
          >
            {!platform && <option value="">{t('platform.choose')}</option>}
            {session.platforms.map((p) => (
              <option key={p.id} value={p.slug}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <span className="spacer" />
        <button type="button" className="link" onClick={() => setLang(lang === 'en' ? 'zh' : 'en')}>
          {lang === 'en' ? '中文' : 'English'}
        </button>
        <span className="who" data-testid="who">
          {session.label} · {t(`role.${session.role}` as MessageKey)}
          {!session.canWrite && <em className="badge">{t('role.readOnly')}</em>}
        </span>
        <button type="button" onClick={() => void session.signOut()}>
          {t('signOut')}
        </button>
      </header>
      <div className="body">
        {platform && (
          <nav className="side" aria-label={t('nav.sections')}>
            {SECTIONS.filter((s) => (!s.module || platform.modules.includes(s.module)) && (!s.ownerOnly || session.isOwner)).map((s) => (
              <NavLink key={s.path} to={`/p/${platform.slug}${s.path ? `/${s.path}` : ''}`} end={s.path === ''}>
                {t(s.label)}
              </NavLink>
            ))}
          </nav>
        )}
        <main className="main">
          {platform ? (
            <PlatformContext.Provider value={platform}>
              <Outlet />
            </PlatformContext.Provider>
          ) : (
            <div className="pad" role="alert" data-testid="not-visible">
              <h1>{t('platform.notVisibleTitle')}</h1>
              <p>{t('platform.notVisible', { ref: slug ?? '' })}</p>
            </div>
          )}
        </main>
      </div>
    </div>
  );
}
