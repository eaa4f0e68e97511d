import { Column, Entity, ManyToOne, OneToMany, PrimaryGeneratedColumn } from "typeorm";
import { Customer } from "./customer";
import { OrderLine } from "./order-line";
import { OrderStatus } from "./order-status";

export interface ShippingAddress {
  street: string;
  city: string;
  country: string;
}

@Entity("orders")
export class Order {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @ManyToOne(() => Customer, (customer) => customer.orders, { nullable: false, onDelete: "CASCADE" })
  customer!: Customer;

  @Column({ type: "enum", enum: OrderStatus, enumName: "order_status", default: OrderStatus.Placed })
  status!: OrderStatus;

  @Column("integer")
  totalCents!: number;

  @Column("jsonb")
  shippingAddress!: ShippingAddress;

  @Column("timestamptz", { default: () => "now()" })
  placedAt!: Date;

  @OneToMany(() => OrderLine, (line) => line.order, { cascade: ["insert"] })
  lines!: OrderLine[];
}
