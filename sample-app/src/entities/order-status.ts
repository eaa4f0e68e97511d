/** Where an order is in its life. Stored as a Postgres enum type (`order_status`). */
export enum OrderStatus {
  Placed = "placed",
  Paid = "paid",
  Shipped = "shipped",
  Cancelled = "cancelled",
}
