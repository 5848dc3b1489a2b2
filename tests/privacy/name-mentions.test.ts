import { describe, expect, it } from 'vitest';
import { NameMatcher, namePhrases } from '../../lib/privacy/name-mentions.js';

const student = (givenName: string, familyName: string) => ({ kind: 'student' as const, phrases: namePhrases({ givenName, familyName }) });
const redact = (text: string, ...subjects: ReturnType<typeof student>[]) => new NameMatcher(subjects).redact(text);

describe('name phrases', () => {
  it('are the full name and the first given name with the family name, never one word', () => {
    expect(namePhrases({ givenName: 'Kari Anne', familyName: 'Nordmann' })).toEqual(['Kari Anne Nordmann', 'Kari Nordmann']);
    expect(namePhrases({ givenName: 'Ola', familyName: 'Berg Hansen' })).toEqual(['Ola Berg Hansen', 'Ola Hansen']);
    expect(namePhrases({ name: 'Kanari Lærersen' })).toEqual(['Kanari Lærersen']);
    expect(namePhrases({ name: 'Admin' })).toEqual([]);
  });

  it('are nothing for a missing given or family name', () => {
    expect(namePhrases({ givenName: '', familyName: 'Nordmann' })).toEqual([]);
    expect(namePhrases({ givenName: 'Kari', familyName: ' ' })).toEqual([]);
    expect(namePhrases({ name: '' })).toEqual([]);
    expect(namePhrases({ name: '  Kari   Anne  Nordmann ' })).toEqual(['Kari Anne Nordmann', 'Kari Nordmann']);
  });

  it('are NFC, so a decomposed Å matches the composed one', () => {
    expect(namePhrases({ givenName: 'A\u030Ase', familyName: 'Berg' })).toEqual(['\u00C5se Berg']);
  });
});

describe('the name matcher', () => {
  const kari = student('Kari', 'Nordmann');

  it('replaces a full name in any case and keeps the rest of the text', () => {
    expect(redact('Samarbeidet godt med Kari Nordmann i gruppearbeid.', kari)).toEqual({ text: 'Samarbeidet godt med [slettet elev] i gruppearbeid.', mentions: 1 });
    expect(redact('KARI NORDMANN og kari nordmann', kari)).toEqual({ text: '[slettet elev] og [slettet elev]', mentions: 2 });
    expect(redact('Kari\nNordmann', kari).mentions).toBe(1);
  });

  it('never matches a first name alone, a family name alone, or a longer word', () => {
    for (const text of ['Kari leste høyt.', 'Familien Nordmann', 'Kari Nordmannsen', 'Karianne Nordmann', 'Anne-Kari Nordmann', 'Kari Nordmann-Hansen', 'KariNordmann']) {
      expect(redact(text, kari), text).toEqual({ text, mentions: 0 });
    }
  });

  it('matches before punctuation and the genitive, and keeps the genitive', () => {
    expect(redact('Kari Nordmanns bok, (Kari Nordmann) «Kari Nordmann».', kari).text).toBe('[slettet elev]s bok, ([slettet elev]) «[slettet elev]».');
  });

  it('handles Norwegian and Sámi letters as letters, in any case', () => {
    const sami = student('Áilu', 'Ŋuvttet');
    expect(redact('ÁILU ŊUVTTET og áilu ŋuvttet', sami).mentions).toBe(2);
    expect(redact('Áilu Ŋuvttetčáhci', sami).mentions).toBe(0);
    const norwegian = student('Ærlend', 'Øvrebø');
    expect(redact('ærlend øvrebø, Ærlend Øvrebøs', norwegian).text).toBe('[slettet elev], [slettet elev]s');
    expect(redact('Ærlend Øvrebøå', norwegian).mentions).toBe(0);
  });

  it('matches hyphenated and apostrophe names as written, and nothing inside a longer name', () => {
    expect(redact('Ingrid Åsbø-Ŋuolja var borte.', student('Ingrid', 'Åsbø-Ŋuolja')).text).toBe('[slettet elev] var borte.');
    expect(redact("Sean O'Brien-Løkke (Sean O'Brien-Løkkes)", student('Sean', "O'Brien-Løkke")).text).toBe('[slettet elev] ([slettet elev]s)');
    expect(redact('Per (A+B) Berg', student('Per (A+B)', 'Berg')).mentions).toBe(1);
    expect(redact('Ingrid Åsbø-Ŋuolja-Hansen', student('Ingrid', 'Åsbø-Ŋuolja')).mentions).toBe(0);
  });

  it('matches decomposed text (NFC first)', () => {
    expect(redact('A\u030Ase Berg', student('Åse', 'Berg')).text).toBe('[slettet elev]');
  });

  it('marks staff as users and replaces a full name whole rather than its shorter form', () => {
    const matcher = new NameMatcher([student('Kari Anne', 'Nordmann'), { kind: 'user', phrases: namePhrases({ name: 'Per Lærer' }) }]);
    expect(matcher.redact('Kari Anne Nordmann og Per Lærer')).toEqual({ text: '[slettet elev] og [slettet bruker]', mentions: 2 });
    expect(matcher.count('Kari Nordmann')).toBe(1);
  });

  it('leaves a text without mentions exactly as it was', () => {
    const text = 'A\u030Ase leste.';
    expect(redact(text, kari).text).toBe(text);
  });
});
