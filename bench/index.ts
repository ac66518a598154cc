import { runBench, sectionsFrom } from './sections.js';

/**
 * `npm run bench [-- <section>...]`: one table of ratios, each against a baseline measured in the
 * same run on the same machine (absolute times are printed beside them, never asserted). With no
 * section named, every section runs; a section that fails is reported under the table (exit code
 * 1), and the others still run.
 */
async function main(args: readonly string[]): Promise<number> {
  let names: ReturnType<typeof sectionsFrom>;
  try {
    names = sectionsFrom(args);
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
  const { output, failures } = await runBench(names);
  console.log(output);
  for (const failure of failures) console.error(`\n${failure}`);
  return failures.length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
