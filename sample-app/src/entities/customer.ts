import { Column, CreateDateColumn, Entity, OneToMany, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { Order } from "./order";

/** What a customer chose in their account settings; stored as one jsonb document. */
export interface CustomerPreferences {
  newsletter?: boolean;
  language?: string;
  [setting: string]: string | number | boolean | null | undefined;
}

@Entity()
export class Customer {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column("varchar", { length: 320, unique: true })
  email!: string;

  @Column("text")
  name!: string;

  @Column("jsonb", { default: () => "'{}'::jsonb" })
  preferences!: CustomerPreferences;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt!: Date;

  @UpdateDateColumn({ type: "timestamptz" })
  updatedAt!: Date;

  @OneToMany(() => Order, (order) => order.customer)
  orders!: Order[];
}
