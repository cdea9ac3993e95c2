// Apollo Gateway (with Apollo Server) over a supergraph file: node apollo.mjs FILE PORT.
// Forwards the client's Authorization header to the subgraphs, as the project's gateway does.
// With BENCH_JWKS_URL set it first verifies the bearer token as the project's gateway does
// (ES256, issuer BENCH_TOKEN_ISSUER, audience BENCH_TOKEN_AUDIENCE, keys from the JWKS,
// cached), with jose, and refuses the request when it is not valid.
import { readFileSync } from "node:fs";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { GraphQLError } from "graphql";
import { createRemoteJWKSet, jwtVerify } from "jose";

const [file, port] = process.argv.slice(2);
const jwks = process.env.BENCH_JWKS_URL ? createRemoteJWKSet(new URL(process.env.BENCH_JWKS_URL)) : null;
const expected = {
  issuer: process.env.BENCH_TOKEN_ISSUER,
  audience: process.env.BENCH_TOKEN_AUDIENCE,
  algorithms: ["ES256"],
};

async function verified(authorization) {
  const [scheme, token] = (authorization ?? "").split(" ");
  try {
    if (scheme.toLowerCase() !== "bearer" || !token) throw new Error("no bearer token");
    await jwtVerify(token, jwks, expected);
  } catch {
    throw new GraphQLError("Sign in again: the token is not valid.", {
      extensions: { code: "UNAUTHENTICATED", http: { status: 401 } },
    });
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(file, "utf8"),
  buildService: ({ url }) =>
    new RemoteGraphQLDataSource({
      url,
      willSendRequest({ request, context }) {
        if (context.authorization) request.http.headers.set("authorization", context.authorization);
      },
    }),
});
const server = new ApolloServer({ gateway, csrfPrevention: false });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(port), host: "127.0.0.1" },
  context: async ({ req }) => {
    if (jwks) await verified(req.headers.authorization);
    return { authorization: req.headers.authorization };
  },
});
console.log(`apollo gateway ready at ${url}`);
