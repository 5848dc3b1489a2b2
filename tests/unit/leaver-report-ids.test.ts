import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { reportIdOf, versionIdOf } from '../../lib/reports/leaver-report-model.js';

const studentId = '5b0f3c52-9a1e-4c1f-8f43-2f1f0b9c7d11';

describe('leaver report ids, which stay in run warnings after the student is erased', () => {
  it('are stable for one key, student and school year, and UUID-shaped', () => {
    const id = reportIdOf('key-a', studentId, '2030-2031');
    expect(reportIdOf('key-a', studentId, '2030-2031')).toBe(id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(reportIdOf('key-a', studentId, '2031-2032')).not.toBe(id);
  });

  it('cannot be tested against a student id without the key', () => {
    const plain = createHash('sha256').update(`leaver-report:${studentId}:2030-2031`).digest('hex');
    const id = reportIdOf('key-a', studentId, '2030-2031');
    expect(id.replaceAll('-', '').slice(0, 8)).not.toBe(plain.slice(0, 8));
    expect(reportIdOf('key-b', studentId, '2030-2031')).not.toBe(id);
    expect(versionIdOf('key-b', 'run-1', studentId)).not.toBe(versionIdOf('key-a', 'run-1', studentId));
  });
});
