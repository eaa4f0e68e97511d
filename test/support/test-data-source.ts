import { createTestDataSource } from "../../ormconfig.test";
import { Author, Post } from "../fixtures/blog-entities";
import { Item } from "../fixtures/item-entity";

/** One DataSource for the harness test files, initialized by the harness itself on first use. */
export const harnessDataSource = createTestDataSource({}, { entities: [Author, Post, Item] });
