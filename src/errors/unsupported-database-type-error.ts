import { SharedReplicationError } from "./shared-replication-error";

const SERVER_ONLY = "Only applications on Postgres, MySQL/MariaDB or SQLite can be tested with it; test this one against its own server";

/** What to do instead, for TypeORM's other types (never "did you mean" one of ours: `mssql` is not a misspelt `mysql`). */
const ALTERNATIVES: Readonly<Record<string, string>> = {
  cockroachdb:
    "TypeORM's CockroachDB driver writes SQL of its own that neither Postgres nor SQLite runs as CockroachDB does; test against a CockroachDB server",
  mongodb: "MongoDB is not a SQL database; use mongodb-memory-server",
  mssql: SERVER_ONLY,
  oracle: SERVER_ONLY,
  sap: SERVER_ONLY,
  spanner: SERVER_ONLY,
};

/**
 * Thrown by the `SharedReplicationDataSource` constructor when the application's options have no
 * `type`, or a type whose SQL and behaviour no engine of this library reproduces (CockroachDB, SQL
 * Server, Oracle, SAP HANA, Spanner, MongoDB, or a misspelling). Testing such an application on
 * SQLite would pass on different SQL than production runs, so nothing is created.
 *
 * @example
 * ```ts
 * new SharedReplicationDataSource({ type: "postgress", entities }); // UnsupportedDatabaseTypeError: did you mean "postgres"?
 * ```
 */
export class UnsupportedDatabaseTypeError extends SharedReplicationError {
  /** The application's `type` as given (`undefined` when missing). */
  readonly type: unknown;
  /** The types the library accepts. */
  readonly supportedTypes: readonly string[];

  constructor(type: unknown, supportedTypes: readonly string[]) {
    const suggestion = typeof type === "string" ? closest(type, supportedTypes) : undefined;
    const advice =
      type === undefined
        ? `Set "type" in the DataSource options to your production database's type.`
        : typeof type === "string" && ALTERNATIVES[type] !== undefined
          ? `${ALTERNATIVES[type]}.`
          : suggestion
            ? `Did you mean "${suggestion}"?`
            : `${SERVER_ONLY}.`;
    super(
      `${type === undefined ? "The application's DataSource options have no type" : `The application's type ${JSON.stringify(type)} is not supported`}: ` +
        `typeorm-shared-replication tests applications of the types ${supportedTypes.map((t) => `"${t}"`).join(", ")}. ${advice}`,
    );
    this.type = type;
    this.supportedTypes = supportedTypes;
  }
}

/** The supported type a misspelt one most likely meant (at most two edits away). */
function closest(type: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(type.toLowerCase(), candidate);
    if (distance <= 2 && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
