<?php
/*
 * mint_token.php - mint a follow-fcgi session token from the host site.
 *
 * Plain PHP (hash_hmac, base64_encode, json_encode), no JWT library: copy
 * follow_mint_token() and follow_set_cookie() into the site's login code.
 * The secret must never reach the browser, a log or a command line.
 *
 * CLI (for testing):  php examples/mint_token.php KEYFILE USER_ID [TTL]
 * prints a token signed with the key file's first key.
 */

declare(strict_types=1);

/* base64url without padding (RFC 7515 section 2). */
function follow_b64url(string $bin): string
{
    return rtrim(strtr(base64_encode($bin), '+/', '-_'), '=');
}

/*
 * Returns an HS256 token for $userId valid for $ttl seconds.
 * $keyfile_line_or_secret is either a line of the key file
 * ("KID BASE64SECRET") or the raw secret bytes (at least 32).  $kid names
 * the key in the header; '' takes it from the key file line.
 */
function follow_mint_token(string $keyfile_line_or_secret, string $kid,
    int $userId, int $ttl): string
{
    $secret = $keyfile_line_or_secret;
    $pattern = '/^\s*([A-Za-z0-9._-]{1,64})\s+([A-Za-z0-9+\/]+={0,2})\s*$/D';
    if (preg_match($pattern, $keyfile_line_or_secret, $m)) {
        $secret = base64_decode($m[2], true);
        if ($secret === false) {
            throw new InvalidArgumentException('key line: bad base64');
        }
        if ($kid === '') {
            $kid = $m[1];
        } elseif ($kid !== $m[1]) {
            throw new InvalidArgumentException('kid differs from the key line');
        }
    }
    if (strlen($secret) < 32) {
        throw new InvalidArgumentException('secret shorter than 32 bytes');
    }
    if ($kid !== '' && !preg_match('/^[A-Za-z0-9._-]{1,64}$/D', $kid)) {
        throw new InvalidArgumentException('bad kid');
    }
    if ($userId < 1 || $ttl < 1) {
        throw new InvalidArgumentException('user id and ttl must be positive');
    }

    $now = time();
    $header = ['alg' => 'HS256', 'typ' => 'JWT'];
    if ($kid !== '') {
        $header['kid'] = $kid;
    }
    /* sub as a string: user ids may exceed 2^53, which JSON numbers lose. */
    $payload = ['sub' => (string)$userId, 'iat' => $now, 'exp' => $now + $ttl];
    $input = follow_b64url(json_encode($header, JSON_THROW_ON_ERROR)) . '.'
        . follow_b64url(json_encode($payload, JSON_THROW_ON_ERROR));
    return $input . '.'
        . follow_b64url(hash_hmac('sha256', $input, $secret, true));
}

/*
 * Hands the token to the browser.  HttpOnly keeps it from scripts, Secure
 * from plain HTTP, SameSite=Lax from most cross-site requests (the service
 * also checks Origin on POST and DELETE).  The name must match the
 * service's FOLLOW_COOKIE (default follow_session).
 */
function follow_set_cookie(string $token, int $ttl,
    string $name = 'follow_session'): bool
{
    return setcookie($name, $token, [
        'expires' => time() + $ttl,
        'path' => '/',
        'secure' => true,
        'httponly' => true,
        'samesite' => 'Lax',
    ]);
}

/* Example, in the site's login handler:
 *
 *   $line = trim(file('/etc/follow-fcgi/keys')[0]);   // first key signs
 *   $token = follow_mint_token($line, '', $user->id, 3600);
 *   follow_set_cookie($token, 3600);
 *
 * (Skip comment lines if the key file has them; see the CLI below.)
 */

/* Returns the first key line of a key file (the signing key). */
function follow_signing_key_line(string $path): string
{
    $lines = @file($path, FILE_IGNORE_NEW_LINES);
    if ($lines === false) {
        throw new RuntimeException("$path: cannot read the key file");
    }
    foreach ($lines as $line) {
        $t = trim($line);
        if ($t !== '' && $t[0] !== '#') {
            return $t;
        }
    }
    throw new RuntimeException("$path: no keys");
}

if (PHP_SAPI === 'cli' && isset($argv[0]) &&
    realpath($argv[0]) === realpath(__FILE__)) {
    if ($argc < 3 || $argc > 4 || !ctype_digit($argv[2]) ||
        ($argc === 4 && !ctype_digit($argv[3]))) {
        fwrite(STDERR, "usage: php mint_token.php KEYFILE USER_ID [TTL]\n");
        exit(2);
    }
    try {
        echo follow_mint_token(follow_signing_key_line($argv[1]), '',
            (int)$argv[2], $argc === 4 ? (int)$argv[3] : 3600), "\n";
    } catch (Exception $e) {
        fwrite(STDERR, 'mint_token.php: ' . $e->getMessage() . "\n");
        exit(1);
    }
}
