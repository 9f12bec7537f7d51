// A small client of all four providers, written for the gate's tests in another language than the
// harness (Node's own fetch and crypto, nothing installed), as a team's client would be.
//   node client.js conform   every call as the documents say
//   node client.js violate   the same, with three planted violations: a gu1 validation without its
//                            required entityId (GU1-02), a BaaS call whose AUTHORIZATION signs another
//                            body (BAAS-16), a Pomelo upload sent as JSON instead of multipart (KYC-03)
//   node client.js webhooks  conform, and gu1's validation notifies the client's own receiver, which
//                            must see kyc.validation_created exactly once however often it is delivered
//   node client.js readings  conform, but following the seeds' other reading where they contradict each
//                            other: is_pep left out and area_code "888" as seed 004's example (DOC-12,
//                            DOC-13), a birthday written 1990/08/10 (DOC-09), the session read by the
//                            singular path (DOC-01)
// Every call is retried on 429 and 503 after the Retry-After the answer gives (three tries), as a
// resilient client does.
"use strict";
const crypto = require("crypto");
const http = require("http");

const env = process.env;
const mode = process.argv[2] || "conform";
const planted = mode === "violate";
const rand = (n) => crypto.randomBytes(n).toString("hex");
const digits = (n) => Array.from(crypto.randomBytes(n), (b) => String(b % 10)).join("");

async function call(name, url, init) {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, init);
    const text = await res.text();
    console.log(`${name}: ${res.status}`);
    if ((res.status === 429 || res.status === 503) && attempt < 3) {
      const wait = Number(res.headers.get("retry-after") || "1");
      await new Promise((r) => setTimeout(r, wait * 1000));
      continue;
    }
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
}

// receiver is the client's webhook endpoint for gu1 (GU1-13): it checks X-Webhook-Signature, answers
// 204, and processes each event once, however often it is delivered.
function receiver() {
  const seen = new Map();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const want = crypto.createHmac("sha256", env.CONFORMANCE_GU1_WEBHOOK_SECRET).update(raw).digest("hex");
      if (req.headers["x-webhook-signature"] !== want) {
        res.writeHead(401).end();
        return;
      }
      const ev = JSON.parse(raw);
      const key = `${ev.event}/${ev.payload.validationId || ev.payload.id}/${ev.payload.status}`;
      seen.set(key, (seen.get(key) || 0) + 1);
      if (seen.get(key) === 1) processed.push(key);
      res.writeHead(204).end();
    });
  });
  const processed = [];
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, seen, processed,
    url: `http://127.0.0.1:${server.address().port}/hooks/gu1` })));
}

// gu1: an entity, a validation for it, then the validation read back (GU1-01, GU1-02, GU1-10, GU1-11).
async function gu1() {
  const auth = { Authorization: `Bearer ${env.CONFORMANCE_GU1_API_KEY}`, "Content-Type": "application/json" };
  const entity = await call("gu1 entity", `${env.CONFORMANCE_GU1_URL}/api/entities`, {
    method: "POST", headers: auth, body: JSON.stringify({ type: "person", name: "Ana Souza", externalId: `ext-${rand(6)}` }),
  });
  const body = planted ? { metadata: { source: "node" } } : { entityId: entity.body.id, metadata: { source: "node" } };
  const hooks = mode === "webhooks" ? await receiver() : null;
  if (hooks) body.webhookUrl = hooks.url;
  const v = await call("gu1 validation", `${env.CONFORMANCE_GU1_URL}/api/kyc/validations`, {
    method: "POST", headers: auth, body: JSON.stringify(body),
  });
  if (v.status === 201) {
    await call("gu1 get validation", `${env.CONFORMANCE_GU1_URL}/api/kyc/validations/${v.body.id}`, { headers: auth });
  }
  if (hooks) {
    // Wait for kyc.validation_created, then a little longer for any duplicate, then check it was
    // processed once.
    for (let i = 0; i < 100 && hooks.processed.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    hooks.server.close();
    const deliveries = [...hooks.seen.values()].reduce((a, b) => a + b, 0);
    console.log(`gu1 webhooks: ${deliveries} delivered, ${hooks.processed.length} processed: ${hooks.processed.join(", ")}`);
    if (hooks.processed.length !== 1 || !hooks.processed[0].startsWith("kyc.validation_created/")) {
      throw new Error("the receiver did not process kyc.validation_created exactly once");
    }
  }
}

// Pomelo: an OAuth token, a KYC session, a selfie, the session read back (KYC-16, KYC-01, KYC-03, KYC-05).
// A call refused with 401 gets a new token and is sent once more: a token may expire mid-flow.
async function pomelo() {
  const base = env.CONFORMANCE_POMELO_URL;
  let token = null;
  const fetchToken = async () => {
    const tok = await call("pomelo token", `${base}/oauth/token`, {
      method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: env.CONFORMANCE_POMELO_CLIENT_ID,
        client_secret: env.CONFORMANCE_POMELO_CLIENT_SECRET, audience: env.CONFORMANCE_POMELO_AUDIENCE }),
    });
    token = tok.body.access_token;
  };
  const authed = async (name, url, init = {}) => {
    if (!token) await fetchToken();
    let res = await call(name, url, { ...init, headers: { ...init.headers, Authorization: `Bearer ${token}` } });
    if (res.status === 401) {
      await fetchToken();
      res = await call(name, url, { ...init, headers: { ...init.headers, Authorization: `Bearer ${token}` } });
    }
    return res;
  };
  const flow = env.CONFORMANCE_POMELO_FLOWS.split(",").find((f) => f.startsWith("ARG:")).slice(4);
  const user = `usr-${rand(10)}`;
  const s = await authed("pomelo session", `${base}/identity/v2/sessions`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user_id: user, flow_id: flow }),
  });
  const id = s.body.data.id;
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(256)]);
  const upload = `${base}/identity/v1/sessions/${id}/entities/${user}/files/selfie`;
  if (planted) {
    await authed("pomelo upload", upload, { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ file: jpeg.toString("base64") }) });
  } else {
    const form = new FormData();
    form.append("file", new Blob([jpeg], { type: "image/jpeg" }), "selfie.jpg");
    await authed("pomelo upload", upload, { method: "POST", body: form });
  }
  const path = mode === "readings" ? `${base}/identity/v1/session/${id}` : `${base}/identity/v1/sessions/${id}`;
  const got = await authed("pomelo get session", path);
  if (got.status !== 200) throw new Error(`pomelo get session: ${got.status}`);
}

// BaaS: an SMS token asked for, signed BAAS-16's way with an ES512 JWT over the call (BAAS-01..10, BAAS-16).
function es512(claims) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${b64({ alg: "ES512", typ: "JWT" })}.${b64(claims)}`;
  const sig = crypto.sign("sha512", Buffer.from(input), { key: env.CONFORMANCE_BAAS_PRIVATE_KEY, dsaEncoding: "ieee-p1363" });
  return `${input}.${sig.toString("base64url")}`;
}

async function baas() {
  const cpf = digits(11);
  const person = {
    date_of_birth: "1987-01-11", birth_place: "Ituiutaba", email: "ana@example.com", document_number: cpf, is_pep: false,
    document_identification_number: "MG-12.345.678", mother_name: "Maria Souza", name: "Ana Souza", nationality: "Brasil",
    person_type: "natural", phone_number: { country_code: "55", area_code: "34", number: "988887777" } };
  if (mode === "readings") {
    delete person.is_pep;
    person.phone_number.area_code = "888";
  }
  const body = JSON.stringify({ contact_type: "sms", agent_document_number: "99988877765", person_creation: { person } });
  const md5 = crypto.createHash("md5").update(planted ? body + " " : body).digest("hex");
  const jwt = es512({ payload_md5: md5, timestamp: new Date().toISOString(), method: "POST", uri: "/baas/token_request" });
  await call("baas token_request", `${env.CONFORMANCE_BAAS_URL}/baas/token_request`, {
    method: "POST", body, headers: { "Content-Type": "application/json", "API-CLIENT-KEY": env.CONFORMANCE_BAAS_API_CLIENT_KEY, AUTHORIZATION: jwt },
  });
}

// The natural-person API: a record with its three photos, multipart (PI-01, PI-02, PI-03, PI-06).
async function personalinfo() {
  const form = new FormData();
  const fields = { birthday: mode === "readings" ? "1990/08/10" : "1990-08-10", first_name: "Ana", last_name: "Souza", gender: "female", marital_status: "single",
    nationality: "argentina", politically_exposed: "false", document_type: "dni", document_number: digits(8) };
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const p of ["front_document", "back_document", "dni_selfie"]) {
    form.append(p, new Blob([Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(128)])], { type: "image/jpeg" }), `${p}.jpg`);
  }
  await call("personalinfo record", `${env.CONFORMANCE_PERSONALINFO_URL}/internal/v1/clients/personal_informations`, {
    method: "POST", headers: { Authorization: env.CONFORMANCE_PERSONALINFO_TOKEN }, body: form,
  });
}

Promise.all([gu1(), pomelo(), baas(), personalinfo()]).catch((err) => {
  console.error("client failed:", err);
  process.exit(1);
});
