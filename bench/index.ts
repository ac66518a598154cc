import { runSection, type SectionName, type SectionReport, sectionsFrom } from './sections.js';
import { formatTable } from './stats.js';

/**
 * `npm run bench [-- <section>...]`: one table of ratios, each against a baseline measured in the
 * same run on the same machine (absolute times are printed beside them, never asserted). With no
 * section named, every section runs; a section that fails is reported under the table, and the
 * others still run.
 */
async function main(args: readonly string[]): Promise<number> {
  let names: SectionName[];
  try {
    names = sectionsFrom(args);
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
  const reports: SectionReport[] = [];
  const failures: string[] = [];
  for (const name of names) {
    try {
      reports.push(await runSection(name, 'full'));
    } catch (error) {
      failures.push(`${name}: ${(error as Error).stack ?? error}`);
    }
  }
  console.log(formatTable(reports.flatMap((report) => report.rows)));
  const notes = reports.flatMap((report) => report.notes);
  if (notes.length > 0) console.log(`\n${notes.join('\n')}`);
  for (const failure of failures) console.error(`\nsection failed: ${failure}`);
  return failures.length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
