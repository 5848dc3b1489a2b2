import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { LeaverReportContent } from './report-content.js';

type PdfDocument = PDFKit.PDFDocument;

/**
 * DejaVu Sans, embedded (as a subset): the PDF standard fonts only know WinAnsi, which has
 * æøå but garbles Sámi letters such as č, đ, ŋ and ŧ in names.
 */
interface Fonts {
  regular: Buffer;
  bold: Buffer;
}

let fonts: Promise<Fonts> | undefined;

function loadFonts(): Promise<Fonts> {
  const require = createRequire(import.meta.url);
  fonts ??= Promise.all([
    readFile(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')),
    readFile(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf')),
  ]).then(([regular, bold]) => ({ regular, bold }));
  return fonts;
}

const MARGIN = 56;
const TERMS: Record<string, string> = { autumn: 'Høst', spring: 'Vår' };
const GRADE_KINDS: Record<string, string> = { standpunkt: 'Standpunkt', eksamen: 'Eksamen' };

/** `2026-06-19` or an ISO instant -> `19.06.2026`. */
export function norwegianDate(value: string): string {
  const [year, month, day] = value.slice(0, 10).split('-');
  return `${day}.${month}.${year}`;
}

interface Column {
  title: string;
  width: number;
}

/** `974123456` -> `974 123 456`, as organisation numbers are printed. */
export function organisationNumberText(number: string | undefined): string {
  return number === undefined ? 'Ikke registrert' : number.replace(/^(\d{3})(\d{3})(\d{3})$/, '$1 $2 $3');
}

/**
 * The PDF of a leaver report, a document the school hands out: A4, the issuing municipality,
 * school and organisation number, Norwegian headings, the student's details, then grades,
 * screening tests and evaluations with subject names beside the codes, and a line for place,
 * date and signature. No storage dates: the paper outlives the stored copy. pdfkit is loaded
 * on first use so that the API's cold start does not pay for it.
 */
export async function renderReportPdf(content: LeaverReportContent): Promise<Buffer> {
  const [{ default: PDFDocument }, { regular, bold }] = await Promise.all([import('pdfkit'), loadFonts()]);
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN },
    bufferPages: true,
    lang: 'nb-NO',
    info: { Title: 'Sluttrapport for avgangselev', Creator: 'Engage', CreationDate: new Date(content.createdAt) },
  });
  doc.registerFont('regular', regular);
  doc.registerFont('bold', bold);
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const { student, school, municipality } = content;
  const subject = (code: unknown) => subjectText(content, String(code));
  doc.font('bold').fontSize(11).text(municipality.name);
  doc.font('regular').fontSize(10).text(school.name).text(`Organisasjonsnummer: ${organisationNumberText(school.organisationNumber)}`).moveDown(1.5);
  doc.font('bold').fontSize(18).text('Sluttrapport for avgangselev').moveDown(0.5);

  heading(doc, 'Elevopplysninger');
  const details: [string, string][] = [
    ['Navn', `${student.givenName} ${student.familyName}`],
    ['Fødselsdato', norwegianDate(student.birthDate)],
    ['Trinn', `${student.yearLevel}. trinn`],
    ['Skoleår', content.schoolYear],
    ['Sluttdato', student.leftAt ? norwegianDate(student.leftAt) : 'Ikke registrert'],
  ];
  for (const [label, value] of details) {
    doc.font('bold').fontSize(10).text(`${label}: `, { continued: true }).font('regular').text(value);
  }
  doc.moveDown();

  heading(doc, 'Karakterer');
  table(
    doc,
    [{ title: 'Fag', width: 215 }, { title: 'Karakter', width: 60 }, { title: 'Termin', width: 55 }, { title: 'Type', width: 75 }, { title: 'År', width: 75 }],
    content.grades.map((grade) => [subject(grade.subjectCode), String(grade.grade), TERMS[String(grade.term)] ?? String(grade.term), GRADE_KINDS[String(grade.kind)] ?? String(grade.kind), String(grade.schoolYear)]),
    'Ingen registrerte karakterer.',
  );

  heading(doc, 'Kartlegginger');
  table(
    doc,
    [{ title: 'Test', width: 130 }, { title: 'Dato', width: 90 }, { title: 'Poeng', width: 110 }, { title: 'Under kritisk grense', width: 150 }],
    content.assessments.map((test) => [String(test.testCode), norwegianDate(String(test.date)), `${String(test.score)} av ${String(test.maxScore)}`, test.belowThreshold ? 'Ja' : 'Nei']),
    'Ingen registrerte kartlegginger.',
  );

  heading(doc, 'Vurderinger');
  if (content.evaluations.length === 0) doc.font('regular').fontSize(10).text('Ingen registrerte vurderinger.');
  for (const evaluation of content.evaluations) {
    keepLines(doc, 3);
    doc.font('bold').fontSize(10).text(`${subject(evaluation.subjectCode)} · ${norwegianDate(String(evaluation.date))}`);
    doc.font('regular').fontSize(10).text(String(evaluation.text)).moveDown(0.5);
  }

  signature(doc);
  footer(doc, `Generert ${norwegianDate(content.createdAt)}`);
  doc.end();
  return finished;
}

/** "NOR0214 Norsk hovedmål, skriftlig"; a code the catalogue does not know stays the code. */
function subjectText(content: LeaverReportContent, code: string): string {
  const name = content.subjects[code];
  return name === undefined ? code : `${code} ${name}`;
}

/** Two lines to write on: place and date, and the signature of whoever issues the report. */
function signature(doc: PdfDocument): void {
  keepLines(doc, 7);
  doc.moveDown(3);
  const y = doc.y;
  const width = (doc.page.width - 2 * MARGIN - 40) / 2;
  for (const [index, label] of ['Sted og dato', 'Underskrift'].entries()) {
    const x = MARGIN + index * (width + 40);
    doc.moveTo(x, y).lineTo(x + width, y).lineWidth(0.5).stroke();
    doc.font('regular').fontSize(9).text(label, x, y + 4, { width });
  }
  doc.x = MARGIN;
}

function heading(doc: PdfDocument, title: string): void {
  keepLines(doc, 4);
  doc.x = MARGIN;
  doc.font('bold').fontSize(13).text(title).moveDown(0.3);
}

/** Starts a new page unless `lines` more lines of body text fit on this one. */
function keepLines(doc: PdfDocument, lines: number): void {
  if (doc.y + lines * 14 > doc.page.height - MARGIN) doc.addPage();
}

function table(doc: PdfDocument, columns: Column[], rows: string[][], empty: string): void {
  if (rows.length === 0) {
    doc.font('regular').fontSize(10).text(empty).moveDown();
    return;
  }
  const header = () => row(doc, columns, columns.map((column) => column.title), 'bold');
  header();
  for (const cells of rows) {
    if (doc.y + 16 > doc.page.height - MARGIN) {
      doc.addPage();
      header();
    }
    row(doc, columns, cells, 'regular');
  }
  doc.x = MARGIN;
  doc.moveDown();
}

function row(doc: PdfDocument, columns: Column[], cells: string[], font: 'regular' | 'bold'): void {
  const top = doc.y;
  let x = MARGIN;
  let bottom = top;
  doc.font(font).fontSize(10);
  columns.forEach((column, index) => {
    doc.text(cells[index] ?? '', x, top, { width: column.width - 8 });
    bottom = Math.max(bottom, doc.y);
    x += column.width;
  });
  doc.x = MARGIN;
  doc.y = bottom + 2;
}

function footer(doc: PdfDocument, text: string): void {
  const pages = doc.bufferedPageRange();
  for (let index = 0; index < pages.count; index++) {
    doc.switchToPage(pages.start + index);
    // Writing inside the bottom margin must not make pdfkit start another page.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font('regular').fontSize(8).text(`${text} · side ${index + 1} av ${pages.count}`, MARGIN, doc.page.height - MARGIN + 16, {
      width: doc.page.width - 2 * MARGIN,
      align: 'center',
      lineBreak: false,
    });
    doc.page.margins.bottom = bottom;
  }
}
