// Verify a credential with Digital Bazaar's W3C VC libraries: an independent
// implementation of VC 2.0 and the eddsa-jcs-2022 cryptosuite.
//   node verify_with_digitalbazaar.mjs CREDENTIAL.json OB_CONTEXT_3_0_3.json
// Prints {"verified": bool, "errors": [...]}; contexts are served from memory (no network).
import fs from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {securityLoader} from '@digitalbazaar/security-document-loader';

const [credentialPath, obContextPath] = process.argv.slice(2);
const loader = securityLoader();
loader.addStatic('https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
  JSON.parse(fs.readFileSync(obContextPath, 'utf8')));
const documentLoader = loader.build();
const credential = JSON.parse(fs.readFileSync(credentialPath, 'utf8'));
const suite = new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()});
// credbank status lives on chain; this verifier checks the credential and its signature.
const checkStatus = async () => ({verified: true});
const result = await vc.verifyCredential({credential, suite, documentLoader, checkStatus});
const errors = [];
const collect = e => {
  if(!e) return;
  errors.push(e.message || String(e));
  (e.errors || []).forEach(collect);
};
collect(result.error);
for(const r of result.results || []) collect(r.error);
console.log(JSON.stringify({verified: result.verified, errors}));
