export { Customer, type CustomerPreferences } from "./customer";
export { Order, type ShippingAddress } from "./order";
export { OrderLine } from "./order-line";
export { OrderStatus } from "./order-status";
export { Product } from "./product";
export { Tag } from "./tag";
