import { describe, expect, it } from 'vitest';
import { schoolYearContains, schoolYearDays } from '../../lib/reports/school-year.js';

describe('the Norwegian school year (1 August - 31 July)', () => {
  it('2030-2031 runs from 2030-08-01 to 2031-07-31', () => {
    expect(schoolYearDays('2030-2031')).toEqual({ first: '2030-08-01', last: '2031-07-31' });
  });

  it('contains its first and last day and the usual leaving day, not the days around it', () => {
    for (const inside of ['2030-08-01', '2030-12-31', '2031-06-20', '2031-07-31']) expect(schoolYearContains('2030-2031', inside), inside).toBe(true);
    for (const outside of ['2030-07-31', '2031-08-01', '2026-06-20', '1999-12-01']) expect(schoolYearContains('2030-2031', outside), outside).toBe(false);
    expect(schoolYearContains('1999-2000', '2026-06-20')).toBe(false);
  });
});
