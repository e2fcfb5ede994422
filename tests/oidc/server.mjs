// server.mjs - a real OpenID provider (oidc-provider 9.13.3, pinned by the
// lock file) for kigo-tui's login tests.
//
//   node server.mjs --cert PEM --key PEM --port-file FILE
//                   [--access-ttl S] [--device-ttl S] [--client-id ID]
//
// Serves HTTPS on 127.0.0.1, port 0 (the port is printed as "port N" and
// written to --port-file atomically), issuer https://127.0.0.1:PORT.  Device
// flow and revocation on; one public native client (device_code and
// refresh_token grants, refresh tokens rotate, offline_access gives one).
//
// Test-only routes (never in a real provider), all under /test/:
//   POST /test/approve?user_code=X   approve as the fixed account "user-1"
//   POST /test/deny?user_code=X      deny (access_denied)
//   GET  /test/resource              a resource server: 200 with a valid
//                                    access token (Bearer), else 401
//   POST /test/reject-next?n=N       the resource answers 401 N more times
//   GET  /test/token?value=T         {"active": bool} for an access or
//                                    refresh token (revocation checks)
//   GET  /test/events                what happened: grant successes/errors,
//                                    refreshes, resource calls
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { URL } from 'node:url';

import Provider from 'oidc-provider';

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const certFile = arg('cert');
const keyFile = arg('key');
const portFile = arg('port-file');
const accessTtl = Number(arg('access-ttl', '3600'));
const deviceTtl = Number(arg('device-ttl', '600'));
const clientId = arg('client-id', 'kigo-test');
if (!certFile || !keyFile) {
  process.stderr.write('usage: server.mjs --cert PEM --key PEM [--port-file FILE]\n');
  process.exit(64);
}

const ACCOUNT = {
  sub: 'user-1',
  name: 'Ana Example',
  email: 'ana@example.test',
};

const events = {
  grant_success: [],       // grant types, in order
  grant_error: [],         // "grant_type: error"
  refreshes: 0,
  resource_calls: 0,
  resource_auth_ok: 0,
  polls_after_success: 0,  // device_code polls after its first success
  device_codes: [],        // handed out (test-only: to prove they never reach a log)
  revoked_grants: 0,
};
let rejectNext = 0;
const succeededCodes = new Set();
let provider;

function json(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

function normalize(userCode) {
  return String(userCode || '').toUpperCase().replace(/\W/g, '');
}

async function findActive(value) {
  for (const Model of [provider.AccessToken, provider.RefreshToken]) {
    // eslint-disable-next-line no-await-in-loop
    const t = await Model.find(value);
    if (t && !t.isExpired && !t.consumed) return true;
  }
  return false;
}

async function testRoute(req, res, url) {
  const p = url.pathname;
  if (p === '/test/approve' || p === '/test/deny') {
    const code = await provider.DeviceCode.findByUserCode(normalize(url.searchParams.get('user_code')));
    if (!code) return json(res, 404, { error: 'no such user code' });
    if (p === '/test/deny') {
      Object.assign(code, { error: 'access_denied', errorDescription: 'End-User denied the request' });
    } else {
      const grant = new provider.Grant({ accountId: ACCOUNT.sub, clientId: code.clientId });
      grant.addOIDCScope(code.params.scope);
      const grantId = await grant.save();
      Object.assign(code, {
        accountId: ACCOUNT.sub,
        authTime: Math.floor(Date.now() / 1000),
        grantId,
        scope: code.params.scope,
      });
    }
    await code.save();
    return json(res, 200, { ok: true });
  }
  if (p === '/test/resource') {
    events.resource_calls += 1;
    const auth = req.headers.authorization || '';
    const m = /^Bearer (.+)$/.exec(auth);
    if (rejectNext > 0) {
      rejectNext -= 1;
      return json(res, 401, { error: 'invalid_token' });
    }
    const at = m ? await provider.AccessToken.find(m[1]) : undefined;
    if (!at || at.isExpired) return json(res, 401, { error: 'invalid_token' });
    events.resource_auth_ok += 1;
    return json(res, 200, { ok: true, sub: at.accountId });
  }
  if (p === '/test/reject-next') {
    rejectNext = Number(url.searchParams.get('n') || '1');
    return json(res, 200, { ok: true });
  }
  if (p === '/test/token') {
    return json(res, 200, { active: await findActive(url.searchParams.get('value') || '') });
  }
  if (p === '/test/events') return json(res, 200, events);
  return json(res, 404, { error: 'no such test route' });
}

const server = https.createServer({
  cert: fs.readFileSync(certFile),
  key: fs.readFileSync(keyFile),
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `https://127.0.0.1:${port}`;

  provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
    }],
    features: {
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      devInteractions: { enabled: false },
    },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
    async findAccount(ctx, id) {
      if (id !== ACCOUNT.sub) return undefined;
      return { accountId: id, async claims() { return { ...ACCOUNT }; } };
    },
    ttl: {
      AccessToken: accessTtl,
      DeviceCode: deviceTtl,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
    rotateRefreshToken: true,
    cookies: { keys: ['kigo-tui-test-only-cookie-key'] },
  });
  provider.proxy = false;

  provider.on('grant.success', (ctx) => {
    const gty = ctx.oidc.params.grant_type;
    events.grant_success.push(gty);
    if (gty === 'refresh_token') events.refreshes += 1;
    if (ctx.oidc.params.device_code) succeededCodes.add(ctx.oidc.params.device_code);
  });
  provider.on('device_authorization.success', (ctx, body) => {
    events.device_codes.push(body.device_code);
  });
  provider.on('grant.revoked', () => { events.revoked_grants += 1; });
  provider.on('grant.error', (ctx, err) => {
    const gty = ctx.oidc.params && ctx.oidc.params.grant_type;
    const dc = ctx.oidc.params && ctx.oidc.params.device_code;
    if (dc && succeededCodes.has(dc)) events.polls_after_success += 1;
    if (err.error !== 'authorization_pending') events.grant_error.push(`${gty}: ${err.error}`);
  });

  const callback = provider.callback();
  server.on('request', (req, res) => {
    const url = new URL(req.url, issuer);
    if (url.pathname.startsWith('/test/')) {
      testRoute(req, res, url).catch((e) => json(res, 500, { error: String(e) }));
      return;
    }
    callback(req, res);
  });

  process.stdout.write(`port ${port}\n`);
  if (portFile) {
    const tmp = path.join(path.dirname(portFile), `.${path.basename(portFile)}.tmp`);
    fs.writeFileSync(tmp, `${port}\n`);
    fs.renameSync(tmp, portFile);
  }
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => { server.close(); process.exit(0); });
}
