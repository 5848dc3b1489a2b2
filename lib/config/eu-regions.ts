/**
 * Azure regions inside the EU/EEA (P15). Switzerland and the United Kingdom are
 * deliberately absent: neither is in the EU or the EEA.
 * Names are normalised (lower case, no spaces) so that both ARM names
 * ("norwayeast") and the display names Cosmos DB reports ("Norway East") match.
 */
export const EU_EEA_REGIONS: ReadonlySet<string> = new Set([
  'austriaeast',
  'belgiumcentral',
  'denmarkeast',
  'finlandcentral',
  'francecentral',
  'francesouth',
  'germanynorth',
  'germanywestcentral',
  'greececentral',
  'italynorth',
  'northeurope',
  'norwayeast',
  'norwaywest',
  'polandcentral',
  'spaincentral',
  'swedencentral',
  'swedensouth',
  'westeurope',
]);

export function normaliseRegion(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, '');
}

export function isEuEeaRegion(name: string): boolean {
  return EU_EEA_REGIONS.has(normaliseRegion(name));
}
