// Bulk import of a JSON or CSV catalogue file: products are sent in batches through the bulk API with a
// progress bar; a batch the server refuses is retried product by product, so the report names each row
// that failed and why (the API's problem detail) while the others still go in.
import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, problemMessage, unwrap } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { productsFromCsv, productsFromJson, type ParsedRow } from '../import-file.ts';

const BATCH = 25;

interface Report {
  done: number;
  total: number;
  created: number;
  updated: number;
  unchanged: number;
  errors: { line: number; handle: string; message: string }[];
}

export default function ProductImport() {
  const { t } = useI18n();
  const { canWrite } = useSession();
  const platform = usePlatform();
  const client = useQueryClient();
  const [report, setReport] = useState<Report | null>(null);
  const [running, setRunning] = useState(false);

  async function send(rows: ParsedRow[]) {
    return unwrap(
      await api.POST('/admin/platforms/{platform}/products/bulk', { params: { path: { platform: platform.slug } }, body: { products: rows.map((r) => r.product) } }),
    ).products;
  }

  async function run(file: File) {
    setRunning(true);
    const text = await file.text();
    const current: Report = { done: 0, total: 0, created: 0, updated: 0, unchanged: 0, errors: [] };
    try {
      let rows: ParsedRow[];
      if (/\.csv$/i.test(file.name)) {
        const parsed = productsFromCsv(text, platform.defaultCurrency);
        rows = parsed.rows;
        current.errors.push(...parsed.errors.map((e) => ({ ...e, handle: '' })));
      } else rows = productsFromJson(text);
      current.total = rows.length;
      setReport({ ...current });
      for (let i = 0; i < rows.length; i += BATCH) {
        const batch = rows.slice(i, i + BATCH);
        const add = (counts: { created: number; updated: number; unchanged: number }) => {
          current.created += counts.created;
          current.updated += counts.updated;
          current.unchanged += counts.unchanged;
        };
        try {
          add(await send(batch));
        } catch {
          for (const row of batch) {
            try {
              add(await send([row]));
            } catch (error) {
              current.errors.push({ line: row.line, handle: row.product.handle, message: problemMessage(error) });
            }
          }
        }
        current.done += batch.length;
        setReport({ ...current, errors: [...current.errors] });
      }
    } catch (error) {
      current.errors.push({ line: 0, handle: '', message: problemMessage(error) });
      setReport({ ...current, errors: [...current.errors] });
    } finally {
      setRunning(false);
      void client.invalidateQueries({ queryKey: ['products', platform.id] });
    }
  }

  return (
    <div className="page">
      <p>
        <Link to={`/p/${platform.slug}/products`}>← {t('products.title')}</Link>
      </p>
      <h1>{t('import.title')}</h1>
      <p className="muted">{t('import.help')}</p>
      {canWrite && (
        <label className="field">
          <span>{t('import.file')}</span>
          <input type="file" accept=".json,.csv,application/json,text/csv" disabled={running} onChange={(e) => e.target.files?.[0] && void run(e.target.files[0])} />
        </label>
      )}
      {report && (
        <section data-testid="import-report">
          <progress max={report.total || 1} value={report.done} aria-label={t('import.progress')} />{' '}
          {t('import.count', { done: report.done, total: report.total })}
          <p>{t('import.summary', { created: report.created, updated: report.updated, unchanged: report.unchanged, failed: report.errors.length })}</p>
          {report.errors.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th className="num">{t('import.row')}</th>
                  <th>{t('products.handle')}</th>
                  <th>{t('events.error')}</th>
                </tr>
              </thead>
              <tbody>
                {report.errors.map((e, i) => (
                  <tr key={i}>
                    <td className="num">{e.line || '—'}</td>
                    <td className="mono">{e.handle}</td>
                    <td>{e.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </div>
  );
}
