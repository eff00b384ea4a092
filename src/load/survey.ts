import { surveyHcl, type Survey } from "./prefilter.js";
import { decodeText, readTextFile, readWorkingTreeText, type ReadResult } from "./read.js";
import { readAhead, type ReadAhead } from "./read-ahead.js";
import { workingTree, type SourceTree } from "./tree.js";

/** A file read and surveyed. */
export interface SurveyedFile {
  read: ReadResult;
  /** Absent for files that could not be read, and for JSON files (parsed natively). */
  survey?: Survey;
}

/** Reads and surveys one file. */
async function surveyFile(path: string, tree: SourceTree = workingTree, defer = false): Promise<SurveyedFile> {
  return surveyed(path, await readTextFile(path, tree), defer);
}

function surveyed(path: string, read: ReadResult, defer = false): SurveyedFile {
  if (!read.ok || path.endsWith(".json")) return { read };
  // Nesting too deep for the parsers is not well formed either (the survey's skim counts it): such a file is
  // parsed, which reports it (see nesting.ts).
  return { read, survey: surveyHcl(read.text, defer) };
}

/**
 * Reads and surveys files, in order. Every file of a repository goes through here, parsed or not;
 * from the working tree, reads are synchronous, without a promise per file, and for a large batch a
 * second thread reads the files ahead (see read-ahead.ts; `KEYGATE_READ_AHEAD=off` turns it off).
 * Surveying stays on this thread: a worker would skim with code of its own to warm up, and hand
 * back results to copy; a second thread for the whole survey was tried, and on two cores starting
 * and warming it cost more than it saved.
 */
export async function surveyFiles(paths: readonly string[], tree: SourceTree, defer = false): Promise<SurveyedFile[]> {
  if (tree === workingTree)
    return surveyWorkingTree(paths, process.env.KEYGATE_READ_AHEAD === "off" ? undefined : readAhead(paths), defer);
  // A git snapshot answers through one pipe (see change/blob-reader.ts): all requests at once, not one round trip per file.
  return Promise.all(paths.map((path) => surveyFile(path, tree, defer)));
}

/**
 * Surveys working-tree files, taking those `ahead` has read (see read-ahead.ts) and reading the
 * others; stops it at the end. `defer`: see surveyHcl.
 */
export function surveyWorkingTree(
  paths: readonly string[],
  ahead: ReadAhead | undefined,
  defer = false,
): SurveyedFile[] {
  try {
    return paths.map((path, index) => {
      const bytes = ahead?.take(index);
      return surveyed(path, bytes ? decodeText(bytes) : readWorkingTreeText(path), defer);
    });
  } finally {
    ahead?.stop();
  }
}
