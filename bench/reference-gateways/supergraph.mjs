// Prints the Apollo-format supergraph of the services' SDL, with the subgraph URLs given
// as NAME=URL arguments, for Apollo Gateway and Hive Gateway in bench/gateway.py.
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const subgraphs = process.argv.slice(2).map((argument) => {
  const [name, url] = argument.split("=");
  const sdl = readFileSync(join(root, "services", name, "schema.graphql"), "utf8");
  return { name, url, typeDefs: parse(sdl) };
});
const result = composeServices(subgraphs);
if (result.errors?.length) {
  for (const error of result.errors) console.error(error.message);
  process.exit(1);
}
process.stdout.write(result.supergraphSdl);
