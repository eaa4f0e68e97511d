const NUMBER = "([+-]?\\d+)";
const OUTPUT = new RegExp(
  [`${NUMBER}\\s+years?`, `${NUMBER}\\s+mons?`, `${NUMBER}\\s+days?`, "([+-])?([\\d]*):(\\d\\d):(\\d\\d)\\.?(\\d{1,6})?"]
    .map((part) => `(${part})?`)
    .join("\\s*"),
);
const POSITIONS = { years: 2, months: 4, days: 6, hours: 9, minutes: 10, seconds: 11, milliseconds: 12 } as const;
const NEGATABLE = new Set(["hours", "minutes", "seconds", "milliseconds"]);
const UNITS = ["seconds", "minutes", "hours", "days", "months", "years"] as const;
const ISO_UNITS = { years: "Y", months: "M", days: "D", hours: "H", minutes: "M", seconds: "S" } as const;

type IntervalField = keyof typeof POSITIONS;

/**
 * The value `pg` returns for an `interval` column: a `postgres-interval` (1.x) object with only
 * the non-zero fields of Postgres' output set (`{ days: 1, hours: 2 }`), plus `toPostgres()` and
 * `toISOString()`. Reproduced here so the test engine returns what production returns without
 * depending on the `pg` packages.
 */
export class PostgresInterval {
  years?: number;
  months?: number;
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  milliseconds?: number;

  constructor(output: string) {
    const matches = OUTPUT.exec(output);
    if (!output || !matches) return;
    const negative = matches[8] === "-";
    for (const field of Object.keys(POSITIONS) as IntervalField[]) {
      const text = matches[POSITIONS[field]];
      if (!text) continue;
      let value = field === "milliseconds" ? parseInt(text + "000000".slice(text.length), 10) / 1000 : parseInt(text, 10);
      if (!value) continue;
      if (negative && NEGATABLE.has(field)) value *= -1;
      this[field] = value;
    }
  }

  /** The interval in Postgres input syntax, as `postgres-interval` renders it. */
  toPostgres(): string {
    const fields: string[] = UNITS.filter((unit) => Object.prototype.hasOwnProperty.call(this, unit));
    if (this.milliseconds && !fields.includes("seconds")) fields.push("seconds");
    if (fields.length === 0) return "0";
    return fields.map((unit) => `${this.secondsOr(unit, (s) => s.replace(/\.?0+$/, ""))} ${unit}`).join(" ");
  }

  /** Alias of {@link PostgresInterval.toISOString}. */
  toISO(): string {
    return this.toISOString();
  }

  /** ISO 8601 duration, as `postgres-interval` renders it. */
  toISOString(): string {
    const part = (unit: keyof typeof ISO_UNITS) => `${this.secondsOr(unit, (s) => s.replace(/0+$/, ""))}${ISO_UNITS[unit]}`;
    return `P${part("years")}${part("months")}${part("days")}T${part("hours")}${part("minutes")}${part("seconds")}`;
  }

  private secondsOr(unit: string, trim: (text: string) => string): string | number {
    const value = (this as unknown as Record<string, number | undefined>)[unit] ?? 0;
    if (unit !== "seconds" || !this.milliseconds) return value;
    return trim((value + this.milliseconds / 1000).toFixed(6));
  }
}

// postgres-interval assigns its methods to the prototype, where they are enumerable: `for…in` and
// deep equality that walks inherited keys (chai's) see them on what pg returns, so they must here,
// in its order (toPostgres, toISO, toISOString).
for (const method of ["toPostgres", "toISO", "toISOString"] as const) {
  Object.defineProperty(PostgresInterval.prototype, method, { enumerable: true });
}
