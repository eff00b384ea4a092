/** The text of a file that passed the encoding checks, or why it cannot be read. */
export type ReadResult = { ok: true; text: string } | { ok: false; message: string; line?: number; column?: number };
