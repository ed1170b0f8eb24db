import { Core1764100000000 } from './1764100000000-core.js';

/** Every migration, oldest first. Each feature appends its own; they run at boot on PGlite and PostgreSQL alike. */
export const MIGRATIONS = [Core1764100000000];
