// Owns composing the list filter: the user's text (Temporal's list-filter language) and a quick
// status filter make one query. Pure.

/** Where `ORDER BY` starts in a filter, outside quoted strings; -1 when it has none. */
export function orderByIndex(filter: string): number {
  let quote: string | undefined;
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if ((c === 'o' || c === 'O') && /^order\s+by\b/i.test(filter.slice(i)) && (i === 0 || /\s|\)/.test(filter[i - 1]!))) return i;
  }
  return -1;
}

/**
 * The filter the service is asked with: `ExecutionStatus = 'Running' AND (user filter) ORDER BY …`,
 * keeping the user's ORDER BY at the end where the language wants it.
 */
export function composeFilter(user: string, status?: string): string {
  const text = user.trim();
  if (!status) return text;
  const cond = `ExecutionStatus = '${status.replace(/'/g, "\\'")}'`;
  const at = orderByIndex(text);
  const where = (at >= 0 ? text.slice(0, at) : text).trim();
  const order = at >= 0 ? ` ${text.slice(at).trim()}` : '';
  return `${where ? `${cond} AND (${where})` : cond}${order}`;
}

/** A filter that finds one workflow id (quotes escaped). */
export const workflowIdFilter = (id: string) => `WorkflowId = '${id.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The filter without its ORDER BY clause (what a count takes). */
export function withoutOrderBy(filter: string): string {
  const at = orderByIndex(filter);
  return (at >= 0 ? filter.slice(0, at) : filter).trim();
}
