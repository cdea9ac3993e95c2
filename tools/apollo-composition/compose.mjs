// Composes every services/<name>/schema.graphql with @apollo/composition, the library
// Apollo Router's supergraphs come from. Exits non-zero and prints each error when the
// subgraphs would not run behind Apollo Router, Hive Gateway or Cosmo.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const services = join(root, "services");
const subgraphs = readdirSync(services)
  .filter((name) => existsSync(join(services, name, "schema.graphql")))
  .sort()
  .map((name) => ({
    name,
    url: `http://${name}.invalid/graphql`,
    typeDefs: parse(readFileSync(join(services, name, "schema.graphql"), "utf8")),
  }));

const result = composeServices(subgraphs);
if (result.errors && result.errors.length > 0) {
  for (const error of result.errors) {
    console.error(`composition error: ${error.message}`);
  }
  process.exit(1);
}
for (const hint of result.hints ?? []) {
  console.log(`hint: ${hint.definition.code}: ${hint.message}`);
}
console.log(`composed ${subgraphs.map((s) => s.name).join(", ")} with @apollo/composition`);
if (process.argv.includes("--print")) {
  console.log(result.supergraphSdl);
}
