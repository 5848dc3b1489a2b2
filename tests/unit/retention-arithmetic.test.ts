import { describe, expect, it } from 'vitest';
import { COMPLAINT_RETENTION_MONTHS, monthsBefore, overdueCutoff, RETENTION_OVERDUE_AFTER_MS, retentionCutoff, SUPPORT_RETENTION_MONTHS } from '../../lib/governance/retention-policy.js';
import {
  addDays, addMonthsClamped, cutoffDay, dayOf, deadlineOf, DEFAULT_ANONYMISATION_DELAY_DAYS, MAX_ANONYMISATION_DELAY_DAYS, overdueCandidateDay,
} from '../../lib/usage/retention-policy.js';

describe('usage retention (P10)', () => {
  it('bounds the delay so that a failed run still leaves a fortnight inside the shortest 3 months', () => {
    expect(MAX_ANONYMISATION_DELAY_DAYS).toBe(74);
    expect(DEFAULT_ANONYMISATION_DELAY_DAYS).toBe(30);
  });

  it('days are UTC calendar days', () => {
    expect(dayOf(new Date('2031-04-02T23:59:59.999Z'))).toBe('2031-04-02');
    expect(addDays('2031-02-28', 1)).toBe('2031-03-01');
    expect(addDays('2031-03-01', -1)).toBe('2031-02-28');
    expect(cutoffDay(new Date('2031-05-02T08:00:00.000Z'), 30)).toBe('2031-04-02');
    expect(overdueCandidateDay(new Date('2031-05-02T08:00:00.000Z'))).toBe('2031-02-02');
  });

  it('adds calendar months, clamped to the end of a shorter month, keeping the time', () => {
    expect(addMonthsClamped(new Date('2031-01-31T10:30:00.000Z'), 1).toISOString()).toBe('2031-02-28T10:30:00.000Z');
    expect(addMonthsClamped(new Date('2032-01-31T00:00:00.000Z'), 1).toISOString()).toBe('2032-02-29T00:00:00.000Z');
    expect(addMonthsClamped(new Date('2031-11-15T00:00:00.000Z'), 3).toISOString()).toBe('2032-02-15T00:00:00.000Z');
    expect(addMonthsClamped(new Date('2031-03-31T00:00:00.000Z'), -1).toISOString()).toBe('2031-02-28T00:00:00.000Z');
    expect(deadlineOf(new Date('2031-11-30T09:00:00.000Z')).toISOString()).toBe('2032-02-29T09:00:00.000Z');
  });
});

describe('support and complaint retention', () => {
  it('has the chosen defaults and bounds', () => {
    expect(SUPPORT_RETENTION_MONTHS).toEqual({ default: 12, min: 1, max: 24 });
    expect(COMPLAINT_RETENTION_MONTHS).toEqual({ default: 36, min: 12, max: 120 });
    expect(RETENTION_OVERDUE_AFTER_MS).toBe(26 * 3_600_000);
  });

  it('counts calendar months back, the day clamped to the shorter month', () => {
    expect(monthsBefore(new Date('2028-01-11T09:00:00.000Z'), 12).toISOString()).toBe('2027-01-11T09:00:00.000Z');
    expect(monthsBefore(new Date('2027-03-31T12:30:00.000Z'), 1).toISOString()).toBe('2027-02-28T12:30:00.000Z');
    expect(monthsBefore(new Date('2028-03-31T00:00:00.000Z'), 1).toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(monthsBefore(new Date('2030-02-02T10:00:00.000Z'), 36).toISOString()).toBe('2027-02-02T10:00:00.000Z');
  });

  it('is due at the cutoff, overdue a day and two hours after it', () => {
    expect(retentionCutoff(new Date('2028-01-11T09:00:00.000Z'), 12)).toBe('2027-01-11T09:00:00.000Z');
    expect(overdueCutoff(new Date('2028-01-12T11:00:00.000Z'), 12)).toBe('2027-01-11T09:00:00.000Z');
  });
});
