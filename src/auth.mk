# Session tokens: base64url, the key file, JWT verification, and followctl.
libfollow_a_SOURCES += \
	%D%/b64.c %D%/b64.h \
	%D%/keys.c %D%/keys.h \
	%D%/jwt.c %D%/jwt.h

bin_PROGRAMS += followctl
followctl_SOURCES = %D%/followctl.c

# How the host site mints tokens (doc/tokens.md shows them).
EXTRA_DIST += examples/mint_token.php examples/mint_token.py
