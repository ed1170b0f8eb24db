import type { DataSource } from 'typeorm';

/** Row counts of every table: proof that a rejected request changed nothing. */
export async function rowCounts(
  db: DataSource,
  exclude: string[] = ['signin_failures'],
): Promise<Record<string, number>> {
  const tables: { table_name: string }[] = await db.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const out: Record<string, number> = {};
  for (const { table_name } of tables) {
    if (exclude.includes(table_name)) continue;
    const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM "${table_name}"`)) as [
      { n: number },
    ];
    out[table_name] = n;
  }
  return out;
}

/** A digest of every row's content in the given tables: proof that updates were not applied either. */
export async function tableDigest(db: DataSource, tables: string[]): Promise<string> {
  const parts: string[] = [];
  for (const t of tables) {
    const [{ d }] = (await db.query(
      `SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS d FROM "${t}" x`,
    )) as [{ d: string }];
    parts.push(`${t}:${d}`);
  }
  return parts.join(',');
}
