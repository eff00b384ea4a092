import { surveyHcl, type Survey } from "./prefilter.js";
import { readTextFile, readWorkingTreeText, type ReadResult } from "./read.js";
import { workingTree, type SourceTree } from "./tree.js";

/** A file read and surveyed. */
export interface SurveyedFile {
  read: ReadResult;
  /** Absent for files that could not be read, and for JSON files (parsed natively). */
  survey?: Survey;
}

/** Reads and surveys one file. */
async function surveyFile(path: string, tree: SourceTree = workingTree): Promise<SurveyedFile> {
  return surveyed(path, await readTextFile(path, tree));
}

/** The same from the working tree, without a promise per file: thousands of them add up. */
function surveyWorkingTreeFile(path: string): SurveyedFile {
  return surveyed(path, readWorkingTreeText(path));
}

function surveyed(path: string, read: ReadResult): SurveyedFile {
  if (!read.ok || path.endsWith(".json")) return { read };
  // Nesting too deep for the parsers is not well formed either (the survey's skim counts it): such a file is
  // parsed, which reports it (see nesting.ts).
  return { read, survey: surveyHcl(read.text) };
}

/**
 * Reads and surveys files, in order. Every file of a repository goes through here, parsed or not;
 * from the working tree, reads are synchronous, without a promise per file. (A second thread was
 * tried: on two cores, starting a worker and warming its code cost more than it saved.)
 */
export async function surveyFiles(paths: readonly string[], tree: SourceTree): Promise<SurveyedFile[]> {
  if (tree === workingTree) return paths.map(surveyWorkingTreeFile);
  // A git snapshot answers through one pipe (see change/blob-reader.ts): all requests at once, not one round trip per file.
  return Promise.all(paths.map((path) => surveyFile(path, tree)));
}
