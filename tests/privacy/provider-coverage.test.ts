import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINERS } from '../../lib/data/containers.js';
import { BLOB_CONTAINERS } from '../../lib/storage/blob-containers.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let test: TestApp;
beforeAll(async () => {
  test = await startTestApp();
});
afterAll(() => test.close());

describe('privacy providers (the Moodle privacy-API pattern)', () => {
  it('every container and document type, and every blob container, is declared by a provider', () => {
    const declared = new Set(
      test.app.services.privacy.all().flatMap((provider) =>
        provider.locations.flatMap((location) =>
          location.kind === 'cosmos' ? location.documentTypes.map((type) => `cosmos:${location.container}/${type}`) : [`blob:${location.container}`],
        ),
      ),
    );
    const stored = [
      ...Object.values(CONTAINERS).flatMap((container) => container.documentTypes.map((type) => `cosmos:${container.id}/${type}`)),
      ...BLOB_CONTAINERS.map((name) => `blob:${name}`),
    ];
    expect(stored.filter((location) => !declared.has(location)), 'stored without a privacy provider').toEqual([]);
  });

  it('every provider of personal data says what, why and for how long, and can export, erase and verify', () => {
    for (const provider of test.app.services.privacy.all()) {
      expect(provider.purpose.length, provider.name).toBeGreaterThan(10);
      expect(provider.retention.length, provider.name).toBeGreaterThan(3);
      if (provider.categories.length > 0) {
        expect(provider.subjects.length > 0 || (provider.unlinkedSubjects ?? '').length > 20, `${provider.name}: personal data, but no subject and no reason why`).toBe(true);
      }
      expect(typeof provider.export).toBe('function');
      expect(typeof provider.erase).toBe('function');
      expect(typeof provider.verify).toBe('function');
    }
  });
});
