import type { Services } from '../../lib/services.js';

/**
 * Test-only: every document in every container and every blob, as text. A cross-partition
 * scan is exactly what request paths must never do, and exactly what proving an erasure
 * needs.
 */
export async function everythingStored(services: Services): Promise<{ where: string; text: string }[]> {
  const found: { where: string; text: string }[] = [];
  const { resources: containers } = await services.cosmos.database.containers.readAll().fetchAll();
  for (const definition of containers) {
    const container = services.cosmos.database.container(definition.id);
    const { resources } = await container.items.query('SELECT * FROM c').fetchAll();
    for (const document of resources) found.push({ where: `${definition.id}/${String(document.id)}`, text: JSON.stringify(document) });
  }
  for await (const container of services.blob.listContainers()) {
    const client = services.blob.getContainerClient(container.name);
    for await (const blob of client.listBlobsFlat()) {
      const content = await client.getBlobClient(blob.name).downloadToBuffer();
      found.push({ where: `blob:${container.name}/${blob.name}`, text: `${blob.name}\n${content.toString('utf8')}` });
    }
  }
  return found;
}

export async function findAnywhere(services: Services, needles: string[]): Promise<string[]> {
  const stored = await everythingStored(services);
  return stored.flatMap(({ where, text }) => needles.filter((needle) => text.includes(needle)).map((needle) => `${needle} in ${where}`));
}
