// A read asked twice in a row goes out once; anything else in between, or a read that acts, goes out each time.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { repeatedReadOnce } from './repeated-read.ts';

function counting(): { pdb: PlatformDb; sent: string[] } {
  const sent: string[] = [];
  const pdb: PlatformDb = {
    platformId: 'p',
    engine: 'pglite',
    query: async <T>(text: string) => {
      sent.push(text);
      return [{ n: sent.length }] as T[];
    },
    execute: async (text) => {
      sent.push(text);
      return { rowCount: 1 };
    },
    maybeOne: async () => undefined,
    transaction: async (fn) => fn(pdb),
  };
  return { pdb, sent };
}

describe('repeatedReadOnce', () => {
  it('answers the same select with the same parameters, sent next, from the first answer, once', async () => {
    const { pdb, sent } = counting();
    const reads = repeatedReadOnce(pdb);
    const select = 'select n from t where platform_id = $1 and id = $2';
    const first = await reads.maybeOne<{ n: number }>(select, ['a']);
    const second = await reads.maybeOne<{ n: number }>(select, ['a']);
    assert.deepEqual(second, first);
    assert.notEqual(second, first, 'a copy, not the same object');
    assert.equal(sent.length, 1);
    // Served once: a third read goes out.
    await reads.query(select, ['a']);
    assert.equal(sent.length, 2);
  });

  it('sends other parameters, a statement in between, locking or acting selects each time', async () => {
    const { pdb, sent } = counting();
    const reads = repeatedReadOnce(pdb);
    const select = 'select n from t where platform_id = $1 and id = $2';
    await reads.query(select, ['a']);
    await reads.query(select, ['b']);
    assert.equal(sent.length, 2);
    await reads.execute('update t set n = 1 where platform_id = $1', []);
    await reads.query(select, ['b']);
    assert.equal(sent.length, 4);
    for (const text of [`${select} for update`, `${select} for no key update`, 'select nextval($2)', "select pg_notify('c', $2)"]) {
      await reads.query(text, ['a']);
      await reads.query(text, ['a']);
    }
    assert.equal(sent.length, 12);
    await reads.query(select, ['c']);
    await reads.transaction(async () => undefined);
    await reads.query(select, ['c']);
    assert.equal(sent.length, 14);
  });
});
