import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { isCosmosStatus } from '../data/cosmos-errors.js';
import { problems } from '../http/problem.js';
import type { Page } from '../paging/continuation.js';
import type { ContinuationSealer } from '../paging/continuation-sealer.js';
import { queryAll, queryPage, type PageRequest } from '../paging/query-page.js';
import type { Clock } from '../clock.js';
import { nameText } from '../http/text-input.js';

/** Norwegian kommunenummer: four digits. */
export const municipalityIdSchema = z.string().regex(/^\d{4}$/, 'must be a 4-digit kommunenummer').meta({
  description: 'The municipality (kommune), by its 4-digit kommunenummer from Statistics Norway, e.g. 4601 Bergen.',
  examples: ['4601'],
});

export const municipalityInputSchema = z.strictObject({
  id: municipalityIdSchema,
  name: nameText({ max: 100 }),
});

export const municipalitySchema = z.object({
  id: municipalityIdSchema,
  name: z.string(),
  createdAt: z.string(),
});

export type Municipality = z.infer<typeof municipalitySchema>;

const REGISTRY_PARTITION = 'municipalities';

interface StoredMunicipality extends Municipality {
  pk: typeof REGISTRY_PARTITION;
  type: 'municipality';
}

/**
 * The tenant registry. All municipalities share one logical partition of `platform`:
 * Norway has ~360 of them, so the operator's list is a single-partition query.
 */
export class MunicipalityRegistry {
  constructor(
    private readonly platform: Container,
    private readonly clock: Clock,
    private readonly continuations: ContinuationSealer,
  ) {}

  async register(input: z.infer<typeof municipalityInputSchema>): Promise<Municipality> {
    const document: StoredMunicipality = {
      id: input.id,
      pk: REGISTRY_PARTITION,
      type: 'municipality',
      name: input.name,
      createdAt: this.clock.now().toISOString(),
    };
    try {
      await this.platform.items.create(document);
    } catch (error) {
      if (isCosmosStatus(error, 409)) throw problems.conflict('A municipality with this id is already registered');
      throw error;
    }
    return document;
  }

  async find(id: string): Promise<Municipality | undefined> {
    try {
      const { resource } = await this.platform.item(id, REGISTRY_PARTITION).read<StoredMunicipality>();
      return resource;
    } catch (error) {
      if (isCosmosStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async get(id: string): Promise<Municipality> {
    const found = await this.find(id);
    if (!found) throw problems.notFound();
    return found;
  }

  /** Every municipality's id, for background work that visits each (one query; there are a few hundred). */
  ids(): Promise<string[]> {
    return queryAll<string>(this.platform, { select: 'VALUE c.id', where: "c.type = 'municipality'" }, [['pk', REGISTRY_PARTITION]]);
  }

  list(page: PageRequest): Promise<Page<Municipality>> {
    return queryPage<Municipality>(
      this.continuations,
      this.platform,
      { where: 'c.type = @type', parameters: [{ name: '@type', value: 'municipality' }] },
      [['pk', REGISTRY_PARTITION]],
      page,
    );
  }
}
