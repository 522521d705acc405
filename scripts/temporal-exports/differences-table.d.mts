export const DOC: string;
export const START: string;
export const END: string;
export function renderTable(exceptions: Record<string, Record<string, string>>, version: string): string;
export function withTable(doc: string, table: string): string;
export function load(): { exceptions: unknown; temporal: unknown };
