import { BlobClient, RestError } from '@azure/storage-blob';
import { describe, expect, it, vi } from 'vitest';
import { municipalityApp } from '../support/test-app.js';
import { follow, rosterFiles, upload, zip } from './oneroster-fixture.js';

/** A municipality of its own: the emulators' blob containers are shared by every test file. */
const M = '5077';

const app = municipalityApp(M);

describe('roster import start under Blob Storage faults (faults injected with the SDK\'s own RestError)', () => {
  it.each([
    { status: 503, code: 'ServerBusy', message: 'The server is busy.', detail: 'A dependency is unavailable; retry shortly' },
    { status: 429, code: 'TooManyRequests', message: 'Too many requests.', detail: 'Storage is busy; retry shortly' },
    { status: 408, code: 'OperationTimedOut', message: 'The operation could not be completed within the permitted time.', detail: 'A dependency is unavailable; retry shortly' },
    { status: undefined, code: 'REQUEST_SEND_ERROR', message: 'socket hang up', detail: 'A dependency is unavailable; retry shortly' },
  ])('fault injected: getProperties of the upload throws RestError $code ($status); the start answers 503 problem+json with Retry-After, and a retry starts the import', async ({ status, code, message, detail }) => {
    const file = zip(rosterFiles({ municipalityId: M, schools: [{ sourcedId: 'sch-1', name: 'Fault skole', organisationNumber: '974500077' }], people: [], classes: [], enrollments: [] }));
    const blob = await upload(app.test, app.admin, M, file);
    const original = BlobClient.prototype.getProperties;
    let injected = 0;
    // Only the upload's first read fails: anything else the app reads from Blob Storage meanwhile is left alone.
    const spy = vi.spyOn(BlobClient.prototype, 'getProperties').mockImplementation(function (this: BlobClient, ...args) {
      if (injected === 0 && this.name === blob) {
        injected += 1;
        return Promise.reject(new RestError(message, { code, statusCode: status }));
      }
      return original.apply(this, args);
    });
    try {
      const failed = await app.test.request<{ type: string; status: number }>('POST', `/municipalities/${M}/roster-imports`, { token: app.admin, body: { blob, mode: 'bulk', dryRun: true } });
      expect(injected).toBe(1);
      expect(failed.status, failed.text).toBe(503);
      expect(failed.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(failed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(failed.body).toMatchObject({ status: 503 });
      expect(failed.body.type).toMatch(/unavailable/);
      expect(failed.body).toMatchObject({ detail });
    } finally {
      spy.mockRestore();
    }
    // Nothing was held by the failed start: the retry the 503 asks for is taken.
    const retried = await app.test.request('POST', `/municipalities/${M}/roster-imports`, { token: app.admin, body: { blob, mode: 'bulk', dryRun: true } });
    expect(retried.status, retried.text).toBe(202);
    // Run to its end, so the next case's start is not refused as overlapping.
    expect((await follow(app.test, app.admin, retried.headers.get('location') ?? '')).status).toBe('completed');
  });
});
