import type { IndexingPolicy } from '@azure/cosmos';

export interface ContainerDefinition {
  id: string;
  partitionKeyPaths: readonly string[];
  /** Paths the queries filter or sort on; everything else is left out of the index. */
  indexedPaths: readonly string[];
  /** What lives here, for the data-design docs and the privacy-provider registry test. */
  documentTypes: readonly string[];
}

/**
 * The Cosmos DB design (docs/data-design.md explains the sizing). Keep in step with the
 * container list in infra/app/cosmos.bicep.
 */
export const CONTAINERS = {
  platform: {
    id: 'platform',
    partitionKeyPaths: ['/pk'],
    indexedPaths: ['/pk/?', '/type/?', '/createdAt/?'],
    documentTypes: ['municipality'],
  },
  identities: {
    id: 'identities',
    partitionKeyPaths: ['/id'],
    indexedPaths: [],
    documentTypes: ['identity'],
  },
  directory: {
    id: 'directory',
    partitionKeyPaths: ['/municipalityId'],
    indexedPaths: ['/type/?', '/schoolId/?', '/schoolIds/[]/?', '/teacherIds/[]/?', '/studentIds/[]/?', '/status/?', '/createdAt/?'],
    documentTypes: ['settings', 'school', 'group', 'user', 'student'],
  },
  records: {
    id: 'records',
    partitionKeyPaths: ['/municipalityId', '/studentId'],
    indexedPaths: ['/type/?', '/createdAt/?'],
    documentTypes: ['assessment', 'evaluation', 'grade'],
  },
  audit: {
    id: 'audit',
    partitionKeyPaths: ['/municipalityId', '/month'],
    indexedPaths: ['/targetIds/[]/?', '/at/?'],
    documentTypes: ['audit-entry'],
  },
} as const satisfies Record<string, ContainerDefinition>;

export type ContainerName = keyof typeof CONTAINERS;

export function indexingPolicyOf(definition: ContainerDefinition): IndexingPolicy {
  return {
    indexingMode: 'consistent',
    automatic: true,
    includedPaths: definition.indexedPaths.map((path) => ({ path })),
    excludedPaths: [{ path: '/*' }, { path: '/"_etag"/?' }],
  };
}
