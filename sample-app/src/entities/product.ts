import { Column, Entity, JoinTable, ManyToMany, PrimaryGeneratedColumn } from "typeorm";
import { Tag } from "./tag";

@Entity()
export class Product {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column("varchar", { length: 32, unique: true })
  sku!: string;

  @Column("text")
  name!: string;

  @Column("integer")
  priceCents!: number;

  @Column("integer")
  stock!: number;

  /** Free-form catalogue attributes (colour, size, …). */
  @Column("jsonb", { default: () => "'{}'::jsonb" })
  attributes!: Record<string, unknown>;

  @ManyToMany(() => Tag, (tag) => tag.products)
  @JoinTable({ name: "product_tag" })
  tags!: Tag[];
}
