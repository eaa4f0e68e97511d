import { describeValue, invalidValue, type ColumnCodec, type ColumnRef } from "../column-codec";
import { PostgresInterval } from "./postgres-interval";

interface IntervalParts {
  months: number;
  days: number;
  micros: number;
}

const MICROS = { second: 1e6, minute: 60e6, hour: 3600e6, day: 86400e6 } as const;

const UNIT_ALIASES: Record<string, string> = {
  microsecond: "us",
  microseconds: "us",
  usec: "us",
  usecs: "us",
  us: "us",
  millisecond: "ms",
  milliseconds: "ms",
  msec: "ms",
  msecs: "ms",
  ms: "ms",
  second: "s",
  seconds: "s",
  sec: "s",
  secs: "s",
  s: "s",
  minute: "min",
  minutes: "min",
  min: "min",
  mins: "min",
  m: "min",
  hour: "h",
  hours: "h",
  hr: "h",
  hrs: "h",
  h: "h",
  day: "d",
  days: "d",
  d: "d",
  week: "w",
  weeks: "w",
  w: "w",
  month: "mon",
  months: "mon",
  mon: "mon",
  mons: "mon",
  year: "y",
  years: "y",
  yr: "y",
  yrs: "y",
  y: "y",
  decade: "dec",
  decades: "dec",
  century: "c",
  centuries: "c",
  millennium: "mil",
  millennia: "mil",
  millenniums: "mil",
};
const TIME_UNITS: Record<string, number> = { us: 1, ms: 1000, s: MICROS.second, min: MICROS.minute, h: MICROS.hour };
const YEAR_MONTHS: Record<string, number> = { y: 12, dec: 120, c: 1200, mil: 12000 };

function addDays(parts: IntervalParts, value: number): void {
  const whole = Math.trunc(value);
  parts.days += whole;
  parts.micros += Math.round((value - whole) * MICROS.day);
}

function addUnit(parts: IntervalParts, value: number, unit: string): void {
  if (unit in TIME_UNITS) parts.micros += Math.round(value * TIME_UNITS[unit]!);
  else if (unit === "d") addDays(parts, value);
  else if (unit === "w") addDays(parts, value * 7);
  else if (unit === "mon") {
    const whole = Math.trunc(value);
    parts.months += whole;
    addDays(parts, (value - whole) * 30);
  } else parts.months += Math.round(value * YEAR_MONTHS[unit]!);
}

const VERBOSE_ITEM = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*([a-z]+)?$/i;
const TIME_ITEM = /^([+-]?)(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?$/;
const ISO = /^P(?:([\d.]+)Y)?(?:([\d.]+)M)?(?:([\d.]+)W)?(?:([\d.]+)D)?(?:T(?:([\d.]+)H)?(?:([\d.]+)M)?(?:([\d.]+)S)?)?$/i;

/** Parses Postgres interval input: verbose (`1 day 2 hours`, `@ 3 mins ago`), `HH:MM[:SS]`, bare seconds, ISO 8601. */
function parseInterval(text: string): IntervalParts | undefined {
  const parts: IntervalParts = { months: 0, days: 0, micros: 0 };
  const input = text.trim();
  const iso = ISO.exec(input);
  if (iso) {
    if (input.length < 2 || /T$/i.test(input)) return undefined;
    ["y", "mon", "w", "d", "h", "min", "s"].forEach((unit, index) => {
      if (iso[index + 1] !== undefined) addUnit(parts, Number(iso[index + 1]), unit);
    });
    return parts;
  }
  let tokens = input.replace(/^@\s*/, "").replace(/,/g, " ").split(/\s+/).filter(Boolean);
  const ago = tokens[tokens.length - 1]?.toLowerCase() === "ago";
  if (ago) tokens = tokens.slice(0, -1);
  if (tokens.length === 0) return undefined;
  for (let i = 0; i < tokens.length; i++) {
    const time = TIME_ITEM.exec(tokens[i]!);
    if (time) {
      const sign = time[1] === "-" ? -1 : 1;
      parts.micros +=
        sign * Math.round(Number(time[2]) * MICROS.hour + Number(time[3]) * MICROS.minute + Number(time[4] ?? 0) * MICROS.second);
      continue;
    }
    const item = VERBOSE_ITEM.exec(tokens[i]!);
    if (!item) return undefined;
    let unitWord = item[2];
    if (unitWord === undefined && i + 1 < tokens.length && /^[a-z]+$/i.test(tokens[i + 1]!)) unitWord = tokens[++i];
    const unit = unitWord === undefined ? "s" : UNIT_ALIASES[unitWord.toLowerCase()];
    if (unit === undefined) return undefined;
    addUnit(parts, Number(item[1]), unit);
  }
  if (ago) {
    parts.months = -parts.months;
    parts.days = -parts.days;
    parts.micros = -parts.micros;
  }
  return parts;
}

/** Postgres' output for an interval (IntervalStyle `postgres`, the default). */
function formatInterval(parts: IntervalParts): string {
  const output: string[] = [];
  let before = false;
  const add = (value: number, unit: string) => {
    if (value === 0) return;
    output.push(`${before && value > 0 ? "+" : ""}${value} ${unit}${value !== 1 ? "s" : ""}`);
    before = value < 0;
  };
  add(Math.trunc(parts.months / 12), "year");
  add(parts.months % 12, "mon");
  add(parts.days, "day");
  if (output.length === 0 || parts.micros !== 0) {
    const abs = Math.abs(parts.micros);
    const hours = Math.floor(abs / MICROS.hour);
    const minutes = Math.floor((abs % MICROS.hour) / MICROS.minute);
    const seconds = Math.floor((abs % MICROS.minute) / MICROS.second);
    const fraction = String(abs % MICROS.second)
      .padStart(6, "0")
      .replace(/0+$/, "");
    const sign = parts.micros < 0 ? "-" : before ? "+" : "";
    const pad = (n: number) => String(n).padStart(2, "0");
    output.push(`${sign}${pad(hours)}:${pad(minutes)}:${pad(seconds)}${fraction ? `.${fraction}` : ""}`);
  }
  return output.join(" ");
}

/**
 * Postgres `interval`: stored as Postgres prints it (`1 day 02:00:00`) and returned as `pg`
 * returns it, a {@link PostgresInterval}. Input may be interval text, a number of seconds, or an
 * object with `toPostgres()` (such as a `postgres-interval`), as `pg` accepts.
 */
export class IntervalCodec implements ColumnCodec<string> {
  constructor(private readonly ref: ColumnRef) {}

  normalize(value: unknown): string {
    let text: string | undefined;
    if (typeof value === "string") text = value;
    else if (typeof value === "number" && Number.isFinite(value)) text = String(value);
    else if (typeof value === "object" && value !== null && typeof (value as { toPostgres?: unknown }).toPostgres === "function") {
      text = String((value as { toPostgres(): unknown }).toPostgres());
    }
    const parts = text === undefined ? undefined : parseInterval(text);
    if (!parts) throw invalidValue(this.ref, value, `${describeValue(value)} is not an interval.`);
    return formatInterval(parts);
  }

  store(canonical: string): string {
    return canonical;
  }

  load(stored: unknown): string {
    // TypeORM hydrates generated values a second time after an insert: those arrive presented.
    return typeof stored === "string" ? stored : this.normalize(stored);
  }

  present(canonical: string): PostgresInterval {
    return new PostgresInterval(canonical);
  }
}
