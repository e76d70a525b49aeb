// Small pieces every page uses: problem messages, the confirmation dialog for money and stock actions,
// keyset paging through URL parameters, status badges, and the money of the current platform.
import { useState, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { problemMessage } from '../api.ts';
import { formatMoney, formatDateTime } from '../../../shared/format.ts';
import { useI18n } from '../i18n.tsx';
import type { MessageKey } from '../messages.ts';

export function ProblemNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="problem" role="alert">
      {problemMessage(error)}
    </p>
  );
}

export function Loading() {
  const { t } = useI18n();
  return <p className="muted">{t('loading')}</p>;
}

/** A button that asks before acting: money and stock changes go through here. */
export function ConfirmButton(props: { label: string; question: string; onConfirm(): void; disabled?: boolean; danger?: boolean }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className={props.danger ? 'danger' : ''} disabled={props.disabled} onClick={() => setOpen(true)}>
        {props.label}
      </button>
      {open && (
        <div className="overlay">
          <div className="dialog" role="dialog" aria-modal="true" aria-label={props.question}>
            <p>{props.question}</p>
            <div className="row">
              <button type="button" onClick={() => setOpen(false)}>
                {t('cancel')}
              </button>
              <button
                type="button"
                className="primary"
                autoFocus
                onClick={() => {
                  setOpen(false);
                  props.onConfirm();
                }}
              >
                {t('confirm')}
              </button>
            </div>
          </div>
        </div>
      )}
    </>
  );
}

/**
 * The URL's parameters as they are now. Not the ones of the last render: two filters changed before React
 * renders again (a quick second keystroke, a slow machine) would otherwise each drop the other's change.
 */
function currentParams(): URLSearchParams {
  return new URLSearchParams(window.location.search);
}

/**
 * Keyset paging kept in the URL (?cursor=…), so a page is a shareable link. The server's cursor is opaque;
 * the trail of earlier cursors rides along (?back=) so "previous" works without the server going backwards.
 */
export function usePager(): { cursor: string | undefined; next(cursor: string): void; prev(): void; hasPrev: boolean } {
  const [params, setParams] = useSearchParams();
  const cursor = params.get('cursor') ?? undefined;
  const back = params.get('back')?.split(',').filter(Boolean) ?? [];
  return {
    cursor,
    hasPrev: cursor !== undefined,
    next(nextCursor) {
      const p = currentParams();
      p.set('back', [...back, cursor ?? ''].join(','));
      p.set('cursor', nextCursor);
      setParams(p);
    },
    prev() {
      const p = currentParams();
      const trail = [...back];
      const previous = trail.pop();
      if (previous) p.set('cursor', previous);
      else p.delete('cursor');
      if (trail.length > 0) p.set('back', trail.join(','));
      else p.delete('back');
      setParams(p);
    },
  };
}

export function Pager({ nextCursor }: { nextCursor: string | null | undefined }) {
  const { t } = useI18n();
  const pager = usePager();
  return (
    <div className="row pager">
      <button type="button" disabled={!pager.hasPrev} onClick={pager.prev}>
        {t('page.prev')}
      </button>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && pager.next(nextCursor)}>
        {t('page.next')}
      </button>
    </div>
  );
}

/** A URL search parameter as state: filters survive reloads and can be shared. Changing one resets paging. */
export function useUrlFilter(name: string): [string, (value: string) => void] {
  const [params, setParams] = useSearchParams();
  return [
    params.get(name) ?? '',
    (value) => {
      const p = currentParams();
      if (value) p.set(name, value);
      else p.delete(name);
      p.delete('cursor');
      p.delete('back');
      setParams(p);
    },
  ];
}

/**
 * A choice kept in a URL filter (see useUrlFilter), with a visible label: "any" first when given, then the
 * values, each shown as its status word unless `labelOf` names it otherwise.
 */
export function FilterSelect(props: { name: string; label: string; any?: string; values: readonly string[]; labelOf?(value: string): string }) {
  const { t } = useI18n();
  const [value, setValue] = useUrlFilter(props.name);
  return (
    <Field label={props.label}>
      <select value={value} onChange={(e) => setValue(e.target.value)}>
        {props.any !== undefined && <option value="">{props.any}</option>}
        {props.values.map((v) => (
          <option key={v} value={v}>
            {props.labelOf ? props.labelOf(v) : t(`status.${v}` as MessageKey)}
          </option>
        ))}
      </select>
    </Field>
  );
}

export function Status({ value }: { value: string }) {
  const { t } = useI18n();
  const key = `status.${value}` as MessageKey;
  return <span className={`status status-${value}`}>{t(key) ?? value}</span>;
}

export function Money({ amount, currency }: { amount: number; currency: string }) {
  const { locale } = useI18n();
  return <span className="money">{formatMoney(amount, currency, locale)}</span>;
}

export function When({ at }: { at: string }) {
  const { locale } = useI18n();
  return <time dateTime={at}>{formatDateTime(at, locale)}</time>;
}

export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

/** A secret the API shows only in this answer (webhook signing secret, API key). */
export function SecretOnce({ secret }: { secret: string }) {
  const { t } = useI18n();
  return (
    <p role="status">
      {t('secretOnce')} <code className="secret">{secret}</code>
    </p>
  );
}

/** The row a table shows when its list came back empty. */
export function EmptyRow({ show, cols }: { show: boolean; cols: number }) {
  const { t } = useI18n();
  if (!show) return null;
  return (
    <tr>
      <td colSpan={cols} className="muted">
        {t('empty')}
      </td>
    </tr>
  );
}
