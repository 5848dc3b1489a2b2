import { defineFeature } from '../app/feature.js';
import { RecordStore } from './record-store.js';
import { studentRecordRoutes } from './record-routes.js';
import { recordsPrivacyProvider } from './records-privacy.js';

/** P2, P3: kartlegginger, vurderinger and karakterer per student, anonymised at erasure. */
export const recordsFeature = defineFeature({
  name: 'records',
  services: ({ cosmos, clock, continuations }) => ({ records: new RecordStore(cosmos.containers.records, clock, continuations) }),
  privacyProviders: ({ cosmos, config }) => [recordsPrivacyProvider(cosmos.containers.records, config.privacyDigestKey)],
  routes: studentRecordRoutes,
});
