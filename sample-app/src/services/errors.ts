/** A customer, product or order that does not exist. The HTTP layer answers 404. */
export class NotFoundError extends Error {
  override readonly name = "NotFoundError";

  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`No ${entity} with id ${id}.`);
  }
}

/** An order asked for more units than are in stock; nothing of the order was kept. The HTTP layer answers 409. */
export class OutOfStockError extends Error {
  override readonly name = "OutOfStockError";

  constructor(
    readonly sku: string,
    readonly requested: number,
  ) {
    super(`Not enough stock of ${sku} for ${requested} more.`);
  }
}

/** A request the service cannot act on as sent. The HTTP layer answers 400. */
export class InvalidRequestError extends Error {
  override readonly name = "InvalidRequestError";
}
