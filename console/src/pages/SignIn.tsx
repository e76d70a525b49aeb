// Sign in with an admin account; the session token goes to sessionStorage and the user returns to the page
// they asked for.
import { useState, type FormEvent } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { api, setToken, unwrap } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { Field, ProblemNote } from '../components/ui.tsx';

export function SignIn() {
  const { t, lang, setLang } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = unwrap(await api.POST('/admin/auth/login', { body: { email, password } }));
      setToken(session.token);
      const from = (location.state as { from?: string } | null)?.from;
      navigate(from && from !== '/sign-in' ? from : '/', { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="signin">
      <form onSubmit={submit} className="card">
        <h1>{t('signIn.title')}</h1>
        <Field label={t('signIn.email')}>
          <input type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field label={t('signIn.password')}>
          <input type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <ProblemNote error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {t('signIn.submit')}
        </button>
        <button type="button" className="link" onClick={() => setLang(lang === 'en' ? 'zh' : 'en')}>
          {lang === 'en' ? '中文' : 'English'}
        </button>
      </form>
    </div>
  );
}
