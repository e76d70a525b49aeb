// The platform's keyword filter for chat, set at runtime through the admin API. Words in Chinese (or any
// CJK script, which has no spaces between words) match as substrings; Latin words match as words (not
// inside a longer word, so "ass" does not hit "class"), both case-insensitive and after NFKC, so full-width
// letters and digits count as their ASCII selves. A `block` word refuses the post; `mask` words are
// replaced by asterisks and the post goes on.
import type { PlatformDb } from '../../kernel/db/scoped.ts';

export type KeywordAction = 'block' | 'mask';

export interface Keyword {
  word: string;
  action: KeywordAction;
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const normalize = (text: string) => text.normalize('NFKC').toLowerCase();

/** A word as stored: NFKC, lower case, trimmed inner space collapsed. */
export const normalizeKeyword = (word: string) => normalize(word).replace(/\s+/g, ' ').trim();

function pattern(words: readonly string[]): RegExp | null {
  if (words.length === 0) return null;
  // Longest first, so "free money" wins over "free" where both match.
  const sources = [...words]
    .sort((a, b) => b.length - a.length)
    .map((word) => (CJK.test(word) ? escape(word) : `(?<![\\p{L}\\p{N}_])${escape(word)}(?![\\p{L}\\p{N}_])`));
  return new RegExp(sources.join('|'), 'giu');
}

export type Screened = { blocked: true; word: string } | { blocked: false; text: string; masked: boolean };

export class KeywordFilter {
  private readonly block: RegExp | null;
  private readonly mask: RegExp | null;

  constructor(readonly keywords: readonly Keyword[]) {
    this.block = pattern(keywords.filter((k) => k.action === 'block').map((k) => normalizeKeyword(k.word)));
    this.mask = pattern(keywords.filter((k) => k.action === 'mask').map((k) => normalizeKeyword(k.word)));
  }

  get empty(): boolean {
    return this.block === null && this.mask === null;
  }

  screen(text: string): Screened {
    if (this.empty) return { blocked: false, text, masked: false };
    const normal = normalize(text);
    if (this.block) {
      this.block.lastIndex = 0;
      const hit = this.block.exec(normal);
      if (hit) return { blocked: true, word: hit[0] };
    }
    if (!this.mask) return { blocked: false, text, masked: false };
    this.mask.lastIndex = 0;
    if (!this.mask.test(normal)) return { blocked: false, text, masked: false };
    // Masked on the normalized text where lengths differ from the original (rare: full-width input).
    const base = text.normalize('NFKC');
    const source = base.length === normal.length ? base : normal;
    let out = '';
    let at = 0;
    // matchAll starts where test() left the global regex: from the start again.
    this.mask.lastIndex = 0;
    for (const match of normal.matchAll(this.mask)) {
      out += source.slice(at, match.index) + '*'.repeat([...match[0]].length);
      at = match.index + match[0].length;
    }
    return { blocked: false, text: out + source.slice(at), masked: true };
  }
}

export async function listKeywords(pdb: PlatformDb): Promise<Keyword[]> {
  return pdb.query<Keyword>('select word, action from live_keywords where platform_id = $1 order by word', []);
}

/** Replaces the platform's list (one statement pair in a transaction: readers see the old list or the new). */
export async function replaceKeywords(pdb: PlatformDb, keywords: readonly Keyword[]): Promise<Keyword[]> {
  const unique = new Map<string, KeywordAction>();
  for (const { word, action } of keywords) {
    const normal = normalizeKeyword(word);
    // block wins over mask when a word is listed twice.
    if (normal && unique.get(normal) !== 'block') unique.set(normal, action);
  }
  const rows = [...unique].map(([word, action]) => ({ word, action }));
  await pdb.transaction(async (tx) => {
    await tx.execute('delete from live_keywords where platform_id = $1', []);
    if (rows.length > 0) {
      await tx.execute(
        `insert into live_keywords (platform_id, word, action) select $1, r.word, r.action from jsonb_to_recordset($2::jsonb) as r(word text, action text)`,
        [JSON.stringify(rows)],
      );
    }
  });
  return listKeywords(pdb);
}

/** How long a node trusts its copy of a platform's list; a change made on another node shows within this. */
const CACHE_MS = 2000;

/** Each platform's compiled filter on this node, read again after CACHE_MS or when this node changed it. */
export class KeywordCache {
  private readonly cached = new Map<string, { filter: Promise<KeywordFilter>; at: number }>();

  async of(pdb: PlatformDb): Promise<KeywordFilter> {
    const hit = this.cached.get(pdb.platformId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.filter;
    const filter = listKeywords(pdb).then((list) => new KeywordFilter(list));
    this.cached.set(pdb.platformId, { filter, at: Date.now() });
    filter.catch(() => this.cached.delete(pdb.platformId));
    return filter;
  }

  forget(platformId: string): void {
    this.cached.delete(platformId);
  }
}
