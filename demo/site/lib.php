<?php
/*
 * lib.php - the demo host site's shared code: settings, database, the
 * follow-fcgi session cookie (mint, read, clear) and the page frame.
 *
 * It lives outside the document root so nginx never serves it.  It must
 * never print a secret or a token, never emit inline script or style (every
 * page is served under a strict Content-Security-Policy), and never build
 * SQL from request text (PDO prepared statements only).
 */

declare(strict_types=1);

/* The token code is the one site owners copy (examples/mint_token.php). */
require_once __DIR__ . '/mint_token.php';

const DEMO_TTL = 3600;

function demo_env(string $name, string $default = ''): string
{
    $v = getenv($name);
    return $v === false || $v === '' ? $default : $v;
}

function demo_cookie_name(): string
{
    return demo_env('FOLLOW_COOKIE', 'follow_session');
}

function demo_db(): PDO
{
    static $pdo = null;
    if ($pdo === null) {
        /* PDO's pgsql driver takes a libpq connection string as is. */
        $pdo = new PDO('pgsql:' . demo_env('FOLLOW_DSN'), null, null, [
            PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
            PDO::ATTR_DEFAULT_FETCH_MODE => PDO::FETCH_ASSOC,
        ]);
    }
    return $pdo;
}

function demo_signing_line(): string
{
    return follow_signing_key_line(demo_env('FOLLOW_KEYFILE'));
}

/*
 * The logged-in user's id from our own cookie, checked the way the service
 * checks it (signature, kid, exp), or 0.  Revocation is the service's job:
 * a revoked cookie still shows the page, and follow.js then gets its 401.
 */
function demo_current_user(): int
{
    $tok = $_COOKIE[demo_cookie_name()] ?? '';
    $parts = explode('.', $tok);
    if (count($parts) !== 3) {
        return 0;
    }
    $line = demo_signing_line();
    [$kid, $b64] = preg_split('/\s+/', $line);
    $secret = base64_decode($b64, true);
    $sig = follow_b64url(hash_hmac('sha256', $parts[0] . '.' . $parts[1],
        (string)$secret, true));
    if (!hash_equals($sig, $parts[2])) {
        return 0;
    }
    $claims = json_decode(base64_decode(strtr($parts[1], '-_', '+/')), true);
    if (!is_array($claims) || !isset($claims['sub'], $claims['exp']) ||
        (int)$claims['exp'] < time()) {
        return 0;
    }
    return (int)$claims['sub'];
}

/*
 * Mints the session token with plain hash_hmac (the README's snippet) and
 * sets the cookie.  iat is normally now, so a later "log out" (which sets
 * sessions_revoked_at = now()) refuses it.  Only when the user logged out
 * within this very second does iat move one second ahead, or the fresh
 * token would be refused by that logout (doc/tokens.md; the leeway
 * accepts it).
 */
function demo_login(int $userId): void
{
    $st = demo_db()->prepare('SELECT coalesce(sessions_revoked_at >= '
        . "date_trunc('second', now()), false) FROM users WHERE id = ?");
    $st->execute([$userId]);
    $ahead = $st->fetchColumn() ? 1 : 0;
    [$kid, $b64] = preg_split('/\s+/', demo_signing_line());
    $now = time();
    $input = follow_b64url(json_encode(['alg' => 'HS256', 'typ' => 'JWT',
            'kid' => $kid]))
        . '.' . follow_b64url(json_encode(['sub' => (string)$userId,
            'iat' => $now + $ahead, 'exp' => $now + DEMO_TTL]));
    $token = $input . '.' . follow_b64url(hash_hmac('sha256', $input,
        base64_decode($b64), true));
    follow_set_cookie($token, DEMO_TTL, demo_cookie_name());
}

function demo_logout(int $userId): void
{
    if ($userId > 0) {
        $st = demo_db()->prepare(
            'UPDATE users SET sessions_revoked_at = now() WHERE id = ?');
        $st->execute([$userId]);
    }
    setcookie(demo_cookie_name(), '', [
        'expires' => 1, 'path' => '/', 'secure' => true,
        'httponly' => true, 'samesite' => 'Lax',
    ]);
}

function demo_user(int $id): ?array
{
    $st = demo_db()->prepare('SELECT id, username, display_name, '
        . 'follower_count, following_count FROM users '
        . 'WHERE id = ? AND is_active');
    $st->execute([$id]);
    $u = $st->fetch();
    return $u === false ? null : $u;
}

function h(?string $s): string
{
    return htmlspecialchars((string)$s, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
}

function demo_name(array $u): string
{
    return (string)($u['display_name'] ?: $u['username']);
}

/* Security headers for every page, then the top of the HTML. */
function page_start(string $title, int $me): void
{
    header("Content-Security-Policy: default-src 'none'; script-src 'self'; "
        . "style-src 'self'; img-src 'self'; connect-src 'self'; "
        . "form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
    header('X-Content-Type-Options: nosniff');
    header('Referrer-Policy: same-origin');
    header('Cache-Control: no-store');
    $user = $me ? demo_user($me) : null;
    echo "<!doctype html>\n<html lang=\"en\">\n<head>\n",
        "<meta charset=\"utf-8\">\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        "<meta name=\"follow-api\" content=\"/api\">\n",
        '<title>', h($title), " \u{2014} Follow demo</title>\n",
        "<link rel=\"stylesheet\" href=\"/static/follow.v1.css\">\n",
        "<link rel=\"stylesheet\" href=\"/static/demo.css\">\n",
        "<script src=\"/static/follow.v1.js\" defer></script>\n",
        "<script src=\"/static/demo.js\" defer></script>\n",
        "</head>\n<body>\n<header class=\"site\">\n",
        "<a class=\"site__home\" href=\"/\">Follow demo</a>\n<nav>\n";
    if ($user !== null) {
        echo '<a href="/feed.php">Feed</a> ',
            '<a href="/profile.php?id=', $user['id'], '">',
            h(demo_name($user)), "</a>\n",
            '<form method="post" action="/logout.php" class="site__logout">',
            '<button type="submit">Log out</button></form>', "\n";
    } else {
        echo '<a href="/login.php">Log in</a>', "\n";
    }
    echo "</nav>\n</header>\n",
        "<div class=\"login-banner\" id=\"login-banner\" role=\"alert\" hidden>",
        "<span id=\"login-banner-text\">Your session has ended.</span> ",
        "<a href=\"/login.php\">Log in</a>",
        "</div>\n<main>\n", '<h1>', h($title), "</h1>\n";
}

function page_end(): void
{
    echo "</main>\n</body>\n</html>\n";
}

function not_found(int $me): void
{
    http_response_code(404);
    page_start('Not found', $me);
    echo "<p>No such user.</p>\n";
    page_end();
}
