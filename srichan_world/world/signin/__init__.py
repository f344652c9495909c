"""Optional sign-in with OpenID Connect: the rules, with no I/O.

``providers`` reads and checks the operator's provider list; ``flow`` makes a sign-in's
state, nonce and PKCE pair and seals what the browser carries between the start and the
callback; ``idtoken`` checks an ID token; ``links`` decides what a verified account does to the
identity on this device (link, restore, refuse). server/http/signin.py moves the bytes.
"""
