// OpenID providers for the sign-in tests: node-oidc-provider (OpenID Certified), its
// development login and consent pages, on loopback ports chosen by the system.
//
//   node provider.mjs CONFIG.json
//
// CONFIG: {"instances": 2, "clients": [...client metadata...],
//          "accounts": {"<login>": {<claims>}}, "scopes": {"<scope>": ["<claim>", ...]}}
// Every instance is a provider of its own (issuer http://127.0.0.1:<port>) with the same
// clients, accounts and signing key, as one operator's several tenants would have: a token
// of one instance verifies with the keys of another, and only its issuer tells them apart.
// Prints {"issuers": [...]} on one line once every instance listens; stops on SIGTERM.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', alg: 'RS256', use: 'sig' };

async function findAccount(ctx, id) {
  const claims = config.accounts[id];
  if (!claims) return undefined;
  return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

const servers = [];
const issuers = [];
for (let i = 0; i < (config.instances || 1); i += 1) {
  const server = createServer();
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    findAccount,
    jwks: { keys: [signingKey] },
    claims: { openid: ['sub'], ...config.scopes },
    scopes: ['openid', ...Object.keys(config.scopes)],
    features: { devInteractions: { enabled: true } },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
  });
  server.on('request', provider.callback());
  servers.push(server);
  issuers.push(issuer);
}

process.stdout.write(`${JSON.stringify({ issuers })}\n`);
process.on('SIGTERM', () => {
  for (const server of servers) server.close();
  process.exit(0);
});
