// A real OpenID Connect provider for the sign-in tests: the certified `oidc-provider` package
// (npm), on 127.0.0.1, with one confidential client and its development login form (any login
// name is an account whose `sub` is that name; PKCE is required of every client).
//
//   node tests/signin/oidc_provider.mjs '{"port": 0, "client_id": "...", "client_secret": "...",
//                                         "redirect_uris": ["http://127.0.0.1:8080/api/signin/callback"]}'
//
// Prints one line `ready <issuer>` once listening; stops on SIGTERM.
import { createServer } from "node:http";
import Provider from "oidc-provider";

const options = JSON.parse(process.argv[2] ?? "{}");
const server = createServer();
await new Promise((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: options.client_id,
      client_secret: options.client_secret,
      redirect_uris: options.redirect_uris,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post", // as LINE Login
    },
  ],
  pkce: { required: () => true },
  cookies: { keys: ["srichan-test-provider-cookie-key"] },
  features: { devInteractions: { enabled: true } },
  ttl: { IdToken: 300, AuthorizationCode: 60 },
  async findAccount(_ctx, id) {
    return { accountId: id, claims: async () => ({ sub: id }) };
  },
});
provider.on("server_error", (_ctx, err) => console.error("provider error:", err));
server.on("request", provider.callback());
process.on("SIGTERM", () => server.close(() => process.exit(0)));
console.log(`ready ${issuer}`);
