import type { CustomerPreferences, ShippingAddress } from "../entities";
import { InvalidRequestError, NotFoundError } from "../services/errors";
import type { OrderRequest } from "../services/order-service";
import type { PageRequest } from "../services/page";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_PAGE_SIZE = 100;

/** An id from the path; anything that is not a uuid cannot name a row, so it is a 404 (Postgres would reject it as a uuid). */
export function idParam(entity: string, value: string): string {
  if (!UUID.test(value)) throw new NotFoundError(entity, value);
  return value;
}

/** `?page=&pageSize=`; page 1 and 20 per page by default, at most 100. */
export function pageQuery(query: Record<string, unknown>): PageRequest {
  const page = positiveInteger(query.page ?? "1", "page");
  const pageSize = positiveInteger(query.pageSize ?? "20", "pageSize");
  if (pageSize > MAX_PAGE_SIZE) throw new InvalidRequestError(`pageSize must be at most ${MAX_PAGE_SIZE}.`);
  return { page, pageSize };
}

export function preferencesBody(body: unknown): CustomerPreferences {
  if (!isObject(body)) throw new InvalidRequestError("The body must be a JSON object of preferences.");
  return body as CustomerPreferences;
}

export function nameBody(body: unknown): string {
  if (!isObject(body) || typeof body.name !== "string" || body.name.trim() === "") {
    throw new InvalidRequestError('The body must be a JSON object with a non-empty "name".');
  }
  return body.name;
}

export function orderBody(body: unknown): OrderRequest {
  if (!isObject(body)) throw new InvalidRequestError("The body must be a JSON object.");
  const { customerId, items, shippingAddress } = body;
  if (typeof customerId !== "string" || !UUID.test(customerId)) throw new InvalidRequestError("customerId must be a uuid.");
  if (!Array.isArray(items) || items.length === 0) throw new InvalidRequestError("items must be a non-empty array.");
  return {
    customerId,
    items: items.map((item: unknown) => {
      if (!isObject(item) || typeof item.productId !== "string" || !UUID.test(item.productId)) {
        throw new InvalidRequestError("Each item needs a productId (a uuid).");
      }
      return { productId: item.productId, quantity: positiveInteger(item.quantity, "quantity") };
    }),
    shippingAddress: address(shippingAddress),
  };
}

function address(value: unknown): ShippingAddress {
  if (!isObject(value) || [value.street, value.city, value.country].some((part) => typeof part !== "string")) {
    throw new InvalidRequestError("shippingAddress needs street, city and country.");
  }
  return { street: value.street as string, city: value.city as string, country: value.country as string };
}

function positiveInteger(value: unknown, name: string): number {
  const number = typeof value === "string" ? Number(value) : value;
  if (typeof number !== "number" || !Number.isInteger(number) || number < 1)
    throw new InvalidRequestError(`${name} must be a positive integer.`);
  return number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
