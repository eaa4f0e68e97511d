import { Column, Entity, ManyToMany, PrimaryGeneratedColumn } from "typeorm";
import { Product } from "./product";

@Entity()
export class Tag {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column("varchar", { length: 40, unique: true })
  name!: string;

  @ManyToMany(() => Product, (product) => product.tags)
  products!: Product[];
}
