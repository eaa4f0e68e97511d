import { SqliteFamilyEngine } from "../sqlite-family/sqlite-family-engine";

/** In-memory SQLite through the `sqlite3` package (TypeORM 0.3's `type: "sqlite"`; 1.x removed it). */
export class Sqlite3Engine extends SqliteFamilyEngine {
  constructor() {
    super("sqlite3");
  }
}
