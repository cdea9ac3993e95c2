// Apollo's verdict on given subgraphs, so tests can hold the gateway's own composer to it.
// Reads JSON from standard input: [{"name": case, "subgraphs": {name: sdl}}, ...]; writes,
// per case, whether @apollo/composition composes it, the codes of its errors and, when it
// composes, the printed API schema (what a client may query and introspect).
import { readFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { parse, printSchema } from "graphql";

const cases = JSON.parse(readFileSync(0, "utf8"));
const verdicts = {};
for (const { name, subgraphs } of cases) {
  let result;
  try {
    result = composeServices(
      Object.entries(subgraphs).map(([subgraph, sdl]) => ({
        name: subgraph,
        url: `http://${subgraph}.invalid/graphql`,
        typeDefs: parse(sdl),
      })),
    );
  } catch (error) {
    verdicts[name] = { composes: false, codes: ["INVALID_GRAPHQL"], messages: [String(error)] };
    continue;
  }
  if (result.errors && result.errors.length > 0) {
    verdicts[name] = {
      composes: false,
      codes: [...new Set(result.errors.map((e) => e.extensions?.code ?? "UNKNOWN"))].sort(),
      messages: result.errors.map((e) => e.message),
    };
    continue;
  }
  verdicts[name] = {
    composes: true,
    codes: [],
    messages: [],
    api: printSchema(result.schema.toAPISchema().toGraphQLJSSchema()),
  };
}
process.stdout.write(JSON.stringify(verdicts));
