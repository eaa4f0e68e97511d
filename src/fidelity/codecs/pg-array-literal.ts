/** An element of a parsed array literal: text, NULL, or a nested array. */
export type ArrayLiteralElement = string | null | ArrayLiteralElement[];

/**
 * Parses a Postgres array literal (`{a,"b c",NULL,{1,2}}`) into text elements; `undefined` when
 * the text is not one. Used for array defaults such as `'{}'::text[]`.
 */
export function parsePgArrayLiteral(text: string): ArrayLiteralElement[] | undefined {
  let position = 0;
  const source = text.trim();

  function parseArray(): ArrayLiteralElement[] | undefined {
    if (source[position] !== "{") return undefined;
    position++;
    const elements: ArrayLiteralElement[] = [];
    skipSpaces();
    if (source[position] === "}") {
      position++;
      return elements;
    }
    for (;;) {
      skipSpaces();
      const element = source[position] === "{" ? parseArray() : parseElement();
      if (element === undefined) return undefined;
      elements.push(element);
      skipSpaces();
      const separator = source[position++];
      if (separator === "}") return elements;
      if (separator !== ",") return undefined;
    }
  }

  function parseElement(): string | null | undefined {
    if (source[position] === '"') {
      let value = "";
      position++;
      while (position < source.length && source[position] !== '"') {
        if (source[position] === "\\") position++;
        value += source[position++] ?? "";
      }
      if (source[position] !== '"') return undefined;
      position++;
      return value;
    }
    const start = position;
    while (position < source.length && !",}".includes(source[position]!)) position++;
    const raw = source.slice(start, position).trim();
    if (raw === "") return undefined;
    return raw.toUpperCase() === "NULL" ? null : raw;
  }

  function skipSpaces(): void {
    while (source[position] === " ") position++;
  }

  const result = parseArray();
  return result !== undefined && position === source.length ? result : undefined;
}
