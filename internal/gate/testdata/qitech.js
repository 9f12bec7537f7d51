// The published QI Tech wrapper (npm qitech-wrapper 0.1.8, installed from package-lock.json with its
// integrity), unmodified, pointed at the BaaS mock the way any axios client can be: an interceptor that
// sets baseURL. It signs the string_to_sign way (BAAS-17) and encodes bodies with jsonwebtoken, which
// adds the registered claim iat to every token.
"use strict";
const axios = require("axios");
const qitech = require("qitech-wrapper");

const env = process.env;
axios.interceptors.request.use((config) => ({ ...config, baseURL: env.CONFORMANCE_BAAS_URL }));

const qi = qitech({
  clientKey: env.CONFORMANCE_BAAS_API_CLIENT_KEY,
  privateKey: env.CONFORMANCE_BAAS_PRIVATE_KEY,
  publicKey: env.CONFORMANCE_BAAS_QI_PUBLIC_KEY,
});
const request = qi.account.request; // the wrapper's own signed request, as its modules use it

function person(cpf) {
  return {
    date_of_birth: "1987-01-11", spouse_name: "sample spouse name", birth_place: "sample birth place",
    phone_number: { country_code: "55", area_code: "34", number: "988887777" },
    father_name: "sample father name",
    address: { street: "Rua Sample Avenue", complement: "Apto 123", state: "MG", number: "1234",
      neighborhood: "Cabral", postal_code: "38300000", city: "Ituiutaba" },
    nationality: "Brasil", document_identification_number: "sample identification number",
    mother_name: "Sample Mama", person_type: "natural", name: "Sample Name Natural",
    profession: "sample profession", email: "sample@gmail.com", document_number: cpf, is_pep: false,
  };
}

async function main() {
  const cpf = String(Math.floor(Math.random() * 1e11)).padStart(11, "0");
  const p = person(cpf);
  const asked = await request.request("POST", "/baas/token_request", {
    body: { contact_type: "sms", person_creation: { person: p }, agent_document_number: "99988877765" },
  });
  console.log("token_request", asked.status, JSON.stringify(asked.decoded));
  // The SMS the mock "sent": its control API plays the phone.
  const sms = await (await fetch(`${env.CONFORMANCE_BAAS_URL}/__control/sms?document_number=${cpf}`)).json();
  const validated = await request.request("POST", "/baas/movement_validation", {
    body: { token: sms.token, person_creation: { person: p }, agent_document_number: "99988877765" },
  });
  console.log("movement_validation", validated.status, validated.decoded.validation);
  if (validated.decoded.validation !== true) {
    throw new Error("the movement was not validated");
  }
}

main().catch((err) => {
  console.error("qitech client failed:", err.response ? `${err.response.status} ${JSON.stringify(err.decoded)}` : err);
  process.exit(1);
});
