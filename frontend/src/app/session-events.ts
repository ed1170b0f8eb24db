/** Stores that cache tenant data register a reset here; signing out runs them all. */
const resets = new Set<() => void>();

export function onSignedOut(reset: () => void): void {
  resets.add(reset);
}

export function runSignedOutResets(): void {
  resets.forEach((r) => r());
}
