import type { ExportSection } from '../privacy/privacy-provider.js';

export interface ExportHeader {
  exportId: string;
  municipalityId: string;
  subject: { type: 'student' | 'user'; id: string };
  recipient: 'controller' | 'third-party';
  disclosureId: string | null;
  generatedAt: string;
}

export const EXPORT_MEDIA_TYPES = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
} as const;

type ExportFormat = keyof typeof EXPORT_MEDIA_TYPES;

export function renderExport(format: ExportFormat, header: ExportHeader, sections: readonly ExportSection[]): string {
  return format === 'json' ? JSON.stringify({ ...header, sections }, null, 2) : toCsv(sections);
}

type Scalar = string | number | boolean;

/**
 * One row per item: provider, description, the item's number within its section, then one
 * column per field (nested fields as dotted paths). A provider without items still gets a
 * row, so the file shows every module was asked. RFC 4180 quoting, CRLF line ends, and a
 * byte order mark so spreadsheet programs read æ, ø and å as UTF-8.
 */
function toCsv(sections: readonly ExportSection[]): string {
  const rows: { provider: string; description: string; item: string; fields: Map<string, Scalar> }[] = [];
  const columns = new Set<string>();
  for (const section of sections) {
    if (section.items.length === 0) rows.push({ provider: section.provider, description: section.description, item: '', fields: new Map() });
    section.items.forEach((item, index) => {
      const fields = new Map<string, Scalar>();
      for (const [key, value] of Object.entries(item)) flatten(value, key, fields);
      for (const column of fields.keys()) columns.add(column);
      rows.push({ provider: section.provider, description: section.description, item: String(index + 1), fields });
    });
  }
  const header = ['provider', 'description', 'item', ...columns];
  const lines = [header.map(cell), ...rows.map((row) => [row.provider, row.description, row.item, ...[...columns].map((column) => row.fields.get(column) ?? '')].map(cell))];
  return `\uFEFF${lines.map((line) => line.join(',')).join('\r\n')}\r\n`;
}

function flatten(value: unknown, path: string, into: Map<string, Scalar>): void {
  if (value === null || value === undefined) {
    into.set(path, '');
  } else if (Array.isArray(value)) {
    // Lists of plain values (ids, categories) read best in one cell.
    if (value.every((entry) => typeof entry !== 'object' || entry === null)) into.set(path, value.map((entry) => String(entry ?? '')).join('; '));
    else value.forEach((entry, index) => flatten(entry, `${path}.${index + 1}`, into));
  } else if (typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) into.set(path, '');
    for (const [key, entry] of entries) flatten(entry, `${path}.${key}`, into);
  } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    into.set(path, value);
  } else {
    into.set(path, String(value));
  }
}

/**
 * CSV injection: a spreadsheet runs a cell that starts with = + - @ (or a tab or carriage
 * return) as a formula, and exported data holds text others typed. Such text cells get a
 * leading apostrophe; numbers and booleans come from the system and are left as they are.
 */
function cell(value: Scalar): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
