"""Open Badges 3.0 credentials the city issues for what a visitor achieved on the street.

Theory of operation. An *achievement* (:mod:`.achievements`) is something the city recognises:
today every quest of the scene, later a course or an event's attendance; it is named by an
id and a kind, so the issuing does not care which. When a visitor completes one, the rules
ask the I/O to issue a *credential* (:mod:`.credential`): a W3C Verifiable Credential 2.0
``OpenBadgeCredential`` about a pseudonymous subject (a random ``urn:uuid``, never the visitor
id or a name), secured as a compact JWS with Ed25519 (:mod:`.jose`), with a place in the
city's revocation list (:mod:`.status`, a W3C Bitstring Status List). The visitor may download
it as it is or baked into the badge image (:mod:`.baking`), and anyone holding it can check it
(:mod:`.verify`): signature against the city's published keys, issuer, dates, revocation.

Nothing here awaits or opens a socket; keys and records are kept by the store, and the HTTP
routes, the issuer service and ``srichan badge`` are thin I/O around these functions.
"""
