import { Column, Entity, ManyToOne, PrimaryGeneratedColumn } from "typeorm";
import { Order } from "./order";
import { Product } from "./product";

@Entity()
export class OrderLine {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @ManyToOne(() => Order, (order) => order.lines, { nullable: false, onDelete: "CASCADE" })
  order!: Order;

  @ManyToOne(() => Product, { nullable: false, eager: false })
  product!: Product;

  @Column("integer")
  quantity!: number;

  /** The price when the order was placed; the product's price may change later. */
  @Column("integer")
  unitPriceCents!: number;
}
