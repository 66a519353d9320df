/**
 * Versioned SQLite schemas for Durable Objects: each step runs once, in order,
 * and `schema_version` records how far an object's storage has come, so an
 * object created by an older deploy upgrades itself on first start.
 * Append new steps; never edit a step that has shipped.
 */
export function applySchemaSteps(sql: SqlStorage, steps: readonly string[]): number {
  sql.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = sql.exec<{ version: number }>('SELECT version FROM schema_version').toArray()[0];
  let version = row?.version ?? 0;
  if (!row) sql.exec('INSERT INTO schema_version (version) VALUES (0)');
  for (; version < steps.length; version++) {
    sql.exec(steps[version]!);
    sql.exec('UPDATE schema_version SET version = ?', version + 1);
  }
  return version;
}
