// The keyword filter's matching rules without a server: CJK substrings, whole Latin words, case and width.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { KeywordFilter } from './keywords.ts';

const filter = new KeywordFilter([
  { word: '代购', action: 'block' },
  { word: 'free money', action: 'block' },
  { word: 'ass', action: 'mask' },
  { word: '笨蛋', action: 'mask' },
]);

it('blocks Chinese words anywhere and Latin phrases as words, whatever the case or width', () => {
  assert.deepEqual(filter.screen('找我代购'), { blocked: true, word: '代购' });
  assert.equal(filter.screen('FREE   money').blocked, false, 'inner spacing must match');
  assert.equal(filter.screen('Free Money now').blocked, true);
  assert.equal(filter.screen('ｆｒｅｅ ｍｏｎｅｙ').blocked, true, 'full-width letters are letters');
  assert.equal(filter.screen('freemoney').blocked, false);
});

it('masks whole Latin words only and every occurrence, keeping the rest of the text', () => {
  assert.deepEqual(filter.screen('a class act'), { blocked: false, text: 'a class act', masked: false });
  assert.deepEqual(filter.screen('ASS and ass, 你这个笨蛋笨蛋'), { blocked: false, text: '*** and ***, 你这个****', masked: true });
  assert.deepEqual(new KeywordFilter([]).screen('anything'), { blocked: false, text: 'anything', masked: false });
});
