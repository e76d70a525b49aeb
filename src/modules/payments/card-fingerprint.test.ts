// The sandbox's card fingerprints (what the risk engine links accounts by at the payment point; the
// links themselves are tested in src/modules/risk/instrument.test.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cardDigits, sandboxInstrument } from './sandbox/provider.ts';

const SHARED_CARD = '4242 4242 4242 4242';
const OWN_CARD = '5555-5555-5555-4444';

describe('sandbox card fingerprints', () => {
  it('are stable per card whatever the spelling, differ between cards and installations, and hide the number', () => {
    const a = sandboxInstrument('secret-a', SHARED_CARD);
    assert.deepEqual(sandboxInstrument('secret-a', '4242424242424242'), a);
    assert.equal(a.last4, '4242');
    assert.match(a.fingerprint, /^sbxfp_[0-9a-f]{32}$/);
    assert.ok(!a.fingerprint.includes('4242'));
    assert.notEqual(sandboxInstrument('secret-a', OWN_CARD).fingerprint, a.fingerprint);
    assert.notEqual(sandboxInstrument('secret-b', SHARED_CARD).fingerprint, a.fingerprint);
  });

  it('take only numbers passing the Luhn check', () => {
    assert.equal(cardDigits('4242 4242 4242 4241'), undefined);
    assert.equal(cardDigits('4242'), undefined);
    assert.equal(cardDigits('tok_visa'), undefined);
    assert.equal(cardDigits('4000 0566 5566 5556'), '4000056655665556');
    assert.throws(() => sandboxInstrument('s', 'not a card'), /Luhn/);
  });
});
