import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deadlineOf, dueIfCreatedBefore, effectiveDeadline } from '../../lib/reports/retention.js';
import { addMonthsClamped } from '../../lib/usage/retention-policy.js';

const at = (iso: string) => new Date(iso);
const moments = fc.date({ min: at('2028-01-01T00:00:00.000Z'), max: at('2034-12-31T23:59:59.999Z'), noInvalidDate: true });

describe('leaver report deadlines (P4: at most the retention setting, 1-12 months)', () => {
  it('a report is gone by the start of the same day `months` later, clamped at month ends', () => {
    expect(deadlineOf(at('2031-08-20T10:00:00.000Z'), 12).toISOString()).toBe('2032-08-20T00:00:00.000Z');
    expect(deadlineOf(at('2031-01-31T23:59:59.999Z'), 1).toISOString()).toBe('2031-02-28T00:00:00.000Z');
    expect(deadlineOf(at('2032-02-29T08:00:00.000Z'), 12).toISOString()).toBe('2033-02-28T00:00:00.000Z');
  });

  it('never later than `months` calendar months after creation, and never before it', () => {
    fc.assert(
      fc.property(moments, fc.integer({ min: 1, max: 12 }), (created, months) => {
        const deadline = deadlineOf(created, months).getTime();
        expect(deadline).toBeLessThanOrEqual(addMonthsClamped(created, months).getTime());
        expect(deadline).toBeGreaterThan(created.getTime());
      }),
    );
  });

  it('the query cutoff matches the deadline exactly: created before it <=> deadline has come (month ends included)', () => {
    expect(dueIfCreatedBefore(at('2031-04-30T10:00:00.000Z'), 1).toISOString()).toBe('2031-04-01T00:00:00.000Z');
    expect(dueIfCreatedBefore(at('2031-02-28T00:00:00.000Z'), 1).toISOString()).toBe('2031-02-01T00:00:00.000Z');
    fc.assert(
      fc.property(moments, moments, fc.integer({ min: 1, max: 12 }), (created, moment, months) => {
        const byCutoff = created.getTime() < dueIfCreatedBefore(moment, months).getTime();
        const byDeadline = deadlineOf(created, months).getTime() <= moment.getTime();
        expect(byCutoff).toBe(byDeadline);
      }),
      { numRuns: 5_000 },
    );
  });

  it('lowering the setting shortens an existing report; raising it never lengthens one', () => {
    const report = { createdAt: '2031-08-20T10:00:00.000Z', expiresAt: '2032-02-20T00:00:00.000Z' };
    expect(effectiveDeadline(report, 3).toISOString()).toBe('2031-11-20T00:00:00.000Z');
    expect(effectiveDeadline(report, 12).toISOString()).toBe('2032-02-20T00:00:00.000Z');
  });
});
