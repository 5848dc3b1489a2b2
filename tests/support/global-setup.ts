import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, startAzurite, startCosmosEmulator, type ChildService } from '../../local/stack.js';
import { ensureArmTemplate } from './arm-template-build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    cosmosEndpoint: string;
    blobEndpoint: string;
    /** Why the infrastructure tests cannot run here (no Bicep CLI), or empty. */
    armTemplateUnavailable: string;
  }
}

/** The compiled ARM template, built if it is missing or stale; one Cosmos DB emulator and one Azurite per test run, on free ports. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const unavailable = (await runsInfrastructureTests(project)) ? ensureArmTemplate() : undefined;
  if (unavailable) console.warn(`Skipping the infrastructure tests (tests/infra): ${unavailable}. Install the .NET SDK to run them.`);
  project.provide('armTemplateUnavailable', unavailable ?? '');
  const azuriteDirectory = await mkdtemp(join(tmpdir(), 'engage-azurite-'));
  const children: ChildService[] = [];
  try {
    children.push(await startCosmosEmulator(await freePort(), true));
    children.push(await startAzurite(await freePort(), azuriteDirectory, true));
  } catch (error) {
    await Promise.all(children.map((child) => child.stop()));
    throw error;
  }
  const [cosmos, azurite] = children as [ChildService, ChildService];
  project.provide('cosmosEndpoint', cosmos.endpoint);
  project.provide('blobEndpoint', azurite.endpoint);
  return async () => {
    await Promise.all(children.map((child) => child.stop()));
    await rm(azuriteDirectory, { recursive: true, force: true });
  };
}

/**
 * Whether this run includes tests/infra: a run of other files (`npx vitest run tests/exports`)
 * neither waits for nor fails on the Bicep build.
 */
async function runsInfrastructureTests(project: TestProject): Promise<boolean> {
  // The file filters given on the command line; vitest keeps them on the instance (undefined: every file).
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  const { testFiles } = await project.globTestFiles(filters);
  return testFiles.some((file) => file.replaceAll('\\', '/').includes('/tests/infra/'));
}
