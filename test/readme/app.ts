// A stand-in for the application the README's examples test: its production DataSource options
// and a service that reads through replicas and writes through the master.
import { Column, Entity, PrimaryGeneratedColumn, type DataSource, type DataSourceOptions } from "typeorm";

@Entity()
export class User {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "varchar" })
  name!: string;
}

export const productionOptions: DataSourceOptions = {
  type: "postgres",
  entities: [User],
  replication: {
    master: { host: process.env.DB_HOST, username: "app", password: process.env.DB_PASSWORD, database: "app" },
    slaves: [{ host: process.env.DB_REPLICA_1 }, { host: process.env.DB_REPLICA_2 }],
  },
};

export class UserService {
  constructor(private readonly dataSource: DataSource) {}

  async rename(id: number, name: string): Promise<User> {
    await this.dataSource.getRepository(User).update(id, { name });
    return this.dataSource.getRepository(User).findOneByOrFail({ id });
  }
}
