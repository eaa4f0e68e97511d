import "reflect-metadata";
import { AppDataSource } from "./data-source";
import { createApp } from "./http/create-app";

/** Production entry point: `npm start`, with the DB_* variables of `src/data-source.ts` set. */
async function main(): Promise<void> {
  await AppDataSource.initialize();
  const port = Number(process.env.PORT ?? 3000);
  createApp(AppDataSource).listen(port, () => console.log(`shop listening on port ${port}`));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
