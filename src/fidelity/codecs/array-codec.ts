import { describeValue, invalidValue, type ColumnCodec, type ColumnRef } from "../column-codec";
import { parsePgArrayLiteral, type ArrayLiteralElement } from "./pg-array-literal";

type Nested<T> = T | null | Nested<T>[];

/**
 * Postgres `array: true` columns of scalar types: JavaScript arrays in and out. Each element goes
 * through the element type's codec (a `uuid[]` is validated and lowercased, an `int8[]` comes back
 * as strings, …); NULL elements and nested arrays are kept. Stored as JSON text of the elements'
 * canonical values.
 */
export class ArrayCodec implements ColumnCodec<string> {
  constructor(
    private readonly ref: ColumnRef,
    private readonly element: ColumnCodec,
  ) {}

  normalize(value: unknown): string {
    if (typeof value === "string") return this.fromSqlText(value);
    if (!Array.isArray(value)) throw invalidValue(this.ref, value, `${describeValue(value)} is not an array.`);
    return JSON.stringify(this.map(value as unknown[], (element) => this.element.normalize(element)));
  }

  fromSqlText(text: string): string {
    const elements = parsePgArrayLiteral(text);
    if (!elements) throw invalidValue(this.ref, text, `${describeValue(text)} is not an array literal.`);
    const read = (element: unknown) => (this.element.fromSqlText ?? this.element.normalize).call(this.element, element as string);
    return JSON.stringify(this.map(elements as ArrayLiteralElement[], read));
  }

  store(canonical: string): string {
    return canonical;
  }

  load(stored: unknown): string {
    // TypeORM hydrates generated values a second time after an insert: those arrive as arrays.
    return Array.isArray(stored) ? JSON.stringify(stored) : String(stored);
  }

  present(canonical: string): unknown[] {
    return this.map(JSON.parse(canonical) as unknown[], (element) => this.element.present(element));
  }

  private map(values: unknown[], convert: (element: unknown) => unknown): Nested<unknown>[] {
    return values.map((element) => {
      if (element === null || element === undefined) return null;
      if (Array.isArray(element)) return this.map(element, convert);
      return convert(element);
    });
  }
}
