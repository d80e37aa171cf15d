"""Verifies a compact JWS with joserfc (not kerro's code) against a JWK Set.

Reads {"jwks": <JWK Set>, "jws": "<compact JWS>"} on stdin and prints
{"header": ..., "payload": ...} on success; exits 1 with the reason otherwise.
"""
import json
import sys
import warnings

from joserfc import jws
from joserfc.jwk import KeySet

# RFC 9864 deprecates the name "EdDSA" for the fully specified "Ed25519";
# kerro signs as "EdDSA" (RFC 8037), which is what the issue and most verifiers name.
warnings.filterwarnings("ignore", message="EdDSA is deprecated")

req = json.load(sys.stdin)
keys = KeySet.import_key_set(req["jwks"])
try:
    obj = jws.deserialize_compact(req["jws"], keys, algorithms=["EdDSA"])
except Exception as e:  # noqa: BLE001 - the reason is the test's message
    print(f"{type(e).__name__}: {e}")
    sys.exit(1)
print(json.dumps({"header": obj.protected, "payload": json.loads(obj.payload)}))
