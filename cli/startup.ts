// Owns the moments of `keel` start-up that `keel dev --log-level debug` reports: this module is
// the first the command evaluates, so its clock reading is when Node handed over to Keel.

/** ms since the process started (Node's own boot), when the CLI's first module ran. */
export const cliStartedAt = performance.now();
